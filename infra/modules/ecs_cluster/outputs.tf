output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

# depends_on the cluster association so that services are created after, and destroyed
# before, the capacity provider is attached to the cluster.
output "capacity_provider_name" {
  description = "Name of the EC2 capacity provider (attached to the cluster)."
  value       = aws_ecs_capacity_provider.this.name
  depends_on  = [aws_ecs_cluster_capacity_providers.this]
}

output "autoscaling_group_name" {
  description = "Name of the container instances' autoscaling group."
  value       = aws_autoscaling_group.ecs.name
}

output "instance_security_group_id" {
  description = "Security group of the container instances (no inbound rules)."
  value       = aws_security_group.instance.id
}

output "instance_role_arn" {
  description = "ARN of the container instance IAM role."
  value       = aws_iam_role.instance.arn
}
