Feature: storage is encrypted

  Scenario: instance volumes are encrypted
    Given I have aws_launch_template defined
    Then it must contain block_device_mappings
    And it must contain ebs
    And it must contain encrypted
    And its value must be true

  Scenario: buckets are encrypted by default
    Given I have aws_s3_bucket_server_side_encryption_configuration defined
    Then it must contain rule
    And it must contain apply_server_side_encryption_by_default
    And it must contain sse_algorithm
    And its value must match the "^(aws:kms|AES256)$" regex

  Scenario: image repositories are encrypted with KMS
    Given I have aws_ecr_repository defined
    Then it must contain encryption_configuration
    And it must contain encryption_type
    And its value must be KMS

  Scenario: log groups are encrypted with the stack's key
    Given I have aws_cloudwatch_log_group defined
    Then it must contain kms_key_id

  Scenario: alarm topics are encrypted
    Given I have aws_sns_topic defined
    Then it must contain kms_master_key_id
