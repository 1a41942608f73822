Feature: nothing accepts traffic from an address range but the load balancer

  Scenario: every ingress rule open to the internet is the ALB's, on 80 or 443
    Given I have aws_vpc_security_group_ingress_rule defined
    When its cidr_ipv4 is 0.0.0.0/0
    Then it must contain description
    And its value must match the "^Clients to the ALB on (80|443)$" regex

  Scenario: no security group carries inline ingress rules
    Given I have aws_security_group defined
    Then it must not contain ingress
