# The decision log's database: RDS PostgreSQL 15 in the private subnets, encrypted with
# the stack's KMS key, automated backups, deletion protection, TLS only, its master
# password generated and kept by RDS in Secrets Manager (never in Terraform state), and
# reachable only from the API tasks' security group on 5432.

resource "aws_db_subnet_group" "this" {
  name_prefix = "${var.name}-decisions-"
  description = "Private subnets of the ${var.name} decision log"
  subnet_ids  = var.private_subnet_ids
}

resource "aws_security_group" "db" {
  name_prefix = "${var.name}-decisions-"
  description = "Decision log database of ${var.name}: only the API tasks may connect"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-decisions" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_tasks" {
  security_group_id            = aws_security_group.db.id
  description                  = "API tasks to PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.task_security_group_id
}

# The tasks' only egress besides their traffic with the ALB: the database.
resource "aws_vpc_security_group_egress_rule" "tasks_to_db" {
  security_group_id            = var.task_security_group_id
  description                  = "API tasks to the decision log"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = aws_security_group.db.id
}

locals {
  port = 5432
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name}-decisions-"
  family      = "postgres15"
  description = "TLS only, and the statements that change data logged"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "mod"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "monitoring" {
  name_prefix        = "${var.name}-rds-mon-"
  description        = "Enhanced monitoring of the ${var.name} decision log"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  identifier_prefix = "${var.name}-decisions-"
  engine            = "postgres"
  engine_version    = var.engine_version
  instance_class    = var.instance_class
  db_name           = var.database_name
  port              = local.port

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  # RDS generates the password and keeps it in Secrets Manager, encrypted with our key.
  username                            = var.master_username
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = var.kms_key_arn
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-decisions-final"
  delete_automated_backups  = false

  auto_minor_version_upgrade            = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
}
