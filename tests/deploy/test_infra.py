"""Static verification of the AWS deployment (``infra/``), without a Terraform binary.

Every ``.tf`` file is parsed with python-hcl2 and the security- and availability-relevant
settings are asserted: ECS on EC2 (never Fargate), IMDSv2, private instances, the ALB
health check, the task definition's hardening, ECR scanning, the deployment circuit
breaker, autoscaling, least-privilege IAM and security groups, documented variables and
outputs. checkov then scans the Terraform and the Dockerfile and must report no failed
check (skips are inline, each with its reason).

Optional extras run only where the tools exist: ``terraform fmt -check`` when a
``terraform`` binary is on PATH, and ``terraform validate`` when a local provider mirror
(``TF_PROVIDER_MIRROR``, default ``/opt/tf-plugins``) holds hashicorp/aws.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is needed to parse the Terraform")

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MODULES = INFRA / "modules"
TF_FILES = sorted(INFRA.rglob("*.tf"))
CONTAINER_PORT = 8000
PROBE_PORT = 8001  # the image's SCORECARD_PROBE_PORT

_REF = re.compile(r"^\$\{(var|local)\.([A-Za-z0-9_-]+)\}$")


# ------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------
def _unquote(value: Any) -> Any:
    """Normalise python-hcl2 output across versions.

    python-hcl2 >= 7 keeps the quotes of string literals and block labels and adds
    ``__is_block__``/comment markers unless told otherwise; older versions do neither.
    """
    if isinstance(value, dict):
        return {
            _unquote(k): _unquote(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("__") and k.endswith("__"))
        }
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    options_cls = getattr(hcl2, "SerializationOptions", None)
    if options_cls is not None:
        options = options_cls(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
        return _unquote(hcl2.loads(text, serialization_options=options))
    return _unquote(hcl2.loads(text))


@dataclass
class Module:
    """The merged top-level blocks of all ``.tf`` files of one Terraform module directory."""

    path: Path
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        assert rtype in self.resources, f"{self.path.name}: no {rtype} resource"
        assert name in self.resources[rtype], f"{self.path.name}: no {rtype}.{name}"
        return self.resources[rtype][name]


def _merge(module: Module, parsed: dict[str, Any]) -> None:
    for entry in parsed.get("resource", []):
        for rtype, by_name in entry.items():
            module.resources.setdefault(rtype, {}).update(by_name)
    for entry in parsed.get("data", []):
        for dtype, by_name in entry.items():
            module.data.setdefault(dtype, {}).update(by_name)
    for entry in parsed.get("variable", []):
        module.variables.update(entry)
    for entry in parsed.get("output", []):
        module.outputs.update(entry)
    for entry in parsed.get("locals", []):
        module.locals.update(entry)
    for entry in parsed.get("module", []):
        module.modules.update(entry)
    for entry in parsed.get("provider", []):
        module.providers.update(entry)
    module.terraform.extend(parsed.get("terraform", []))


@cache
def _modules() -> dict[str, Module]:
    """``"root"`` and each ``modules/<name>`` directory, parsed and merged."""
    result: dict[str, Module] = {}
    for directory in [INFRA, *sorted(p for p in MODULES.iterdir() if p.is_dir())]:
        module = Module(path=directory)
        for tf in sorted(directory.glob("*.tf")):
            _merge(module, _load(tf))
        result["root" if directory == INFRA else directory.name] = module
    return result


def _root() -> Module:
    return _modules()["root"]


def _mod(name: str) -> Module:
    return _modules()[name]


def _caller_args(module_name: str) -> dict[str, Any]:
    """Arguments the root module passes to ``./modules/<module_name>``."""
    for call in _root().modules.values():
        if call.get("source") == f"./modules/{module_name}":
            return call
    return {}


def resolve(module_name: str, value: Any, depth: int = 0) -> Any:
    """Resolve a plain ``${var.x}`` / ``${local.x}`` reference to a literal where possible.

    A module variable resolves to what the root passes for it (resolved in the root),
    otherwise to its default; anything more complex is returned unchanged.
    """
    if depth > 10 or not isinstance(value, str):
        return value
    match = _REF.match(value)
    if not match:
        return value
    kind, name = match.groups()
    module = _mod(module_name)
    if kind == "local":
        return resolve(module_name, module.locals.get(name, value), depth + 1)
    if module_name != "root":
        args = _caller_args(module_name)
        if name in args:
            return resolve("root", args[name], depth + 1)
    variable = module.variables.get(name, {})
    return resolve(module_name, variable.get("default", value), depth + 1)


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted path, leaf value) of a parsed structure."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


def _block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of a resource body."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block"
    return blocks[0]


def _all_resources(rtype: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (module_name, name, body)
        for module_name, module in _modules().items()
        for name, body in module.resources.get(rtype, {}).items()
    ]


# ------------------------------------------------------------------------------------------
# Layout and Terraform settings
# ------------------------------------------------------------------------------------------
def test_expected_layout() -> None:
    for name in [
        "versions.tf",
        "variables.tf",
        "main.tf",
        "outputs.tf",
        "terraform.tfvars.example",
    ]:
        assert (INFRA / name).is_file(), f"infra/{name} missing"
    assert {"network", "alb", "ecs_cluster", "ecs_service"} <= set(_modules())


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_tf_file_parses(path: Path) -> None:
    assert isinstance(_load(path), dict)


def test_tfvars_example_parses_and_sets_required_variables() -> None:
    values = _unquote(hcl2.loads((INFRA / "terraform.tfvars.example").read_text()))
    required = {name for name, var in _root().variables.items() if "default" not in var}
    assert required <= set(values), f"example misses required variables {required - set(values)}"
    assert set(values) <= set(_root().variables), "example sets unknown variables"


def test_terraform_and_provider_versions() -> None:
    settings = _root().terraform
    assert settings, "no terraform block in the root module"
    block = settings[0]
    assert block["required_version"].replace(" ", "") == ">=1.6"
    aws = block["required_providers"][0]["aws"]
    assert aws["source"] == "hashicorp/aws"
    assert re.fullmatch(r"~>\s*5(\.\d+)*", aws["version"]), aws["version"]
    assert "aws" in _root().providers


def test_ecs_on_ec2_not_fargate_and_no_pulumi() -> None:
    for module_name, module in _modules().items():
        for rtype, by_name in module.resources.items():
            for name, body in by_name.items():
                for path, value in _walk(body):
                    assert value not in {"FARGATE", "FARGATE_SPOT"}, (
                        f"{module_name}.{rtype}.{name}.{path}"
                    )
    assert "aws_ecs_capacity_provider" in _mod("ecs_cluster").resources
    assert not list(REPO.glob("Pulumi*.yaml")), "Pulumi is not used"


# ------------------------------------------------------------------------------------------
# Network
# ------------------------------------------------------------------------------------------
def test_vpc_public_and_private_subnets_nat_and_routes() -> None:
    net = _mod("network")
    assert net.resource("aws_subnet", "public")["map_public_ip_on_launch"] is False
    assert net.resource("aws_subnet", "private")["map_public_ip_on_launch"] is False
    assert "aws_nat_gateway" in net.resources
    assert "aws_internet_gateway" in net.resources
    private_route = net.resource("aws_route", "private_nat")
    assert "aws_nat_gateway" in private_route["nat_gateway_id"]
    public_route = net.resource("aws_route", "public_internet")
    assert "aws_internet_gateway" in public_route["gateway_id"]
    assert net.resource("aws_flow_log", "this")["traffic_type"] == "ALL"
    # Default SG stripped of all rules.
    default_sg = net.resource("aws_default_security_group", "this")
    assert "ingress" not in default_sg and "egress" not in default_sg


def test_two_azs_pinned() -> None:
    validation = _root().variables["availability_zones"]["validation"][0]["condition"]
    assert ">= 2" in validation
    assert _caller_args("network")["availability_zones"] == "${var.availability_zones}"


# ------------------------------------------------------------------------------------------
# EC2 capacity
# ------------------------------------------------------------------------------------------
def test_launch_template_requires_imdsv2() -> None:
    lt = _mod("ecs_cluster").resource("aws_launch_template", "ecs")
    metadata = _block(lt, "metadata_options")
    assert metadata["http_tokens"] == "required"
    assert metadata["http_endpoint"] == "enabled"
    assert metadata["http_put_response_hop_limit"] == 1


def test_no_public_ips_anywhere() -> None:
    for module_name, module in _modules().items():
        for rtype, by_name in module.resources.items():
            for name, body in by_name.items():
                for path, value in _walk(body):
                    if path.endswith(("associate_public_ip_address", "assign_public_ip")):
                        assert value is False, f"{module_name}: {rtype}.{name}.{path} = {value}"
    lt = _mod("ecs_cluster").resource("aws_launch_template", "ecs")
    assert _block(lt, "network_interfaces")["associate_public_ip_address"] is False


def test_launch_template_uses_ecs_optimised_al2023_from_ssm_and_encrypted_ebs() -> None:
    cluster = _mod("ecs_cluster")
    lt = cluster.resource("aws_launch_template", "ecs")
    assert "data.aws_ssm_parameter.ecs_ami" in lt["image_id"]
    parameter = resolve("ecs_cluster", cluster.data["aws_ssm_parameter"]["ecs_ami"]["name"])
    assert parameter == "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    ebs = _block(_block(lt, "block_device_mappings"), "ebs")
    assert ebs["encrypted"] is True
    assert "ECS_CLUSTER=" in cluster.locals["user_data"]
    assert "ECS_AWSVPC_BLOCK_IMDS=true" in cluster.locals["user_data"]


def test_instances_in_private_subnets() -> None:
    asg = _mod("ecs_cluster").resource("aws_autoscaling_group", "ecs")
    assert asg["vpc_zone_identifier"] == "${var.private_subnet_ids}"
    assert (
        _caller_args("ecs_cluster")["private_subnet_ids"] == "${module.network.private_subnet_ids}"
    )
    assert asg["protect_from_scale_in"] is True


def test_capacity_provider_managed_scaling_and_container_insights() -> None:
    cluster = _mod("ecs_cluster")
    provider = _block(
        cluster.resource("aws_ecs_capacity_provider", "this"), "auto_scaling_group_provider"
    )
    assert provider["managed_termination_protection"] == "ENABLED"
    assert _block(provider, "managed_scaling")["status"] == "ENABLED"
    settings = cluster.resource("aws_ecs_cluster", "this")["setting"]
    assert {"name": "containerInsights", "value": "enabled"} in settings
    assert "aws_ecs_cluster_capacity_providers" in cluster.resources


def test_instance_role_has_only_ecs_and_ssm_managed_policies() -> None:
    cluster = _mod("ecs_cluster")
    attached = {
        body["policy_arn"] for body in cluster.resources["aws_iam_role_policy_attachment"].values()
    }
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }
    assert "aws_iam_role_policy" not in cluster.resources


# ------------------------------------------------------------------------------------------
# Load balancer
# ------------------------------------------------------------------------------------------
def test_target_group_health_check_and_ip_targets() -> None:
    tg = _mod("alb").resource("aws_lb_target_group", "api")
    assert tg["target_type"] == "ip"
    assert resolve("alb", tg["port"]) == CONTAINER_PORT
    health = _block(tg, "health_check")
    assert resolve("alb", health["path"]) == "/health"
    assert health["port"] == "${tostring(var.health_check_port)}"
    assert resolve("root", _caller_args("alb")["health_check_port"]) == PROBE_PORT
    assert health["matcher"] == "200"


def test_listeners_redirect_and_modern_tls() -> None:
    alb = _mod("alb")
    http = alb.resource("aws_lb_listener", "http")
    assert http["port"] == 80
    action = _block(http, "default_action")
    assert '"redirect"' in action["type"] and '"forward"' in action["type"]
    redirect = action["dynamic"][0]["redirect"]["content"][0]
    assert redirect["protocol"] == "HTTPS" and redirect["status_code"] == "HTTP_301"
    https = alb.resource("aws_lb_listener", "https")
    assert https["protocol"] == "HTTPS" and https["port"] == 443
    assert "local.https_enabled" in https["count"]
    assert resolve("alb", https["ssl_policy"]).startswith("ELBSecurityPolicy-TLS13-")


def test_alb_hardening() -> None:
    lb = _mod("alb").resource("aws_lb", "this")
    assert lb["internal"] is False
    assert lb["drop_invalid_header_fields"] is True
    assert _block(lb, "access_logs")["enabled"] is True
    assert resolve("root", _caller_args("alb")["deletion_protection"]) is True
    assert "aws_wafv2_web_acl_association" in _mod("alb").resources


def test_alb_in_public_subnets() -> None:
    assert _caller_args("alb")["public_subnet_ids"] == "${module.network.public_subnet_ids}"
    assert _mod("alb").resource("aws_lb", "this")["subnets"] == "${var.public_subnet_ids}"


# ------------------------------------------------------------------------------------------
# Security groups
# ------------------------------------------------------------------------------------------
def test_alb_ingress_only_on_80_and_443() -> None:
    alb = _mod("alb")
    assert alb.locals["listener_ports"] == "${local.https_enabled ? [80, 443] : [80]}"
    ingress = alb.resources["aws_vpc_security_group_ingress_rule"]
    assert set(ingress) == {"alb"}
    assert "aws_security_group_rule" not in alb.resources


def test_tasks_reachable_only_from_alb_on_the_container_and_probe_ports() -> None:
    service = _mod("ecs_service")
    ingress = service.resources["aws_vpc_security_group_ingress_rule"]
    assert set(ingress) == {"task_from_alb", "task_probes_from_alb"}
    for name, port in (("task_from_alb", CONTAINER_PORT), ("task_probes_from_alb", PROBE_PORT)):
        rule = ingress[name]
        assert rule["referenced_security_group_id"] == "${var.alb_security_group_id}"
        assert "cidr_ipv4" not in rule
        assert resolve("ecs_service", rule["from_port"]) == port
        assert resolve("ecs_service", rule["to_port"]) == port
    task_sg = service.resource("aws_security_group", "task")
    assert "ingress" not in task_sg and "egress" not in task_sg
    assert "aws_vpc_security_group_egress_rule" in service.resources
    egress = service.resources["aws_vpc_security_group_egress_rule"]
    assert set(egress) == {"alb_to_task", "alb_to_task_probes", "task_to_s3"}
    # The tasks' one way out: HTTPS to S3's prefix list, only with a registry to read.
    to_s3 = egress["task_to_s3"]
    assert to_s3["count"] == "${var.registry_enabled ? 1 : 0}"
    assert (to_s3["from_port"], to_s3["to_port"], to_s3["ip_protocol"]) == (443, 443, "tcp")
    assert "cidr_ipv4" not in to_s3 and "s3" in to_s3["prefix_list_id"]


def test_instances_have_no_inbound_rules() -> None:
    cluster = _mod("ecs_cluster")
    assert "aws_vpc_security_group_ingress_rule" not in cluster.resources
    assert "aws_security_group_rule" not in cluster.resources
    sg = cluster.resource("aws_security_group", "instance")
    assert "ingress" not in sg


def test_no_inline_security_group_rules_anywhere() -> None:
    # Inline ingress/egress blocks would fight the standalone rule resources.
    for module_name, name, body in _all_resources("aws_security_group"):
        assert "ingress" not in body and "egress" not in body, f"{module_name}.{name}"


# ------------------------------------------------------------------------------------------
# ECR
# ------------------------------------------------------------------------------------------
def test_ecr_scan_on_push_immutable_and_lifecycle() -> None:
    repo = _root().resource("aws_ecr_repository", "api")
    assert _block(repo, "image_scanning_configuration")["scan_on_push"] is True
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert _block(repo, "encryption_configuration")["encryption_type"] == "KMS"
    assert "aws_ecr_lifecycle_policy" in _root().resources


# ------------------------------------------------------------------------------------------
# Task definition and service
# ------------------------------------------------------------------------------------------
def test_task_definition_awsvpc_ec2() -> None:
    task = _mod("ecs_service").resource("aws_ecs_task_definition", "api")
    assert task["network_mode"] == "awsvpc"
    assert task["requires_compatibilities"] == ["EC2"]
    assert task["container_definitions"] == "${jsonencode([local.container_definition])}"
    assert task["execution_role_arn"] != task["task_role_arn"]


def test_container_definition_hardening() -> None:
    container = _mod("ecs_service").locals["container_definition"]
    assert container["readonlyRootFilesystem"] is True
    assert container["privileged"] is False
    user = resolve("ecs_service", container["user"])
    assert user.split(":")[0] not in {"0", "root"}, user
    assert container["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    tmpfs = container["linuxParameters"]["tmpfs"]
    assert [m["containerPath"] for m in tmpfs] == ["/tmp"]
    ports = container["portMappings"]
    assert [resolve("ecs_service", p["containerPort"]) for p in ports] == [CONTAINER_PORT,
                                                                            PROBE_PORT]
    assert "${var.probe_port}/health" in _mod("ecs_service").locals["health_command"]
    assert container["healthCheck"]["command"][:2] == ["CMD", "python"]
    assert container["logConfiguration"]["logDriver"] == "awslogs"


def test_api_key_injected_from_secrets_manager() -> None:
    service = _mod("ecs_service").locals
    container = service["container_definition"]
    # The key, and the decision log's database password when there is a log.
    assert container["secrets"] == "${concat(local.secrets, local.decision_log_secrets)}"
    assert service["secrets"] == [
        {"name": "SCORECARD_API_KEY", "valueFrom": "${var.api_key_secret_arn}"}
    ]
    assert "PGPASSWORD" in service["decision_log_secrets"]
    assert "decision_log_secret_arn}:password::" in service["decision_log_secrets"]
    assert container["environment"] == ("${concat(local.environment, "
                                        "local.decision_log_environment, "
                                        "local.registry_environment)}")
    env_names = {e["name"] for e in service["environment"]}
    assert "SCORECARD_API_KEY" not in env_names, "the key must never be a plain env var"
    assert {"SCORECARD_ARTIFACT", "WEB_CONCURRENCY"} <= env_names
    assert "aws_secretsmanager_secret" in _root().resources


def test_log_group_retention_and_kms() -> None:
    for module_name, name, body in _all_resources("aws_cloudwatch_log_group"):
        assert "retention_in_days" in body, f"{module_name}.{name}"
        assert "kms_key_id" in body, f"{module_name}.{name}"
    retention = _root().variables["log_retention_days"]
    assert retention["default"] >= 365


def test_service_rolling_deployment_with_circuit_breaker_rollback() -> None:
    service = _mod("ecs_service").resource("aws_ecs_service", "api")
    breaker = _block(service, "deployment_circuit_breaker")
    assert breaker["enable"] is True and breaker["rollback"] is True
    assert service["deployment_minimum_healthy_percent"] == 100
    assert service["deployment_maximum_percent"] == 200
    assert _block(service, "deployment_controller")["type"] == "ECS"
    assert "launch_type" not in service, "placement comes from the capacity provider strategy"
    strategy = _block(service, "capacity_provider_strategy")
    assert strategy["capacity_provider"] == "${var.capacity_provider_name}"
    lb = _block(service, "load_balancer")
    assert resolve("ecs_service", lb["container_port"]) == CONTAINER_PORT
    assert lb["target_group_arn"] == "${var.target_group_arn}"
    assert _block(service, "network_configuration")["assign_public_ip"] is False
    assert "desired_count" in _block(service, "lifecycle")["ignore_changes"]


def test_autoscaling_target_tracking_on_cpu_and_requests() -> None:
    service = _mod("ecs_service")
    target = service.resource("aws_appautoscaling_target", "api")
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    metrics = set()
    for body in service.resources["aws_appautoscaling_policy"].values():
        assert body["policy_type"] == "TargetTrackingScaling"
        config = _block(body, "target_tracking_scaling_policy_configuration")
        metrics.add(_block(config, "predefined_metric_specification")["predefined_metric_type"])
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


# ------------------------------------------------------------------------------------------
# IAM
# ------------------------------------------------------------------------------------------
def test_execution_role_least_privilege() -> None:
    service = _mod("ecs_service")
    statements = service.data["aws_iam_policy_document"]["execution"]["statement"]
    by_sid = {s["sid"]: s for s in statements}
    for statement in statements:
        if statement["resources"] == ["*"]:
            assert statement["actions"] == ["ecr:GetAuthorizationToken"], statement
    assert by_sid["ReadApiKeySecret"]["actions"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["ReadApiKeySecret"]["resources"] == ["${var.api_key_secret_arn}"]
    assert by_sid["EcrPullThisRepository"]["resources"] == ["${var.ecr_repository_arn}"]
    assert by_sid["WriteOwnLogGroup"]["resources"] == ["${aws_cloudwatch_log_group.api.arn}:*"]
    actions = [a for s in statements for a in s["actions"]]
    assert not any(a.endswith("*") for a in actions), actions


def test_task_role_may_at_most_read_the_card_registry() -> None:
    """No permission without a registry; with one, listing and reading its bucket (and
    decrypting through S3), never writing it."""
    service = _mod("ecs_service")
    grants = {name: body for rtype in ["aws_iam_role_policy", "aws_iam_role_policy_attachment"]
              for name, body in service.resources.get(rtype, {}).items()
              if "aws_iam_role.task" in body["role"]}
    assert set(grants) == {"task_registry"}
    assert grants["task_registry"]["count"] == "${var.registry_enabled ? 1 : 0}"
    assert "managed_policy_arns" not in service.resource("aws_iam_role", "task")
    doc = service.data["aws_iam_policy_document"]["task_registry"]
    assert doc["count"] == "${var.registry_enabled ? 1 : 0}"
    actions = {st["sid"]: st["actions"] for st in doc["statement"]}
    assert actions == {"ListRegistry": ["s3:ListBucket"], "ReadRegistry": ["s3:GetObject"],
                       "DecryptRegistryViaS3": ["kms:Decrypt"]}
    resources = {st["sid"]: st["resources"] for st in doc["statement"]}
    assert resources["ReadRegistry"] == ["${var.registry_bucket_arn}/*"]


def test_the_registry_bucket_is_versioned_locked_encrypted_private_and_denies_task_writes(
        ) -> None:
    root = _root()
    bucket = root.resource("aws_s3_bucket", "registry")
    assert bucket["object_lock_enabled"] is True
    versioning = root.resource("aws_s3_bucket_versioning", "registry")
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"
    lock = root.resource("aws_s3_bucket_object_lock_configuration", "registry")
    retention = lock["rule"][0]["default_retention"][0]
    assert retention["mode"] == "GOVERNANCE"
    assert retention["days"] == "${var.registry_retention_days}"
    sse = root.resource("aws_s3_bucket_server_side_encryption_configuration", "registry")
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"] == "${local.kms_key_arn}"
    public = root.resource("aws_s3_bucket_public_access_block", "registry")
    assert all(public[k] is True for k in ("block_public_acls", "block_public_policy",
                                            "ignore_public_acls", "restrict_public_buckets"))
    policy = root.data["aws_iam_policy_document"]["registry_bucket"]
    by_sid = {st["sid"]: st for st in policy["statement"]}
    deny = by_sid["DenyWritesByTheTasks"]
    assert deny["effect"] == "Deny" and "s3:PutObject" in deny["actions"]
    assert deny["principals"][0]["identifiers"] == ["${module.ecs_service.task_role_arn}"]
    assert by_sid["DenyInsecureTransport"]["condition"][0]["values"] == ["false"]
    args = _caller_args("ecs_service")
    assert args["registry_url"] == "${local.registry_url}"


# ------------------------------------------------------------------------------------------
# Variables and outputs
# ------------------------------------------------------------------------------------------
def test_every_variable_and_output_has_a_description() -> None:
    for module_name, module in _modules().items():
        for name, var in module.variables.items():
            assert str(var.get("description", "")).strip(), f"{module_name}: variable {name}"
            assert "type" in var, f"{module_name}: variable {name} has no type"
        for name, out in module.outputs.items():
            assert str(out.get("description", "")).strip(), f"{module_name}: output {name}"


@pytest.mark.parametrize(
    "name",
    [
        "aws_region",
        "availability_zones",
        "vpc_cidr",
        "instance_type",
        "image_tag",
        "desired_count",
        "min_count",
        "max_count",
        "asg_min_size",
        "asg_max_size",
        "certificate_arn",
        "alb_ingress_cidrs",
        "log_retention_days",
    ],
)
def test_key_variables_are_validated(name: str) -> None:
    var = _root().variables[name]
    validations = var.get("validation", [])
    assert validations, f"variable {name} has no validation block"
    for validation in validations:
        assert f"var.{name}" in validation["condition"]
        assert validation["error_message"].strip()


def test_image_tag_is_required_and_nonempty() -> None:
    var = _root().variables["image_tag"]
    assert "default" not in var
    assert "length(trimspace(var.image_tag)) > 0" in var["validation"][0]["condition"]


def test_outputs_include_endpoint_url_and_ecr_repository_url() -> None:
    outputs = _root().outputs
    assert outputs["endpoint_url"]["value"] == "${local.endpoint_url}"
    endpoint = _root().locals["endpoint_url"]
    assert "https" in endpoint and "http" in endpoint and "local.endpoint_host" in endpoint
    assert "module.alb.dns_name" in _root().locals["endpoint_host"]
    assert "aws_ecr_repository.api.repository_url" in outputs["ecr_repository_url"]["value"]


# ------------------------------------------------------------------------------------------
# checkov
# ------------------------------------------------------------------------------------------
_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def test_every_checkov_skip_is_justified() -> None:
    for path in [*TF_FILES, REPO / "Dockerfile"]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _SKIP.search(line)
            if match:
                reason = (match.group(2) or "").strip()
                assert len(reason) >= 20, f"{path.name}:{number}: {match.group(1)} lacks a reason"


def _checkov_command() -> list[str] | None:
    """checkov from $CHECKOV_BIN, PATH, the tools venv, or the running interpreter."""
    candidates = [
        os.environ.get("CHECKOV_BIN"),
        shutil.which("checkov"),
        str(REPO / ".venv-tools" / "bin" / "checkov"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return [candidate]
    if importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "checkov.main"]
    return None


@pytest.mark.parametrize(
    ("framework", "target"),
    [("terraform", ["-d", "infra"]), ("dockerfile", ["-f", "Dockerfile"])],
)
def test_checkov_reports_no_failed_checks(framework: str, target: list[str]) -> None:
    command = _checkov_command()
    if command is None:
        pytest.skip(
            "checkov is not installed. It cannot share .venv (checkov pins packaging<24, "
            "pytest needs packaging>=24): python3.11 -m venv .venv-tools && "
            ".venv-tools/bin/pip install checkov  (or set CHECKOV_BIN)"
        )
    completed = subprocess.run(
        [
            *command,
            *target,
            "--framework",
            framework,
            "--compact",
            "--quiet",
            "--skip-download",
            "-o",
            "json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        check=False,
    )
    assert completed.stdout.strip(), f"checkov printed nothing: {completed.stderr[-2000:]}"
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']})"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    summaries = [r["summary"] for r in reports if "summary" in r]
    assert summaries and all(s["parsing_errors"] == 0 for s in summaries), summaries
    assert sum(s["passed"] for s in summaries) > 0, "checkov scanned nothing"
    assert completed.returncode == 0, completed.stderr[-2000:]


# ------------------------------------------------------------------------------------------
# Optional: the real Terraform binary, where present (never downloads anything)
# ------------------------------------------------------------------------------------------
def _terraform() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform binary not on PATH (static checks above still apply)")
    return binary


def test_terraform_fmt_is_clean() -> None:
    terraform = _terraform()
    completed = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(INFRA)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def terraform_workdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of infra/ initialised from the local provider mirror (never downloads)."""
    terraform = _terraform()
    mirror = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))
    if not (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(f"no local hashicorp/aws provider mirror at {mirror} (no downloads here)")
    base = tmp_path_factory.mktemp("terraform")
    config = base / "terraformrc"
    config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
    )
    workdir = base / "infra"
    shutil.copytree(INFRA, workdir, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    env = {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
    }
    _run_terraform(terraform, ["init", "-backend=false", "-input=false", "-no-color"], workdir, env)
    return workdir, env


def _run_terraform(terraform: str, args: list[str], workdir: Path, env: dict[str, str]) -> str:
    completed = subprocess.run(
        [terraform, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"terraform {args[0]} failed:\n{output[-6000:]}"
    return output


def test_terraform_validate(terraform_workdir: tuple[Path, dict[str, str]]) -> None:
    workdir, env = terraform_workdir
    _run_terraform(_terraform(), ["validate", "-no-color"], workdir, env)


@pytest.mark.slow
def test_terraform_test_with_mocked_provider(
    terraform_workdir: tuple[Path, dict[str, str]],
) -> None:
    """infra/tests/*.tftest.hcl: full apply against a mocked AWS provider (~1 min)."""
    terraform = _terraform()
    workdir, env = terraform_workdir
    version = subprocess.run(
        [terraform, "version", "-json"], capture_output=True, text=True, env=env, check=True
    )
    major, minor = (int(x) for x in json.loads(version.stdout)["terraform_version"].split(".")[:2])
    if (major, minor) < (1, 7):
        pytest.skip("mock providers need Terraform >= 1.7")
    output = _run_terraform(terraform, ["test", "-no-color"], workdir, env)
    assert "0 failed" in output, output[-4000:]


# ------------------------------------------------------------------------------------------
# The decision log's database
# ------------------------------------------------------------------------------------------
def test_decision_log_database_is_private_encrypted_backed_up_and_protected() -> None:
    db = _mod("database")
    instance = db.resource("aws_db_instance", "this")
    assert instance["engine"] == "postgres" and instance["publicly_accessible"] is False
    assert instance["storage_encrypted"] is True
    assert instance["kms_key_id"] == "${var.kms_key_arn}"
    assert instance["skip_final_snapshot"] is False
    # Protected unless a tear-down sets it off (as scripts/infra_plan.sh --apply does).
    assert resolve("database", instance["deletion_protection"]) is True
    assert instance["backup_retention_period"] == "${var.backup_retention_days}"
    assert db.variables["backup_retention_days"]["default"] >= 7
    # The password: generated and kept by RDS in Secrets Manager, never in the state.
    assert instance["manage_master_user_password"] is True
    assert "password" not in instance
    subnets = db.resource("aws_db_subnet_group", "this")
    assert subnets["subnet_ids"] == "${var.private_subnet_ids}"
    assert _caller_args("database")["private_subnet_ids"] == \
        "${module.network.private_subnet_ids}"
    params = {p["name"]: p["value"] for p in
              db.resource("aws_db_parameter_group", "this")["parameter"]}
    assert params["rds.force_ssl"] == "1"


def test_decision_log_database_is_reachable_only_from_the_tasks() -> None:
    db = _mod("database")
    ingress = db.resources["aws_vpc_security_group_ingress_rule"]
    assert set(ingress) == {"db_from_tasks"}
    rule = ingress["db_from_tasks"]
    assert rule["referenced_security_group_id"] == "${var.task_security_group_id}"
    assert "cidr_ipv4" not in rule
    assert _caller_args("database")["task_security_group_id"] == \
        "${module.ecs_service.task_security_group_id}"
    egress = db.resources["aws_vpc_security_group_egress_rule"]["tasks_to_db"]
    assert egress["security_group_id"] == "${var.task_security_group_id}"
    assert egress["referenced_security_group_id"] == "${aws_security_group.db.id}"
