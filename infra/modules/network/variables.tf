variable "name" {
  description = "Name prefix for every resource of the network."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC; split into one public and one private subnet per AZ."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 22
    error_message = "vpc_cidr must be a valid IPv4 CIDR block of /22 or larger (e.g. 10.40.0.0/16)."
  }
}

variable "availability_zones" {
  description = "Names of the two or three AZs to spread subnets (and NAT gateways) over."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list 2 or 3 distinct AZ names: an ALB needs at least two AZs."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (cheaper, but one AZ's outage cuts egress for all) instead of one per AZ."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Retention in days of the VPC flow log group."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the VPC flow log group."
  type        = string
}
