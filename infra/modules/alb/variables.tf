variable "name" {
  description = "Name prefix for the load balancer and its companions."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC the target group lives in."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two AZs) the internet-facing ALB is placed in."
  type        = list(string)
}

variable "ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the ALB on 80/443."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the HTTPS listener; empty string = plain HTTP only."
  type        = string
  default     = ""
}

variable "ssl_policy" {
  description = "TLS security policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "container_port" {
  description = "Port the API container listens on (target group port)."
  type        = number
  default     = 8000
}

variable "health_check_path" {
  description = "HTTP path of the target group health check (the API's liveness endpoint)."
  type        = string
  default     = "/health"
}

variable "health_check_port" {
  description = "Port of the target group health check: the tasks' probe port (SCORECARD_PROBE_PORT), which a flood on the API port cannot delay."
  type        = number
  default     = 8001
}

variable "idle_timeout" {
  description = "ALB idle timeout in seconds; must stay below uvicorn's --timeout-keep-alive (65)."
  type        = number
  default     = 60
}

variable "deletion_protection" {
  description = "Protect the ALB from deletion (set false before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "access_logs_retention_days" {
  description = "Days ALB access logs are kept in S3 before they expire."
  type        = number
  default     = 365
}

variable "access_logs_force_destroy" {
  description = "Allow `terraform destroy` to delete the access-log bucket while it still holds logs."
  type        = bool
  default     = false
}

variable "waf_enabled" {
  description = "Attach an AWS WAF web ACL (managed rule groups + per-IP rate limit) to the ALB."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Maximum requests per client IP in any 5-minute window before WAF blocks it."
  type        = number
  default     = 2000
}

variable "api_key_header" {
  description = "Name of the API key header, redacted from WAF logs."
  type        = string
  default     = "x-api-key"
}

variable "log_retention_days" {
  description = "Retention in days of the WAF log group."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the WAF log group."
  type        = string
}
