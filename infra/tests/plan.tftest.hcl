# Offline end-to-end check of the root module with a mocked AWS provider:
#   terraform init -backend=false && terraform test        (Terraform >= 1.7)
# No AWS credentials or API calls: every resource is "applied" against the mock, which
# exercises counts, conditionals, module wiring, outputs and variable validations.
# Mock values are only those the provider validates (ARN formats, launch template IDs).

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-north-1a", "eu-north-1b"] }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-north-1" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_ec2_managed_prefix_list" {
    defaults = { id = "pl-0123456789abcdef0" }
  }
  mock_data "aws_ssm_parameter" {
    defaults = { insecure_value = "ami-0123456789abcdef0" }
  }

  mock_resource "aws_launch_template" {
    defaults = { id = "lt-0123456789abcdef0", latest_version = 1 }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:eu-north-1:123456789012:loadbalancer/app/scorecard-alb/0123456789abcdef"
      dns_name = "scorecard-alb-123456789.eu-north-1.elb.amazonaws.com"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = { arn = "arn:aws:elasticloadbalancing:eu-north-1:123456789012:targetgroup/scorecard-api/0123456789abcdef" }
  }
  mock_resource "aws_wafv2_web_acl" {
    defaults = { arn = "arn:aws:wafv2:eu-north-1:123456789012:regional/webacl/scorecard-api/0123" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-north-1:123456789012:scorecard-jobs-alarms" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-north-1:123456789012:rule/scorecard-jobs" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-north-1:123456789012:log-group:mock" }
  }
  mock_resource "aws_iam_instance_profile" {
    defaults = { arn = "arn:aws:iam::123456789012:instance-profile/mock" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:eu-north-1:123456789012:repository/scorecard/api"
      repository_url = "123456789012.dkr.ecr.eu-north-1.amazonaws.com/scorecard/api"
    }
  }
  mock_resource "aws_autoscaling_group" {
    defaults = { arn = "arn:aws:autoscaling:eu-north-1:123456789012:autoScalingGroup:0123:autoScalingGroupName/mock" }
  }
  mock_resource "aws_db_instance" {
    defaults = {
      address = "scorecard-decisions.abc123.eu-north-1.rds.amazonaws.com"
      port    = 5432
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:eu-north-1:123456789012:secret:rds!db-0123-AbCdEf"
        kms_key_id    = "arn:aws:kms:eu-north-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        secret_status = "active"
      }]
    }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:eu-north-1:123456789012:cluster/scorecard" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn                  = "arn:aws:ecs:eu-north-1:123456789012:task-definition/scorecard-api:1"
      arn_without_revision = "arn:aws:ecs:eu-north-1:123456789012:task-definition/scorecard-api"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::scorecard-alb-logs-mock" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-north-1:123456789012:secret:scorecard/api-key-AbCdEf" }
  }
  mock_resource "aws_secretsmanager_secret_version" {
    defaults = { arn = "arn:aws:secretsmanager:eu-north-1:123456789012:secret:scorecard/api-key-AbCdEf" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-north-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
}

variables {
  aws_region         = "eu-north-1"
  availability_zones = ["eu-north-1a", "eu-north-1b"]
  image_tag          = "0.1.0-3f2c1ab"
}

run "http_only_defaults" {
  command = apply

  assert {
    condition     = output.endpoint_url == "http://scorecard-alb-123456789.eu-north-1.elb.amazonaws.com"
    error_message = "Without a certificate the endpoint is plain HTTP on the ALB's DNS name."
  }
  assert {
    condition     = output.image == "123456789012.dkr.ecr.eu-north-1.amazonaws.com/scorecard/api:0.1.0-3f2c1ab"
    error_message = "The service must run the ECR image at image_tag."
  }
  assert {
    condition     = length(module.network.nat_public_ips) == 2
    error_message = "One NAT gateway per AZ by default."
  }
  assert {
    condition     = length(aws_kms_key.this) == 1 && length(aws_secretsmanager_secret.api_key) == 1
    error_message = "A KMS key and the API key secret are created when none is supplied."
  }
  assert {
    condition     = module.alb.web_acl_arn != null
    error_message = "WAF is on by default."
  }
}

run "scheduled_jobs_and_deploy_role" {
  command = apply

  variables {
    jobs_image_tag    = "jobs-3f2c1ab"
    github_repository = "example/scorecard"
    alarm_emails      = ["risk-ops@example.com"]
  }

  assert {
    condition     = length(aws_scheduler_schedule.jobs) == 2 && aws_scheduler_schedule.jobs["monitor"].schedule_expression == "cron(0 6 1 * ? *)"
    error_message = "A monthly monitoring job and a batch scoring job are scheduled."
  }
  assert {
    condition     = alltrue([for s in aws_scheduler_schedule.jobs : !s.target[0].ecs_parameters[0].network_configuration[0].assign_public_ip])
    error_message = "Job tasks run in private subnets without public IPs."
  }
  assert {
    condition     = length(aws_iam_role.github_deploy) == 1 && length(aws_cloudwatch_event_rule.jobs_outcome) == 2
    error_message = "The deploy role and the jobs' alarm rules exist."
  }
}

run "card_registry" {
  command = apply

  variables {
    registry_enabled = true
  }

  assert {
    condition     = length(aws_s3_bucket.registry) == 1 && aws_s3_bucket.registry[0].object_lock_enabled
    error_message = "The registry's bucket exists, under object lock."
  }
  assert {
    condition     = aws_s3_bucket_object_lock_configuration.registry[0].rule[0].default_retention[0].mode == "GOVERNANCE"
    error_message = "The registry's objects are locked in governance mode."
  }
  assert {
    condition     = startswith(output.registry_url, "s3://") && endswith(output.registry_url, "/cards")
    error_message = "The registry's URL is s3://bucket/cards."
  }
  assert {
    condition     = length(module.ecs_service.task_role_arn) > 0
    error_message = "The tasks have a role to read the registry with."
  }
}

run "https_with_domain" {
  command = apply

  variables {
    certificate_arn = "arn:aws:acm:eu-north-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    domain_name     = "scoring.example.com"
  }

  assert {
    condition     = output.endpoint_url == "https://scoring.example.com"
    error_message = "With a certificate the endpoint is HTTPS on domain_name."
  }
  assert {
    condition     = module.alb.https_enabled
    error_message = "The HTTPS listener must exist when a certificate is given."
  }
}

run "bring_your_own_secret_and_key" {
  command = apply

  variables {
    api_key_secret_arn = "arn:aws:secretsmanager:eu-north-1:123456789012:secret:existing/api-key-AbCdEf"
    kms_key_arn        = "arn:aws:kms:eu-north-1:123456789012:key/99999999-2222-3333-4444-555555555555"
    single_nat_gateway = true
    waf_enabled        = false
  }

  assert {
    condition     = output.api_key_secret_arn == "arn:aws:secretsmanager:eu-north-1:123456789012:secret:existing/api-key-AbCdEf"
    error_message = "A supplied secret ARN is used as is."
  }
  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_secretsmanager_secret.api_key) == 0
    error_message = "Nothing is created when the key and the secret are supplied."
  }
  assert {
    condition     = length(module.network.nat_public_ips) == 1
    error_message = "single_nat_gateway creates one NAT gateway."
  }
}

run "rejects_invalid_inputs" {
  command = plan

  variables {
    aws_region         = "Europe"
    vpc_cidr           = "10.0.0.0/8"
    image_tag          = "latest"
    instance_type      = "big"
    availability_zones = ["eu-north-1a"]
  }

  expect_failures = [
    var.aws_region,
    var.vpc_cidr,
    var.image_tag,
    var.instance_type,
    var.availability_zones,
  ]
}
