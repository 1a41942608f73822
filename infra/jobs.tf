# Scheduled jobs, the scorecard's MLOps loop: EventBridge Scheduler starts ECS tasks on the
# same cluster (private subnets, no public IP):
#   - monitor (monthly): `scorecard monitor` over the month's applicants in S3; exit code 5
#     (a threshold breached) raises the monitoring alarm, any other failure the job alarm;
#   - score (daily): `scorecard score` of every file under the input prefix, written under
#     the output prefix.
# Each task moves its files with the AWS CLI image: `fetch` copies the input prefix into a
# task-local volume, the scorecard container runs once fetch succeeded, `publish` copies
# the results to S3 once the scorecard container succeeded (container dependencies), so the
# scorecard image itself needs no AWS SDK. By hand, the same task runs with
#   aws ecs run-task --cluster <cluster> --task-definition <name>-monitor ... (README).

variable "jobs_image_tag" {
  description = "Tag in the jobs ECR repository of the image with the full `scorecard` CLI; empty: no scheduled jobs."
  type        = string
  default     = ""
}

variable "jobs_aws_cli_image" {
  description = "AWS CLI image that copies the jobs' files from and to S3."
  type        = string
  default     = "public.ecr.aws/aws-cli/aws-cli:2.22.35"
}

variable "monitor_schedule" {
  description = "When the monitoring job runs (EventBridge Scheduler expression, UTC)."
  type        = string
  default     = "cron(0 6 1 * ? *)" # 06:00 on the first of every month
}

variable "score_schedule" {
  description = "When the batch scoring job runs (EventBridge Scheduler expression, UTC)."
  type        = string
  default     = "cron(0 2 * * ? *)" # 02:00 every day
}

variable "alarm_emails" {
  description = "Addresses subscribed to the jobs' alarm topic (each must confirm)."
  type        = list(string)
  default     = []
}

locals {
  jobs_enabled = var.jobs_image_tag != ""
  jobs_image   = "${aws_ecr_repository.jobs.repository_url}:${var.jobs_image_tag}"
  jobs_bucket  = aws_s3_bucket.jobs.bucket
  # What the scorecard container runs, through `sh -c` (the jobs image's shell): monitor
  # takes one file per period, named by the glob (a file's stem names its period); score
  # expands its quoted glob itself. `exec` hands the exit code (5: breach) to ECS.
  # tests/deploy/test_jobs_image.py runs these very lines in the jobs image.
  jobs = {
    monitor = {
      input  = "monitor/input/"
      output = "monitor/output/"
      script = "exec python -m scorecard monitor --artifact /app/reports/scorecard.json --input /work/input/* --out /work/output"
    }
    score = {
      input  = "score/input/"
      output = "score/output/"
      script = "exec python -m scorecard score --engine duckdb --artifact /app/reports/scorecard.json --input '/work/input/*' --output /work/output/scores.csv --temp-directory /work/tmp"
    }
  }
}

# ---------------------------------------------------------------------------------------
# Image repository and data bucket
# ---------------------------------------------------------------------------------------
resource "aws_ecr_repository" "jobs" {
  name                 = "${local.ecr_repository_name}-jobs"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = local.kms_key_arn
  }
}

resource "aws_s3_bucket" "jobs" {
  #checkov:skip=CKV_AWS_144:Job inputs and outputs are reproducible from their sources; no second-region copy is needed.
  #checkov:skip=CKV_AWS_18:Access is by the jobs' own roles only, recorded by CloudTrail; a server access log bucket would add nothing.
  #checkov:skip=CKV2_AWS_62:The jobs run on a schedule; nothing consumes object-created events of this bucket.
  bucket_prefix = "${var.name}-jobs-"
  force_destroy = var.access_logs_force_destroy
}

