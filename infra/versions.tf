terraform {
  # 1.6: stable `check`/`precondition` semantics and `terraform test`; nothing newer is
  # needed, so operators on any recent 1.x release can apply this stack.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.50" # managed_draining, instance refresh scale_in_protected_instances
    }
  }

  # State holds the generated API key and ARNs: keep it in an encrypted, versioned,
  # access-controlled remote backend. Configure it at init time, e.g.
  #   terraform init -backend-config="bucket=<state-bucket>" \
  #     -backend-config="key=scorecard/prod.tfstate" -backend-config="region=eu-north-1" \
  #     -backend-config="encrypt=true" -backend-config="use_lockfile=true"
  # (use_lockfile needs Terraform >= 1.10; older releases lock with dynamodb_table=...)
  # and uncomment:
  # backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  # Every taggable resource gets these, so cost and ownership queries need no per-resource
  # tagging discipline.
  default_tags {
    tags = merge(
      {
        Project     = var.name
        Environment = var.environment
        ManagedBy   = "terraform"
        Service     = "credit-scorecard-api"
      },
      var.tags,
    )
  }
}
