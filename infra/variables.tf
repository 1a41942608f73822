# ---------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------
variable "aws_region" {
  description = "AWS region to deploy into, e.g. eu-north-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$", var.aws_region))
    error_message = "aws_region must look like an AWS region code, e.g. eu-north-1 or us-gov-west-1."
  }
}

variable "name" {
  description = "Short name prefixing every resource (cluster, ALB, roles, log groups), e.g. scorecard-prod."
  type        = string
  default     = "scorecard"

  validation {
    # ALB and target group names are limited to 32 characters and get "-alb"/"-api";
    # ECS capacity provider names may not start with aws/ecs/fargate.
    condition = (
      can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name))
      && !can(regex("^(aws|ecs|fargate)", var.name))
    )
    error_message = "name must be 3-20 characters of lowercase letters, digits and hyphens, start with a letter, and not start with aws, ecs or fargate."
  }
}

variable "environment" {
  description = "Deployment environment, used in tags."
  type        = string
  default     = "prod"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource (merged into the provider's default tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------
variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC (/16 to /22); public and private subnets are carved out of it."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition = (
      can(cidrhost(var.vpc_cidr, 0))
      && can(regex("^[0-9.]+/[0-9]+$", var.vpc_cidr))
      && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 22, false)
    )
    error_message = "vpc_cidr must be a valid IPv4 CIDR block with a prefix length between /16 and /22."
  }
}

variable "availability_zones" {
  description = "The two (or three) AZs of aws_region to use, e.g. [\"eu-north-1a\", \"eu-north-1b\"]; pinned so subnets never move."
  type        = list(string)

  validation {
    condition = (
      length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3
      && length(distinct(var.availability_zones)) == length(var.availability_zones)
      && alltrue([for az in var.availability_zones : can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+[a-z]$", az))])
    )
    error_message = "availability_zones must be 2 or 3 distinct AZ names such as eu-north-1a (an ALB needs two AZs)."
  }
}

variable "single_nat_gateway" {
  description = "Use one NAT gateway for both AZs (cheaper; egress then depends on one AZ) instead of one per AZ."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------
# Load balancer
# ---------------------------------------------------------------------------------------
variable "certificate_arn" {
  description = "ACM certificate ARN (same region) for the HTTPS listener. Empty: HTTP only, no redirect."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "domain_name" {
  description = "DNS name clients use (a CNAME/alias to the ALB, covered by the certificate); empty: the ALB's own DNS name."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be empty or a lowercase fully qualified domain name, e.g. scoring.example.com."
  }
}

variable "alb_ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the ALB on 80/443 (restrict to partner/office ranges where possible)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0 && alltrue([for c in var.alb_ingress_cidrs : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/[0-9]+$", c))])
    error_message = "alb_ingress_cidrs must be a non-empty list of valid IPv4 CIDR blocks."
  }
}

variable "alb_deletion_protection" {
  description = "Protect the ALB against deletion. Set to false (and apply) before `terraform destroy`."
  type        = bool
  default     = true
}

variable "access_logs_force_destroy" {
  description = "Let `terraform destroy` delete the ALB access-log bucket even though it contains logs."
  type        = bool
  default     = false
}

variable "waf_enabled" {
  description = "Put an AWS WAF web ACL (AWS managed rules + per-IP rate limit) in front of the ALB."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes above which WAF blocks the IP."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 100 and 2,000,000,000 (WAF limits)."
  }
}

# ---------------------------------------------------------------------------------------
# Image
# ---------------------------------------------------------------------------------------
variable "ecr_repository_name" {
  description = "Name of the ECR repository; empty: \"<name>/api\"."
  type        = string
  default     = ""

  validation {
    condition     = var.ecr_repository_name == "" || can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.ecr_repository_name))
    error_message = "ecr_repository_name must be a valid ECR repository name (lowercase, digits, . _ - /)."
  }
}

variable "ecr_force_delete" {
  description = "Let `terraform destroy` delete the ECR repository even if it still holds images."
  type        = bool
  default     = false
}

variable "ecr_keep_images" {
  description = "Number of most recent images kept in ECR (older ones expire); keep enough to roll back."
  type        = number
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 5 && var.ecr_keep_images <= 1000 && floor(var.ecr_keep_images) == var.ecr_keep_images
    error_message = "ecr_keep_images must be a whole number between 5 and 1000."
  }
}

variable "image_tag" {
  description = "Immutable image tag to deploy (e.g. the git SHA or card version); a new tag + apply rolls out a new scorecard."
  type        = string

  validation {
    condition     = length(trimspace(var.image_tag)) > 0 && can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a non-empty Docker tag (max 128 of [A-Za-z0-9_.-]) and not \"latest\": tags are immutable."
  }
}

# ---------------------------------------------------------------------------------------
# EC2 capacity
# ---------------------------------------------------------------------------------------
variable "instance_type" {
  description = "Container instance type. In awsvpc mode each task uses an ENI: a t3.small/t3.medium fits 2 tasks (3 ENIs minus the primary)."
  type        = string
  default     = "t3.medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.(nano|micro|small|medium|large|metal|[0-9]+xlarge|xlarge)$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t3.medium, m7i.large or c7g.2xlarge."
  }
}

variable "root_volume_size" {
  description = "Root EBS volume size in GiB of each container instance (encrypted gp3)."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_size >= 30 && var.root_volume_size <= 500
    error_message = "root_volume_size must be between 30 GiB (the ECS AMI's snapshot size) and 500 GiB."
  }
}