resource "aws_s3_bucket_public_access_block" "jobs" {
  bucket                  = aws_s3_bucket.jobs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "jobs" {
  bucket = aws_s3_bucket.jobs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "jobs" {
  bucket = aws_s3_bucket.jobs.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.log_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_versioning" "jobs" {
  bucket = aws_s3_bucket.jobs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_cloudwatch_log_group" "jobs" {
  name              = "/ecs/${var.name}/jobs"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
}

# ---------------------------------------------------------------------------------------
# IAM: execution role (pull, logs), task role (its own S3 prefixes only), scheduler role
# (run these task definitions only).
# ---------------------------------------------------------------------------------------
data "aws_iam_policy_document" "jobs_assume" {
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
  }
}

resource "aws_iam_role" "jobs_execution" {
  name_prefix        = "${var.name}-jobs-exec-"
  description        = "Scheduled jobs of ${var.name}: image pull and logs"
  assume_role_policy = data.aws_iam_policy_document.jobs_assume.json
}

data "aws_iam_policy_document" "jobs_execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "EcrPullJobsImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.jobs.arn]
  }
  statement {
    sid       = "WriteJobLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.jobs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "jobs_execution" {
  name   = "pull-logs"
  role   = aws_iam_role.jobs_execution.id
  policy = data.aws_iam_policy_document.jobs_execution.json
}

resource "aws_iam_role" "jobs_task" {
  for_each           = local.jobs
  name_prefix        = "${var.name}-${each.key}-"
  description        = "The ${each.key} job of ${var.name}: read its input prefix, write its output prefix"
  assume_role_policy = data.aws_iam_policy_document.jobs_assume.json
}

data "aws_iam_policy_document" "jobs_task" {
  for_each = local.jobs
  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.jobs.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${each.value.input}*", "${each.value.output}*"]
    }
  }
  statement {
    sid       = "ReadInput"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.jobs.arn}/${each.value.input}*"]
  }
  statement {
    sid       = "WriteOutput"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.jobs.arn}/${each.value.output}*"]
  }
  statement {
    sid       = "BucketKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "jobs_task" {
  for_each = local.jobs
  name     = "own-prefixes"
  role     = aws_iam_role.jobs_task[each.key].id
  policy   = data.aws_iam_policy_document.jobs_task[each.key].json
}

