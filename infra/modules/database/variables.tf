variable "name" {
  description = "Name prefix of every resource."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two AZs) of the database's subnet group."
  type        = list(string)
}

variable "task_security_group_id" {
  description = "Security group of the API tasks: the only one allowed to connect."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the storage, the master password secret and Performance Insights."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL major version (the tests run against 15)."
  type        = string
  default     = "15"
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "database_name" {
  description = "Name of the database holding the decision log."
  type        = string
  default     = "decisions"
}

variable "master_username" {
  description = "Master user name (its password is generated and kept by RDS in Secrets Manager)."
  type        = string
  default     = "scorecard"
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 50
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 500
}

variable "multi_az" {
  description = "A synchronous standby in the second AZ."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (a final snapshot is taken either way)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery)."
  type        = number
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 7 and 35."
  }
}
