# ECS cluster on EC2: an autoscaling group of ECS-optimised Amazon Linux 2023 instances in
# the private subnets, exposed to ECS as a capacity provider with managed scaling (ECS
# grows/shrinks the group to fit the tasks) and managed termination protection/draining
# (instances running tasks are never terminated from under them).

data "aws_ssm_parameter" "ecs_ami" {
  name = var.ami_ssm_parameter
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# ---------------------------------------------------------------------------------------
# Container instance IAM: the two AWS-managed policies the ECS agent and SSM Session
# Manager need (shell access without SSH keys or inbound ports), nothing else. Tasks never
# use these credentials: awsvpc tasks are blocked from IMDS (ECS_AWSVPC_BLOCK_IMDS below).
# ---------------------------------------------------------------------------------------
data "aws_iam_policy_document" "instance_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name_prefix        = "${var.name}-ecs-instance-"
  assume_role_policy = data.aws_iam_policy_document.instance_assume.json
}

resource "aws_iam_role_policy_attachment" "instance_ecs" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_role_policy_attachment" "instance_ssm" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "instance" {
  name_prefix = "${var.name}-ecs-instance-"
  role        = aws_iam_role.instance.name
}

# ---------------------------------------------------------------------------------------
# Container instance security group: no inbound at all (tasks have their own ENIs and
# security group; administration is through SSM). Outbound HTTPS only, for the ECS
# agent, ECR/S3 image pulls, CloudWatch Logs, Secrets Manager and SSM.
# ---------------------------------------------------------------------------------------
resource "aws_security_group" "instance" {
  name_prefix = "${var.name}-ecs-instance-"
  description = "ECS container instances of ${var.name}: no inbound, HTTPS out"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-ecs-instance" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "instance_https" {
  security_group_id = aws_security_group.instance.id
  description       = "HTTPS to AWS APIs (ECS, ECR, S3, CloudWatch Logs, Secrets Manager, SSM)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# ---------------------------------------------------------------------------------------
# Launch template
# ---------------------------------------------------------------------------------------
locals {
  # ECS agent configuration. ECS_AWSVPC_BLOCK_IMDS: tasks cannot read the instance role's
  # credentials from IMDS; ECS_ENABLE_TASK_IAM_ROLE: tasks get their own (task) role.
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    cat >>/etc/ecs/ecs.config <<'CONFIG'
    ECS_CLUSTER=${var.name}
    ECS_AWSVPC_BLOCK_IMDS=true
    ECS_ENABLE_TASK_IAM_ROLE=true
    ECS_ENABLE_CONTAINER_METADATA=true
    ECS_CONTAINER_STOP_TIMEOUT=30s
    ECS_IMAGE_PULL_BEHAVIOR=prefer-cached
    CONFIG
  EOT
}

resource "aws_launch_template" "ecs" {
  name_prefix            = "${var.name}-ecs-"
  description            = "ECS-optimised AL2023 container instances for ${var.name}"
  image_id               = data.aws_ssm_parameter.ecs_ami.insecure_value
  instance_type          = var.instance_type
  ebs_optimized          = true
  update_default_version = true
  user_data              = base64encode(local.user_data)

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  # Private subnets only, never a public address.
  network_interfaces {
    associate_public_ip_address = false
    delete_on_termination       = true
    security_groups             = [aws_security_group.instance.id]
  }

  # IMDSv2 only (session tokens defeat SSRF-style credential theft) and a hop limit of 1:
  # the ECS agent uses host networking, and containers must not reach the instance's IMDS.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.root_volume_size
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.name}-ecs" }
  }

  tag_specifications {
    resource_type = "volume"
    tags          = { Name = "${var.name}-ecs" }
  }
}

# ---------------------------------------------------------------------------------------
# Autoscaling group, sized by the capacity provider (desired_capacity is ECS's to set).
# ---------------------------------------------------------------------------------------
resource "aws_autoscaling_group" "ecs" {
  name_prefix               = "${var.name}-ecs-"
  vpc_zone_identifier       = var.private_subnet_ids
  min_size                  = var.min_size
  max_size                  = var.max_size
  health_check_type         = "EC2"
  health_check_grace_period = 120
  default_instance_warmup   = 120

  # Required by managed termination protection: ECS lifts the protection only from
  # instances that run no tasks.
  protect_from_scale_in = true

  # Only takes effect on `terraform destroy` (after the ECS service is gone): protected
  # instances would otherwise block deletion of the group forever.
  force_delete = true

  launch_template {
    id      = aws_launch_template.ecs.id
    version = aws_launch_template.ecs.latest_version
  }

  # A new launch template version (e.g. a newer ECS AMI) rolls the instances; ECS managed
  # draining moves tasks off each instance before it is terminated.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage       = 50
      scale_in_protected_instances = "Refresh"
      standby_instances            = "Terminate"
    }
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-ecs"
    propagate_at_launch = true
  }

  lifecycle {
    ignore_changes = [desired_capacity]

    precondition {
      condition     = var.min_size <= var.max_size
      error_message = "The autoscaling group's min_size must not exceed its max_size."
    }
  }
}

resource "aws_ecs_capacity_provider" "this" {
  name = "${var.name}-ec2"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.ecs.arn
    managed_termination_protection = "ENABLED"
    managed_draining               = "ENABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = var.target_capacity
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 2
      instance_warmup_period    = 120
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = [aws_ecs_capacity_provider.this.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.this.name
    weight            = 1
    base              = 0
  }
}
