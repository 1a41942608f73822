Feature: EC2 instances answer metadata requests only with a session token (IMDSv2)

  Scenario: the ECS launch template requires IMDSv2
    Given I have aws_launch_template defined
    Then it must contain metadata_options
    And it must contain http_tokens
    And its value must be required
