# Credit-scorecard API on AWS: ECS on EC2 behind an ALB.
#
#   internet -> ALB (public subnets, WAF, TLS) -> ECS tasks (awsvpc, private subnets)
#               on an EC2 capacity provider (ASG of ECS-optimised AL2023 instances)
#
# Images come from a private ECR repository (immutable tags, scan on push); the API key is
# injected from Secrets Manager; logs, the secret and the images are encrypted with a
# customer-managed KMS key (created here unless kms_key_arn is supplied).

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  create_kms_key = var.kms_key_arn == ""
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn

  create_api_key = var.api_key_secret_arn == ""
  # Via the secret *version*, so that nothing consumes the secret before it has a value.
  api_key_secret_arn = local.create_api_key ? aws_secretsmanager_secret_version.api_key[0].arn : var.api_key_secret_arn
  secret_kms_key_arn = var.api_key_secret_kms_key_arn != "" ? var.api_key_secret_kms_key_arn : local.kms_key_arn

  ecr_repository_name = var.ecr_repository_name != "" ? var.ecr_repository_name : "${var.name}/api"
  container_port      = 8000 # fixed by the image (Dockerfile EXPOSE / uvicorn --port)
  # The image's SCORECARD_PROBE_PORT: /health and /ready answered by a process beside each worker,
  # never queued behind a flood of API connections (api/probes.py). The ALB checks it.
  probe_port = 8001

  decision_log_url = var.decision_log_enabled ? format(
    "postgresql://%s@%s:%d/%s?sslmode=require", module.database[0].username,
  module.database[0].address, module.database[0].port, module.database[0].database_name) : ""

  endpoint_host = var.domain_name != "" ? var.domain_name : module.alb.dns_name
  endpoint_url  = "${module.alb.https_enabled ? "https" : "http"}://${local.endpoint_host}"
}

# ---------------------------------------------------------------------------------------
# KMS: one customer-managed key for the stack's logs, secret and images, with yearly
# automatic rotation. Key administration stays with the account (IAM decides who);
# CloudWatch Logs may use it only for this account's log groups in this region.
# ---------------------------------------------------------------------------------------
resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "${var.name}: CloudWatch logs, API key secret and ECR images"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersKeyViaIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action = [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
      {
        # EventBridge publishes the jobs' alarms to the encrypted SNS topic (infra/jobs.tf).
        Sid       = "EventBridgeToEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this[0].key_id
}

# ---------------------------------------------------------------------------------------
# ECR repository for the API image.
# ---------------------------------------------------------------------------------------
resource "aws_ecr_repository" "api" {
  name                 = local.ecr_repository_name
  image_tag_mutability = "IMMUTABLE" # a tag always means the same scorecard build
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  # Encryption settings of a repository cannot change after creation.
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = local.kms_key_arn
  }
}

