# The scoring API as an ECS service on the EC2 capacity provider: task definition
# (awsvpc, read-only root, non-root user, secret-injected API key), rolling deployments
# with a circuit breaker that rolls back, ALB wiring, and target-tracking autoscaling.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  container_name = "api"
  region         = data.aws_region.current.name
  account_id     = data.aws_caller_identity.current.account_id

  # Liveness probe with the image's own interpreter (no curl in python:slim), on the probe
  # port: answered apart from the API, 503 when a worker's event loop stalls.
  health_command = "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:${var.probe_port}/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"

  environment = [
    { name = "SCORECARD_ARTIFACT", value = var.artifact_path },
    { name = "WEB_CONCURRENCY", value = tostring(var.web_concurrency) },
    { name = "SCORECARD_PROBE_PORT", value = tostring(var.probe_port) },
  ]
  # Resolved by the ECS agent at task start with the execution role; the value never
  # appears in the task definition, the console or Terraform plans.
  secrets = [
    { name = "SCORECARD_API_KEY", valueFrom = var.api_key_secret_arn },
  ]
  # The decision log's URL holds no password: libpq reads it from PGPASSWORD, the
  # "password" key of the secret RDS manages.
  decision_log_environment = var.decision_log_url == "" ? [] : [
    { name = "SCORECARD_DECISION_LOG", value = var.decision_log_url },
  ]
  registry_environment = var.registry_enabled ? [
    { name = "SCORECARD_REGISTRY", value = var.registry_url },
    { name = "AWS_REGION", value = local.region },
  ] : []
  decision_log_secrets = var.decision_log_secret_arn == "" ? [] : [
    { name = "PGPASSWORD", valueFrom = "${var.decision_log_secret_arn}:password::" },
  ]

  container_definition = {
    name      = local.container_name
    image     = var.image
    essential = true

    # Same unprivileged uid:gid as the Dockerfile's USER; root filesystem read-only, all
    # Linux capabilities dropped, no privilege escalation.
    user                   = var.container_user
    readonlyRootFilesystem = true
    privileged             = false
    dockerSecurityOptions  = ["no-new-privileges"]

    portMappings = [
      {
        name          = "http"
        containerPort = var.container_port
        hostPort      = var.container_port
        protocol      = "tcp"
        appProtocol   = "http"
      },
      {
        name          = "probes"
        containerPort = var.probe_port
        hostPort      = var.probe_port
        protocol      = "tcp"
        appProtocol   = "http"
      },
    ]

    environment = concat(local.environment, local.decision_log_environment, local.registry_environment)
    secrets     = concat(local.secrets, local.decision_log_secrets)

    linuxParameters = {
      initProcessEnabled = true # reaps uvicorn's worker processes, forwards SIGTERM
      capabilities       = { drop = ["ALL"] }

      # /tmp is the only writable path (tmpfs is an EC2-launch-type feature); mode 1777 so
      # the unprivileged user can write (uvicorn's Prometheus multiprocess directory).
      tmpfs = [
        {
          containerPath = "/tmp"
          size          = var.tmp_size_mib
          mountOptions  = ["rw", "noexec", "nosuid", "nodev", "mode=1777"]
        },
      ]
    }

    ulimits = [
      { name = "nofile", softLimit = 65536, hardLimit = 65536 },
    ]

    healthCheck = {
      command     = ["CMD", "python", "-c", local.health_command]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 20
    }

    # Non-blocking so that a CloudWatch Logs hiccup can never stall request handling.
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.api.name
        "awslogs-region"        = local.region
        "awslogs-stream-prefix" = local.container_name
        "mode"                  = "non-blocking"
        "max-buffer-size"       = "25m"
      }
    }

    stopTimeout = 30
  }
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/ecs/${var.name}/api"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# ---------------------------------------------------------------------------------------
# IAM. Both roles may only be assumed by ECS tasks of this account (confused-deputy
# protection via aws:SourceAccount / aws:SourceArn).
# ---------------------------------------------------------------------------------------
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

