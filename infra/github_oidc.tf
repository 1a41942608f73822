# The CI/CD pipeline's AWS access (.github/workflows/deploy.yml): GitHub's OIDC provider and
# one role that only this repository's workflows running in the staging or production
# environment (or on main) can assume: short-lived credentials, no access keys anywhere.
# Set the role's ARN as the repository secret AWS_DEPLOY_ROLE_ARN.

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows deploy; empty: no deploy role."
  type        = string
  default     = ""
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when the account already has one)."
  type        = bool
  default     = true
}

locals {
  github_deploy = var.github_repository != ""
  github_oidc_arn = local.github_deploy ? (var.create_github_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
  : "arn:aws:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com") : ""
}

resource "aws_iam_openid_connect_provider" "github" {
  count           = local.github_deploy && var.create_github_oidc_provider ? 1 : 0
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

data "aws_iam_policy_document" "github_assume" {
  #checkov:skip=CKV_AWS_358:The subject is pinned to this repository's main branch and its two environments; the check cannot resolve the provider ARN through the local.
  count = local.github_deploy ? 1 : 0
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values = [
        "repo:${var.github_repository}:ref:refs/heads/main",
        "repo:${var.github_repository}:environment:staging",
        "repo:${var.github_repository}:environment:production",
      ]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  count                = local.github_deploy ? 1 : 0
  name_prefix          = "${var.name}-deploy-"
  description          = "GitHub Actions of ${var.github_repository}: push images, apply Terraform"
  assume_role_policy   = data.aws_iam_policy_document.github_assume[0].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "github_push" {
  count = local.github_deploy ? 1 : 0
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
      "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.api.arn, aws_ecr_repository.jobs.arn]
  }
  # PowerUserAccess (below) has no IAM: the stack's own roles, policies and instance
  # profile, by their name prefix.
  statement {
    sid     = "StackIam"
    actions = ["iam:*"]
    resources = [
      "arn:aws:iam::${local.account_id}:role/${var.name}-*",
      "arn:aws:iam::${local.account_id}:instance-profile/${var.name}-*",
      "arn:aws:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com",
    ]
  }
}

resource "aws_iam_role_policy" "github_push" {
  count  = local.github_deploy ? 1 : 0
  name   = "push-images"
  role   = aws_iam_role.github_deploy[0].id
  policy = data.aws_iam_policy_document.github_push[0].json
}

# Terraform manages every resource of this stack, so the apply needs broad rights; they are
# bounded to the workflows above by the trust policy (and to production by the environment's
# required reviewers). Narrow this to the stack's services where the account is shared.
resource "aws_iam_role_policy_attachment" "github_apply" {
  count      = local.github_deploy ? 1 : 0
  role       = aws_iam_role.github_deploy[0].name
  policy_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
}

output "github_deploy_role_arn" {
  description = "Role for the deploy workflow (repository secret AWS_DEPLOY_ROLE_ARN)."
  value       = local.github_deploy ? aws_iam_role.github_deploy[0].arn : ""
}
