Feature: ECS tasks run in private subnets without public addresses

  Scenario: the API service assigns no public IP
    Given I have aws_ecs_service defined
    Then it must contain network_configuration
    And it must contain assign_public_ip
    And its value must be false

  Scenario: the scheduled job tasks assign no public IP
    Given I have aws_scheduler_schedule defined
    Then it must contain target
    And it must contain ecs_parameters
    And it must contain network_configuration
    And it must contain assign_public_ip
    And its value must be false
