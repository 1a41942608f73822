output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.api.name
}

output "task_definition_arn" {
  description = "ARN (with revision) of the current task definition."
  value       = aws_ecs_task_definition.api.arn
}

output "task_definition_family" {
  description = "Family of the task definition."
  value       = aws_ecs_task_definition.api.family
}

output "log_group_name" {
  description = "CloudWatch log group of the API containers."
  value       = aws_cloudwatch_log_group.api.name
}

output "task_security_group_id" {
  description = "Security group of the tasks (inbound from the ALB only)."
  value       = aws_security_group.task.id
}

output "execution_role_arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ARN of the (permission-less) task role."
  value       = aws_iam_role.task.arn
}