# Execution role: used by the ECS agent (not the application) to pull the image, write
# the log stream and read the one API key secret.
resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-exec-"
  description        = "ECS task execution role of ${var.name}: image pull, logs, API key secret"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  # GetAuthorizationToken is account-wide: it supports no resource-level restriction.
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrPullThisRepository"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.api.arn}:*"]
  }

  statement {
    sid       = "ReadApiKeySecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.api_key_secret_arn]
  }

  dynamic "statement" {
    for_each = var.decision_log_secret_arn == "" ? [] : [var.decision_log_secret_arn]
    content {
      sid       = "ReadDecisionLogSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  # The secret is encrypted with a KMS key (the stack's unless one is supplied); decrypting is allowed only through
  # Secrets Manager. (ECR image layers need no caller permission: ECR decrypts them
  # through the grant it holds on the key.)
  statement {
    sid       = "DecryptSecretViaSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = distinct([var.secret_kms_key_arn, var.kms_key_arn])

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-secret"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# Task role: without a registry the application calls no AWS API (the artifact is baked
# into the image) and the role has no permissions; it exists so that the task never falls
# back to any other credentials. With a registry it may read the registry's bucket, and
# only read it (its bucket policy also denies this role every write).
resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  description        = "ECS task role of ${var.name}: at most reading the card registry"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task_registry" {
  count = var.registry_enabled ? 1 : 0
  statement {
    sid       = "ListRegistry"
    actions   = ["s3:ListBucket"]
    resources = [var.registry_bucket_arn]
  }
  statement {
    sid       = "ReadRegistry"
    actions   = ["s3:GetObject"]
    resources = ["${var.registry_bucket_arn}/*"]
  }
  statement {
    sid       = "DecryptRegistryViaS3"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "task_registry" {
  count  = var.registry_enabled ? 1 : 0
  name   = "read-card-registry"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task_registry[0].json
}

# The registry's reads leave the tasks for S3 (through the NAT), on 443 only.
data "aws_ec2_managed_prefix_list" "s3" {
  count = var.registry_enabled ? 1 : 0
  name  = "com.amazonaws.${local.region}.s3"
}

resource "aws_vpc_security_group_egress_rule" "task_to_s3" {
  count             = var.registry_enabled ? 1 : 0
  security_group_id = aws_security_group.task.id
  description       = "API tasks to S3 (the card registry)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_ec2_managed_prefix_list.s3[0].id
}

# ---------------------------------------------------------------------------------------
# Task security group: inbound only from the ALB, on the container and probe ports. No egress rules:
# on the EC2 launch type image pulls, secrets and logs go through the instance's network,
# and the API itself makes no outbound calls.
# ---------------------------------------------------------------------------------------
resource "aws_security_group" "task" {
  name_prefix = "${var.name}-task-"
  description = "Scoring API tasks of ${var.name}: only the ALB may connect"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-task" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "task_from_alb" {
  security_group_id            = aws_security_group.task.id
  description                  = "ALB to the API container"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = var.alb_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "task_probes_from_alb" {
  security_group_id            = aws_security_group.task.id
  description                  = "ALB health checks to the probe port"
  ip_protocol                  = "tcp"
  from_port                    = var.probe_port
  to_port                      = var.probe_port
  referenced_security_group_id = var.alb_security_group_id
}

# The ALB's only egress: the tasks, on the container port and the probe port.
resource "aws_vpc_security_group_egress_rule" "alb_to_task" {
  security_group_id            = var.alb_security_group_id
  description                  = "ALB to the API tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.task.id
}

resource "aws_vpc_security_group_egress_rule" "alb_to_task_probes" {
  security_group_id            = var.alb_security_group_id
  description                  = "ALB health checks to the API tasks' probe port"
  ip_protocol                  = "tcp"
  from_port                    = var.probe_port
  to_port                      = var.probe_port
  referenced_security_group_id = aws_security_group.task.id
}

# ---------------------------------------------------------------------------------------
# Task definition and service
# ---------------------------------------------------------------------------------------
resource "aws_ecs_task_definition" "api" {
  family                   = "${var.name}-api"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  cpu                      = tostring(var.task_cpu)
  memory                   = tostring(var.task_memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container_definition])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
}

resource "aws_ecs_service" "api" {
  name            = "${var.name}-api"
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = var.desired_count

  # Rolling deployment: never below the current healthy count, up to double during a
  # rollout (the capacity provider adds instances for the surge); a deployment whose
  # tasks keep failing is stopped and rolled back to the last steady task definition.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 30

  deployment_controller {
    type = "ECS"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  capacity_provider_strategy {
    capacity_provider = var.capacity_provider_name
    weight            = 1
    base              = 0
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  # Survive the loss of an AZ or an instance.
  ordered_placement_strategy {
    type  = "spread"
    field = "attribute:ecs.availability-zone"
  }

  ordered_placement_strategy {
    type  = "spread"
    field = "instanceId"
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  enable_execute_command  = false

  lifecycle {
    # Autoscaling owns the running count after creation.
    ignore_changes = [desired_count]
  }
}

# ---------------------------------------------------------------------------------------
# Application Auto Scaling: target tracking on CPU and on ALB requests per task; the
# capacity provider then adds or removes EC2 instances to fit the task count.
# ---------------------------------------------------------------------------------------
resource "aws_appautoscaling_target" "api" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.api.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_count
  max_capacity       = var.max_count

  lifecycle {
    precondition {
      condition     = var.min_count <= var.desired_count && var.desired_count <= var.max_count
      error_message = "Task counts must satisfy min_count <= desired_count <= max_count."
    }
  }
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-api-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${var.name}-api-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.api.service_namespace
  resource_id        = aws_appautoscaling_target.api.resource_id
  scalable_dimension = aws_appautoscaling_target.api.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
    }
  }
}