# ---------------------------------------------------------------------------------------
# Task definitions: fetch -> scorecard -> publish over a task-local volume.
# ---------------------------------------------------------------------------------------
resource "aws_security_group" "jobs" {
  #checkov:skip=CKV2_AWS_5:Attached to the job tasks through the schedules' network configuration, which the check does not model.
  name_prefix = "${var.name}-jobs-"
  description = "Scheduled jobs of ${var.name}: no inbound, HTTPS out (S3, ECR, logs)"
  vpc_id      = module.network.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "jobs_https" {
  security_group_id = aws_security_group.jobs.id
  description       = "HTTPS to AWS APIs (S3 through the gateway endpoint, ECR, logs)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_ecs_task_definition" "jobs" {
  for_each = local.jobs_enabled ? local.jobs : {}

  family                   = "${var.name}-${each.key}"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  cpu                      = "1024"
  memory                   = "2048"
  execution_role_arn       = aws_iam_role.jobs_execution.arn
  task_role_arn            = aws_iam_role.jobs_task[each.key].arn

  volume {
    name = "work"
  }

  container_definitions = jsonencode([
    for c in [
      {
        name        = "fetch"
        image       = var.jobs_aws_cli_image
        entry_point = null # the image's own (aws)
        command     = ["s3", "cp", "--recursive", "--only-show-errors", "s3://${local.jobs_bucket}/${each.value.input}", "/work/input/"]
        essential   = false
        depends_on  = []
      },
      {
        name        = "scorecard"
        image       = local.jobs_image
        entry_point = ["sh", "-c"]
        command     = [each.value.script]
        essential   = false
        depends_on  = [{ containerName = "fetch", condition = "SUCCESS" }]
      },
      {
        name        = "publish"
        image       = var.jobs_aws_cli_image
        entry_point = null
        command     = ["s3", "cp", "--recursive", "--only-show-errors", "/work/output/", "s3://${local.jobs_bucket}/${each.value.output}"]
        essential   = true
        depends_on  = [{ containerName = "scorecard", condition = "SUCCESS" }]
      },
      ] : {
      name                   = c.name
      image                  = c.image
      entryPoint             = c.entry_point
      command                = c.command
      essential              = c.essential
      dependsOn              = c.depends_on
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      mountPoints            = [{ sourceVolume = "work", containerPath = "/work" }]
      environment            = [{ name = "HOME", value = "/work" }]
      linuxParameters        = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.jobs.name
          "awslogs-region"        = local.region
          "awslogs-stream-prefix" = "${each.key}-${c.name}"
        }
      }
    }
  ])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count              = local.jobs_enabled ? 1 : 0
  name_prefix        = "${var.name}-scheduler-"
  description        = "EventBridge Scheduler of ${var.name}: runs the job task definitions"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler" {
  count = local.jobs_enabled ? 1 : 0
  statement {
    sid       = "RunJobTasks"
    actions   = ["ecs:RunTask"]
    resources = [for t in aws_ecs_task_definition.jobs : "${t.arn_without_revision}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [module.ecs_cluster.cluster_arn]
    }
  }
  statement {
    sid     = "PassJobRoles"
    actions = ["iam:PassRole"]
    resources = concat([aws_iam_role.jobs_execution.arn],
    [for r in aws_iam_role.jobs_task : r.arn])
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count  = local.jobs_enabled ? 1 : 0
  name   = "run-jobs"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler[0].json
}

resource "aws_scheduler_schedule" "jobs" {
  for_each = local.jobs_enabled ? local.jobs : {}

  name                         = "${var.name}-${each.key}"
  description                  = "Runs the ${each.key} job of ${var.name}"
  schedule_expression          = each.key == "monitor" ? var.monitor_schedule : var.score_schedule
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = local.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = module.ecs_cluster.cluster_arn
    role_arn = aws_iam_role.scheduler[0].arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.jobs[each.key].arn_without_revision
      task_count          = 1

      capacity_provider_strategy {
        capacity_provider = module.ecs_cluster.capacity_provider_name
        weight            = 1
      }

      network_configuration {
        subnets          = module.network.private_subnet_ids
        security_groups  = [aws_security_group.jobs.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_retry_attempts = 2
    }
  }
}

# ---------------------------------------------------------------------------------------
# Alarms: a stopped job task whose scorecard container exited 5 (monitoring threshold
# breached) or failed otherwise notifies the alarm topic; so does a schedule that could
# not start its task.
# ---------------------------------------------------------------------------------------
resource "aws_sns_topic" "jobs_alarms" {
  name_prefix       = "${var.name}-jobs-alarms-"
  kms_master_key_id = local.kms_key_arn
}

resource "aws_sns_topic_subscription" "jobs_alarms" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.jobs_alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_event_rule" "jobs_outcome" {
  for_each = {
    monitoring_breach = { family = "${var.name}-monitor", exit = [5] }
    job_failure       = { family = "${var.name}-", exit = [{ "anything-but" = [0, 5] }] }
  }

  name        = "${var.name}-${replace(each.key, "_", "-")}"
  description = "Job task of ${var.name} stopped with ${each.key == "monitoring_breach" ? "exit code 5 (monitoring threshold breached)" : "a failure"}"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [module.ecs_cluster.cluster_arn]
      lastStatus = ["STOPPED"]
      group      = [{ prefix = "family:${each.value.family}" }]
      containers = { name = ["scorecard"], exitCode = each.value.exit }
    }
  })
}

resource "aws_cloudwatch_event_target" "jobs_outcome" {
  for_each = aws_cloudwatch_event_rule.jobs_outcome
  rule     = each.value.name
  arn      = aws_sns_topic.jobs_alarms.arn
}

data "aws_iam_policy_document" "jobs_alarms" {
  statement {
    sid       = "EventBridgePublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.jobs_alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [for r in aws_cloudwatch_event_rule.jobs_outcome : r.arn]
    }
  }
}

resource "aws_sns_topic_policy" "jobs_alarms" {
  arn    = aws_sns_topic.jobs_alarms.arn
  policy = data.aws_iam_policy_document.jobs_alarms.json
}

resource "aws_cloudwatch_metric_alarm" "jobs_schedule_errors" {
  count               = local.jobs_enabled ? 1 : 0
  alarm_name          = "${var.name}-jobs-schedule-errors"
  alarm_description   = "EventBridge Scheduler could not start a job task of ${var.name}"
  namespace           = "AWS/Scheduler"
  metric_name         = "TargetErrorCount"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.jobs_alarms.arn]
}

output "jobs_bucket" {
  description = "S3 bucket of the scheduled jobs (monitor/ and score/ input and output prefixes)."
  value       = aws_s3_bucket.jobs.bucket
}

output "jobs_ecr_repository_url" {
  description = "ECR repository of the jobs image (the full scorecard CLI)."
  value       = aws_ecr_repository.jobs.repository_url
}
