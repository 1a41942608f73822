output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension, ALBRequestCountPerTarget label)."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "Public DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 hosted zone ID of the load balancer (for alias records)."
  value       = aws_lb.this.zone_id
}

output "security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

# depends_on the listeners: ECS refuses to create a service whose target group is not
# yet attached to a load balancer, and the service only learns of the target group here.
output "target_group_arn" {
  description = "ARN of the API target group (available once a listener forwards to it)."
  value       = aws_lb_target_group.api.arn
  depends_on  = [aws_lb_listener.http, aws_lb_listener.https]
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the API target group (ALBRequestCountPerTarget label)."
  value       = aws_lb_target_group.api.arn_suffix
}

output "https_enabled" {
  description = "Whether an HTTPS listener exists (a certificate ARN was given)."
  value       = local.https_enabled
}

output "access_logs_bucket" {
  description = "S3 bucket receiving the ALB access logs."
  value       = aws_s3_bucket.access_logs.id
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL, or null when WAF is disabled."
  value       = var.waf_enabled ? aws_wafv2_web_acl.this[0].arn : null
}