variable "asg_min_size" {
  description = "Minimum number of EC2 container instances."
  type        = number
  default     = 2

  validation {
    condition     = var.asg_min_size >= 0 && var.asg_min_size <= 20 && floor(var.asg_min_size) == var.asg_min_size
    error_message = "asg_min_size must be a whole number between 0 and 20."
  }
}

variable "asg_max_size" {
  description = "Maximum number of EC2 container instances (must be >= asg_min_size and leave room for deployment surges)."
  type        = number
  default     = 6

  validation {
    condition     = var.asg_max_size >= 1 && var.asg_max_size <= 50 && floor(var.asg_max_size) == var.asg_max_size
    error_message = "asg_max_size must be a whole number between 1 and 50."
  }
}

# ---------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------
variable "task_cpu" {
  description = "CPU units per task (1024 = 1 vCPU)."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.task_cpu)
    error_message = "task_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "task_memory" {
  description = "Memory (MiB) per task; the container is killed above it."
  type        = number
  default     = 512

  validation {
    condition     = var.task_memory >= 256 && var.task_memory <= 16384
    error_message = "task_memory must be between 256 and 16384 MiB."
  }
}

variable "web_concurrency" {
  description = "uvicorn worker processes per task (WEB_CONCURRENCY); about one per 512 CPU units."
  type        = number
  default     = 2

  validation {
    condition     = var.web_concurrency >= 1 && var.web_concurrency <= 16 && floor(var.web_concurrency) == var.web_concurrency
    error_message = "web_concurrency must be a whole number between 1 and 16."
  }
}

variable "desired_count" {
  description = "Number of tasks at creation (autoscaling adjusts it afterwards); 2+ for one per AZ."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 50 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number between 1 and 50."
  }
}

variable "min_count" {
  description = "Minimum number of tasks autoscaling keeps running."
  type        = number
  default     = 2

  validation {
    condition     = var.min_count >= 1 && var.min_count <= 50 && floor(var.min_count) == var.min_count
    error_message = "min_count must be a whole number between 1 and 50."
  }
}

variable "max_count" {
  description = "Maximum number of tasks autoscaling may run."
  type        = number
  default     = 8

  validation {
    condition     = var.max_count >= 1 && var.max_count <= 100 && floor(var.max_count) == var.max_count
    error_message = "max_count must be a whole number between 1 and 100."
  }
}

variable "cpu_target_percent" {
  description = "Target average CPU utilisation (%) for the CPU target-tracking policy."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 20 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 20 and 90."
  }
}

variable "requests_per_target" {
  description = "Target ALB requests per task per minute for the request-count target-tracking policy."
  type        = number
  default     = 1000

  validation {
    condition     = var.requests_per_target >= 10 && var.requests_per_target <= 100000
    error_message = "requests_per_target must be between 10 and 100000."
  }
}

# ---------------------------------------------------------------------------------------
# Logs, encryption, secrets
# ---------------------------------------------------------------------------------------
variable "log_retention_days" {
  description = "Retention of CloudWatch logs (API, VPC flow, WAF) and ALB access logs; credit decisions need a long audit trail."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least one year (365, 400, 545, 731, 1096, 1827, ...)."
  }
}

variable "kms_key_arn" {
  description = "Existing KMS key ARN for logs, the secret and ECR; empty: a dedicated key with rotation is created."
  type        = string
  default     = ""

  validation {
    condition     = var.kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "api_key_secret_arn" {
  description = "Existing Secrets Manager secret ARN holding the API key (plain string); empty: a secret with a random key is created."
  type        = string
  default     = ""

  validation {
    condition     = var.api_key_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.api_key_secret_arn))
    error_message = "api_key_secret_arn must be empty or a Secrets Manager secret ARN."
  }
}

variable "api_key_secret_kms_key_arn" {
  description = "KMS key encrypting an existing api_key_secret_arn, if it is a customer-managed key other than kms_key_arn."
  type        = string
  default     = ""

  validation {
    condition     = var.api_key_secret_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.api_key_secret_kms_key_arn))
    error_message = "api_key_secret_kms_key_arn must be empty or a KMS key ARN."
  }
}

variable "decision_log_enabled" {
  description = "Record every answer in the decision log, an RDS PostgreSQL created here (SCORECARD_DECISION_LOG)."
  type        = bool
  default     = true
}

variable "decision_log_instance_class" {
  description = "RDS instance class of the decision log."
  type        = string
  default     = "db.t4g.medium"
}

variable "decision_log_deletion_protection" {
  description = "Protect the decision log's database against deletion. Set to false (and apply) before `terraform destroy`."
  type        = bool
  default     = true
}

variable "decision_log_backup_retention_days" {
  description = "Days of automated backups of the decision log (7-35)."
  type        = number
  default     = 35
}

variable "registry_enabled" {
  description = "Create the card registry's bucket and serve from it (SCORECARD_REGISTRY): promote a champion there before the tasks start, they refuse a registry without one."
  type        = bool
  default     = false
}

variable "registry_retention_days" {
  description = "Days each version of a registry object is kept under object lock (governance mode)."
  type        = number
  default     = 3650

  validation {
    condition     = var.registry_retention_days >= 1
    error_message = "registry_retention_days must be at least 1."
  }
}
