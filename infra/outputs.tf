output "endpoint_url" {
  description = "Base URL of the scoring API (https:// when a certificate is configured, else http://)."
  value       = local.endpoint_url
}

output "health_url" {
  description = "Liveness URL, handy for smoke tests."
  value       = "${local.endpoint_url}/health"
}

output "alb_dns_name" {
  description = "DNS name of the ALB (target of the CNAME/alias record for domain_name)."
  value       = module.alb.dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the ALB, for an alias record."
  value       = module.alb.zone_id
}

output "ecr_repository_url" {
  description = "ECR repository URL to tag and push the API image to."
  value       = aws_ecr_repository.api.repository_url
}

output "image" {
  description = "Image reference the service currently runs."
  value       = "${aws_ecr_repository.api.repository_url}:${var.image_tag}"
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.ecs_cluster.cluster_name
}

output "service_name" {
  description = "Name of the ECS service."
  value       = module.ecs_service.service_name
}

output "task_definition_arn" {
  description = "ARN of the task definition revision the service runs."
  value       = module.ecs_service.task_definition_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the API containers."
  value       = module.ecs_service.log_group_name
}

output "api_key_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the API key (read it with aws secretsmanager get-secret-value)."
  value       = local.api_key_secret_arn
}

output "kms_key_arn" {
  description = "KMS key encrypting logs, the API key secret and ECR images."
  value       = local.kms_key_arn
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "nat_public_ips" {
  description = "Egress IPs of the NAT gateways."
  value       = module.network.nat_public_ips
}

output "alb_access_logs_bucket" {
  description = "S3 bucket with the ALB access logs."
  value       = module.alb.access_logs_bucket
}

output "autoscaling_group_name" {
  description = "Autoscaling group of the container instances."
  value       = module.ecs_cluster.autoscaling_group_name
}

output "decision_log_address" {
  description = "Private host name of the decision log's PostgreSQL (empty without one)."
  value       = var.decision_log_enabled ? module.database[0].address : ""
}

output "decision_log_secret_arn" {
  description = "Secrets Manager secret of the decision log's database password (empty without one)."
  value       = var.decision_log_enabled ? module.database[0].master_user_secret_arn : ""
}

output "registry_url" {
  description = "The card registry (s3://bucket/prefix) for `scorecard registry --store` (empty without one)."
  value       = local.registry_url
}
