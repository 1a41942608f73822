variable "name" {
  description = "Name of the ECS cluster and prefix of its companions."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC the container instances run in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (one per AZ) for the container instances; they get no public IPs."
  type        = list(string)
}

variable "instance_type" {
  description = "EC2 instance type of the container instances. In awsvpc mode every task takes an ENI, so tasks per instance are bounded by the type's ENI limit minus one (unless ENI trunking is enabled)."
  type        = string
}

variable "ami_ssm_parameter" {
  description = "SSM parameter holding the ECS-optimised AMI ID (Amazon Linux 2023 by default)."
  type        = string
  default     = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}

variable "root_volume_size" {
  description = "Size in GiB of the encrypted gp3 root volume (the AL2023 ECS AMI needs at least 30)."
  type        = number
  default     = 30
}

variable "min_size" {
  description = "Minimum number of container instances in the autoscaling group."
  type        = number
}

variable "max_size" {
  description = "Maximum number of container instances in the autoscaling group."
  type        = number
}

variable "target_capacity" {
  description = "Managed scaling target: percentage of instance capacity the capacity provider aims to use (100 = no idle spare instances)."
  type        = number
  default     = 100
}
