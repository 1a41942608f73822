variable "name" {
  description = "Name prefix of the service, its task definition family, roles and log group."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC the tasks run in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the tasks' ENIs (awsvpc)."
  type        = list(string)
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster (Application Auto Scaling resource ID)."
  type        = string
}

variable "capacity_provider_name" {
  description = "EC2 capacity provider the service places its tasks on."
  type        = string
}

variable "alb_security_group_id" {
  description = "Security group of the ALB: the only source allowed to reach the tasks."
  type        = string
}

variable "target_group_arn" {
  description = "ALB target group (target_type ip) the tasks register with."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the ALB, for the request-count scaling metric."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group, for the request-count scaling metric."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository the execution role may pull from."
  type        = string
}

variable "image" {
  description = "Full image reference (<repository url>:<immutable tag>)."
  type        = string
}

variable "container_port" {
  description = "Port uvicorn listens on inside the container."
  type        = number
  default     = 8000
}

variable "probe_port" {
  description = "Port on which each worker answers /health and /ready alone (SCORECARD_PROBE_PORT): the ALB's and the container's health checks."
  type        = number
  default     = 8001
}

variable "container_user" {
  description = "uid:gid the container runs as (the Dockerfile's unprivileged user)."
  type        = string
  default     = "10001:10001"
}

variable "artifact_path" {
  description = "Path of the model artifact inside the image (SCORECARD_ARTIFACT)."
  type        = string
  default     = "/app/reports/scorecard.json"
}

variable "web_concurrency" {
  description = "uvicorn worker processes per task (WEB_CONCURRENCY)."
  type        = number
  default     = 2
}

variable "task_cpu" {
  description = "CPU units reserved per task (1024 = one vCPU)."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Memory in MiB reserved per task (hard limit)."
  type        = number
  default     = 512
}

variable "tmp_size_mib" {
  description = "Size in MiB of the tmpfs mounted at /tmp (the only writable path with a read-only root)."
  type        = number
  default     = 64
}

variable "api_key_secret_arn" {
  description = "ARN of the Secrets Manager secret injected as SCORECARD_API_KEY."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the task log group."
  type        = string
}

variable "secret_kms_key_arn" {
  description = "KMS key encrypting the API key secret (the execution role may decrypt with it via Secrets Manager only)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention in days of the task log group."
  type        = number
  default     = 365
}

variable "desired_count" {
  description = "Initial number of tasks (afterwards owned by autoscaling)."
  type        = number
}

variable "min_count" {
  description = "Minimum number of tasks autoscaling may scale in to."
  type        = number
}

variable "max_count" {
  description = "Maximum number of tasks autoscaling may scale out to."
  type        = number
}

variable "cpu_target_percent" {
  description = "Target average CPU utilisation (%) of the service for target tracking."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "Target ALB requests per task per minute for target tracking."
  type        = number
  default     = 1000
}

variable "decision_log_url" {
  description = "SCORECARD_DECISION_LOG of the tasks (postgresql://user@host:port/db, no password); empty: no decision log."
  type        = string
  default     = ""
}

variable "decision_log_secret_arn" {
  description = "Secrets Manager secret (JSON with a password key) of the decision log's database user; empty: none."
  type        = string
  default     = ""
}

variable "registry_enabled" {
  description = "Serve from the card registry: SCORECARD_REGISTRY set, its bucket readable (a flag, known at plan time)."
  type        = bool
  default     = false
}

variable "registry_url" {
  description = "SCORECARD_REGISTRY of the tasks (s3://bucket/prefix); empty: they serve the image's card."
  type        = string
  default     = ""
}

variable "registry_bucket_arn" {
  description = "ARN of the registry's bucket, which the task role may read (never write); empty: none."
  type        = string
  default     = ""
}
