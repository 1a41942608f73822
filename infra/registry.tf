# ---------------------------------------------------------------------------------------
# The card registry (scorecard registry, SCORECARD_REGISTRY): sealed cards, their history
# and the live pointer the API tasks follow. Versioned and under object lock in governance
# mode, so no card or history step is overwritten or deleted within the retention without
# a bypass permission, which no role here holds; encrypted with the stack's key; never
# public. The API tasks may read it, never write it: promotions are made by people (the
# deploy role or an operator) with `scorecard registry promote`.
# ---------------------------------------------------------------------------------------

locals {
  registry_url = var.registry_enabled ? "s3://${aws_s3_bucket.registry[0].id}/cards" : ""
}

resource "aws_s3_bucket" "registry" {
  #checkov:skip=CKV_AWS_144:Cards are small and rebuilt from their sources; the object lock, not a second region, guards the history.
  #checkov:skip=CKV_AWS_18:Access is by the tasks' read-only role and the deploy role, recorded by CloudTrail.
  #checkov:skip=CKV2_AWS_62:The tasks poll the live pointer; nothing consumes object events.
  #checkov:skip=CKV2_AWS_61:Nothing expires: the registry's history is kept for the model's life (object lock).
  count               = var.registry_enabled ? 1 : 0
  bucket_prefix       = "${var.name}-registry-"
  object_lock_enabled = true
}

resource "aws_s3_bucket_versioning" "registry" {
  count  = var.registry_enabled ? 1 : 0
  bucket = aws_s3_bucket.registry[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "registry" {
  count  = var.registry_enabled ? 1 : 0
  bucket = aws_s3_bucket.registry[0].id
  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.registry_retention_days
    }
  }
  depends_on = [aws_s3_bucket_versioning.registry]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "registry" {
  count  = var.registry_enabled ? 1 : 0
  bucket = aws_s3_bucket.registry[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "registry" {
  count                   = var.registry_enabled ? 1 : 0
  bucket                  = aws_s3_bucket.registry[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# TLS only; and the API tasks' role may never write, whatever is attached to it later.
data "aws_iam_policy_document" "registry_bucket" {
  count = var.registry_enabled ? 1 : 0
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.registry[0].arn, "${aws_s3_bucket.registry[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
  statement {
    sid       = "DenyWritesByTheTasks"
    effect    = "Deny"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"]
    resources = ["${aws_s3_bucket.registry[0].arn}/*"]
    principals {
      type        = "AWS"
      identifiers = [module.ecs_service.task_role_arn]
    }
  }
}

resource "aws_s3_bucket_policy" "registry" {
  count      = var.registry_enabled ? 1 : 0
  bucket     = aws_s3_bucket.registry[0].id
  policy     = data.aws_iam_policy_document.registry_bucket[0].json
  depends_on = [aws_s3_bucket_public_access_block.registry]
}