# Untagged layers (failed/partial pushes) go after a week; of the tagged images the newest
# ecr_keep_images stay, enough to roll back to any recently deployed scorecard.
resource "aws_ecr_lifecycle_policy" "api" {
  repository = aws_ecr_repository.api.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep only the newest ${var.ecr_keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# ---------------------------------------------------------------------------------------
# API key: an existing Secrets Manager secret (api_key_secret_arn), or one created here
# with a random 48-character value. Rotate by writing a new value and forcing a new
# deployment (see README); Terraform ignores later out-of-band changes to the value.
# ---------------------------------------------------------------------------------------
# Secrets Manager's GetRandomPassword, so no extra provider is needed. The data source is
# re-read on every plan, which is harmless: the secret version ignores later changes.
data "aws_secretsmanager_random_password" "api_key" {
  count = local.create_api_key ? 1 : 0

  password_length     = 48
  exclude_punctuation = true # header-safe
}

resource "aws_secretsmanager_secret" "api_key" {
  #checkov:skip=CKV2_AWS_57:Static client API key shared with the calling systems; rotation is a coordinated manual procedure (put-secret-value + force-new-deployment, see README), not a Lambda rotation.
  count = local.create_api_key ? 1 : 0

  name_prefix             = "${var.name}/api-key-"
  description             = "API key the ${var.name} scoring API expects in X-API-Key"
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "api_key" {
  count = local.create_api_key ? 1 : 0

  secret_id     = aws_secretsmanager_secret.api_key[0].id
  secret_string = data.aws_secretsmanager_random_password.api_key[0].random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# ---------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------
module "network" {
  source = "./modules/network"

  name                    = var.name
  vpc_cidr                = var.vpc_cidr
  availability_zones      = var.availability_zones
  single_nat_gateway      = var.single_nat_gateway
  flow_log_retention_days = var.log_retention_days
  kms_key_arn             = local.kms_key_arn
}

module "alb" {
  source = "./modules/alb"

  name                       = var.name
  vpc_id                     = module.network.vpc_id
  public_subnet_ids          = module.network.public_subnet_ids
  ingress_cidrs              = var.alb_ingress_cidrs
  certificate_arn            = var.certificate_arn
  container_port             = local.container_port
  health_check_path          = "/health"
  health_check_port          = local.probe_port
  deletion_protection        = var.alb_deletion_protection
  access_logs_force_destroy  = var.access_logs_force_destroy
  access_logs_retention_days = var.log_retention_days
  waf_enabled                = var.waf_enabled
  waf_rate_limit             = var.waf_rate_limit
  log_retention_days         = var.log_retention_days
  kms_key_arn                = local.kms_key_arn
}

module "ecs_cluster" {
  source = "./modules/ecs_cluster"

  name               = var.name
  vpc_id             = module.network.vpc_id
  private_subnet_ids = module.network.private_subnet_ids
  instance_type      = var.instance_type
  root_volume_size   = var.root_volume_size
  min_size           = var.asg_min_size
  max_size           = var.asg_max_size
}

module "ecs_service" {
  source = "./modules/ecs_service"

  name                    = var.name
  vpc_id                  = module.network.vpc_id
  private_subnet_ids      = module.network.private_subnet_ids
  cluster_arn             = module.ecs_cluster.cluster_arn
  cluster_name            = module.ecs_cluster.cluster_name
  capacity_provider_name  = module.ecs_cluster.capacity_provider_name
  alb_security_group_id   = module.alb.security_group_id
  target_group_arn        = module.alb.target_group_arn
  alb_arn_suffix          = module.alb.alb_arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
  ecr_repository_arn      = aws_ecr_repository.api.arn
  image                   = "${aws_ecr_repository.api.repository_url}:${var.image_tag}"
  container_port          = local.container_port
  probe_port              = local.probe_port
  web_concurrency         = var.web_concurrency
  task_cpu                = var.task_cpu
  task_memory             = var.task_memory
  api_key_secret_arn      = local.api_key_secret_arn
  secret_kms_key_arn      = local.secret_kms_key_arn
  kms_key_arn             = local.kms_key_arn
  log_retention_days      = var.log_retention_days
  desired_count           = var.desired_count
  min_count               = var.min_count
  max_count               = var.max_count
  cpu_target_percent      = var.cpu_target_percent
  requests_per_target     = var.requests_per_target
  decision_log_url        = local.decision_log_url
  decision_log_secret_arn = var.decision_log_enabled ? module.database[0].master_user_secret_arn : ""
  registry_enabled        = var.registry_enabled
  registry_url            = local.registry_url
  registry_bucket_arn     = var.registry_enabled ? aws_s3_bucket.registry[0].arn : ""
}

# The decision log (every answer on record before it is sent): RDS PostgreSQL, reachable
# only from the tasks. TLS required (rds.force_ssl); the password comes from the secret RDS
# manages, injected as PGPASSWORD.
module "database" {
  source = "./modules/database"
  count  = var.decision_log_enabled ? 1 : 0

  name                   = var.name
  vpc_id                 = module.network.vpc_id
  private_subnet_ids     = module.network.private_subnet_ids
  task_security_group_id = module.ecs_service.task_security_group_id
  kms_key_arn            = local.kms_key_arn
  instance_class         = var.decision_log_instance_class
  backup_retention_days  = var.decision_log_backup_retention_days
  deletion_protection    = var.decision_log_deletion_protection
}
