Feature: the card registry keeps every card and history step

  Scenario: registry objects are under object lock in governance mode
    Given I have aws_s3_bucket_object_lock_configuration defined
    Then it must contain rule
    And it must contain default_retention
    And it must contain mode
    And its value must be GOVERNANCE

