"""The deployment in the customer's account: the CloudFormation template lints clean, runs exactly one
task, takes its secrets from Secrets Manager, and gives Steward least privilege; the image runs as a
non-root user."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from parliament import analyze_policy_string

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "steward.yaml"
DOCKERFILE = ROOT / "Dockerfile"

# Values for a worked example; parameters without a default get one here.
EXAMPLE = {
    "AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "111122223333",
    "AWS::StackName": "steward", "ImageUri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/steward:1",
    "CurBucket": "acme-cur", "CurPrefix": "cur/steward-export",
    "SlackSecretArn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:steward/slack-AbCdEf",
    "AthenaWorkGroup": "primary", "AthenaDatabase": "cid_data_export", "AthenaOutputBucket": "acme-athena",
    "LoadBalancer.DNSName": "steward-123.us-east-1.elb.amazonaws.com",
}

# Every action Steward's task role may take, and nothing more.
TASK_ACTIONS = {
    "s3:ListBucket", "s3:GetObject",                                        # the CUR export
    "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream",         # its own agent model
    "bedrock:ListFoundationModels", "bedrock:GetFoundationModel", "bedrock:ListInferenceProfiles",
    "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
    "athena:StopQueryExecution", "athena:GetWorkGroup",
    "glue:GetDatabase", "glue:GetTable", "glue:GetPartitions",
    "s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation",      # Athena's result prefix
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",    # ECS Exec for operators
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}
# AWS accepts only "*" as the resource of these calls.
RESOURCE_STAR_OK = {"bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles",
                    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATE.read_text())


def resolve(node: Any, values: dict[str, str]) -> Any:
    """Resolve Ref / Fn::Sub / Fn::GetAtt / Fn::If (true branch) for the worked example."""
    if isinstance(node, list):
        return [resolve(n, values) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return values.get(node["Ref"], f"<{node['Ref']}>")
    if set(node) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda m: values.get(m.group(1), f"<{m.group(1)}>"), node["Fn::Sub"])
    if set(node) == {"Fn::GetAtt"}:
        return "arn:aws:iam::111122223333:role/" + node["Fn::GetAtt"][0]
    if set(node) == {"Fn::If"}:
        return resolve(node["Fn::If"][1], values)
    return {k: resolve(v, values) for k, v in node.items()}


def defaults(template: dict[str, Any]) -> dict[str, str]:
    values = {name: str(p["Default"]) for name, p in template["Parameters"].items() if "Default" in p}
    values.update(EXAMPLE)
    return values


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def task_role_policies(template: dict[str, Any]) -> list[dict[str, Any]]:
    values = defaults(template)
    role = template["Resources"]["TaskRole"]
    docs = [resolve(p, values)["PolicyDocument"] for p in role["Properties"]["Policies"]]
    for policy in of_type(template, "AWS::IAM::RolePolicy").values():
        if policy["Properties"]["RoleName"] == {"Ref": "TaskRole"}:
            docs.append(resolve(policy["Properties"]["PolicyDocument"], values))
    return docs


def statements(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for doc in docs:
        for st in doc["Statement"]:
            st = dict(st)
            st["Action"] = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            st["Resource"] = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
            out.append(st)
    return out


def single_task_problems(template: dict[str, Any]) -> list[str]:
    """Why the template could run more than one owner of the store (empty when it cannot)."""
    problems = []
    services = of_type(template, "AWS::ECS::Service")
    if len(services) != 1:
        problems.append(f"{len(services)} ECS services")
    for name, svc in services.items():
        props = svc["Properties"]
        if props.get("DesiredCount") != 1:
            problems.append(f"{name}.DesiredCount is {props.get('DesiredCount')}")
        deploy = props.get("DeploymentConfiguration", {})
        if deploy.get("MaximumPercent", 200) > 100:
            problems.append(f"{name} may start a second task during a deployment")
    if of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget"):
        problems.append("the service scales out")
    return problems


def test_template_lints_clean_with_cfn_lint():
    # One Region keeps it fast; the template uses no Region-specific resource types.
    assert [str(m) for m in lint(TEMPLATE.read_text(), regions=["us-east-1"])] == []


def test_exactly_one_task_owns_the_store(template):
    assert single_task_problems(template) == []


def test_the_single_task_rule_catches_a_second_task(template):
    scaled = copy.deepcopy(template)
    scaled["Resources"]["Service"]["Properties"]["DesiredCount"] = 2
    scaled["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]["MaximumPercent"] = 200
    assert single_task_problems(scaled) == ["Service.DesiredCount is 2",
                                            "Service may start a second task during a deployment"]


def test_store_is_on_encrypted_efs_mounted_at_the_db_path(template):
    task = template["Resources"]["TaskDefinition"]["Properties"]
    (volume,) = [v for v in task["Volumes"] if "EFSVolumeConfiguration" in v]
    assert volume["EFSVolumeConfiguration"]["TransitEncryption"] == "ENABLED"
    assert template["Resources"]["StoreFileSystem"]["Properties"]["Encrypted"] is True
    (container,) = task["ContainerDefinitions"]
    assert container["ReadonlyRootFilesystem"] is True
    (mount,) = [m for m in container["MountPoints"] if m["SourceVolume"] == volume["Name"]]
    env = {e["Name"]: e["Value"] for e in resolve(container["Environment"], defaults(template))}
    assert env["STEWARD_DB"].startswith(mount["ContainerPath"] + "/")
    assert mount["SourceVolume"] == volume["Name"]


def test_slack_secrets_come_from_secrets_manager_never_plain_environment(template):
    (container,) = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    secrets = {s["Name"]: resolve(s["ValueFrom"], defaults(template)) for s in container["Secrets"]}
    assert secrets == {"SLACK_BOT_TOKEN": EXAMPLE["SlackSecretArn"] + ":bot_token::",
                       "SLACK_SIGNING_SECRET": EXAMPLE["SlackSecretArn"] + ":signing_secret::"}
    plain = {e["Name"] for e in resolve(container["Environment"], defaults(template)) if isinstance(e, dict)}
    assert not plain & {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}
    # Only the execution role (which injects them) may read the secret; the task role may not.
    exec_policy = resolve(template["Resources"]["ExecutionRole"]["Properties"]["Policies"][0], defaults(template))
    assert exec_policy["PolicyDocument"]["Statement"] == [
        {"Sid": "ReadSlackSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": EXAMPLE["SlackSecretArn"]}]
    task_actions = {a for st in statements(task_role_policies(template)) for a in st["Action"]}
    assert not any(a.startswith("secretsmanager:") for a in task_actions)


def test_task_role_has_exactly_the_actions_steward_needs(template):
    sts = statements(task_role_policies(template))
    assert all(st["Effect"] == "Allow" for st in sts)
    actions = {a for st in sts for a in st["Action"]}
    assert actions == TASK_ACTIONS
    assert not any("*" in a for a in actions)
    for st in sts:
        if "*" in st["Resource"]:
            assert set(st["Action"]) <= RESOURCE_STAR_OK, st


def test_cur_read_is_limited_to_the_export_prefix(template):
    sts = {st["Sid"]: st for st in statements(task_role_policies(template))}
    assert sts["ReadCurExportObjects"]["Resource"] == ["arn:aws:s3:::acme-cur/cur/steward-export/*"]
    assert sts["ListCurExportPrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["cur/steward-export/*", "cur/steward-export"]}}


def test_agent_model_is_allowed_on_every_resource_its_global_profile_is_checked_against(template):
    # Global cross-Region inference is authorised against the profile, the model in the source Region
    # and the Region-less model ARN (bedrock user guide, "Global cross-Region inference").
    values = defaults(template)
    model = values["AgentModelId"]
    sts = {st["Sid"]: st for st in statements(task_role_policies(template))}
    profile = f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/global.{model}"
    assert sts["InvokeAgentModelThroughItsProfile"]["Resource"] == [profile]
    via = sts["InvokeAgentModelOnlyViaProfile"]
    assert via["Resource"] == [f"arn:aws:bedrock:*::foundation-model/{model}",
                               f"arn:aws:bedrock:::foundation-model/{model}"]
    assert via["Condition"] == {"ArnLike": {"bedrock:InferenceProfileArn": profile}}
    (container,) = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in resolve(container["Environment"], values)}
    assert env["STEWARD_BEDROCK_MODEL_ID"] == f"global.{model}"


def test_task_role_policies_lint_clean_with_parliament(template):
    for doc in task_role_policies(template):
        findings = analyze_policy_string(json.dumps(doc)).findings
        # parliament 1.6 wants every resource type an action supports and rejects the ':' inside
        # Bedrock model ids (duo-labs/parliament#48); the resources are asserted exactly above.
        real = [(f.issue, f.detail) for f in findings
                if not (f.issue == "RESOURCE_MISMATCH"
                        and all(d["action"].startswith("bedrock:Invoke") for d in f.detail))]
        assert real == [], doc


def test_image_runs_serve_as_a_non_root_user():
    text = DOCKERFILE.read_text()
    final_stage = text.split("\nFROM ")[-1]
    users = re.findall(r"^USER\s+(\S+)", final_stage, flags=re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert json.loads(re.search(r"^ENTRYPOINT\s+(.+)$", final_stage, flags=re.M).group(1)) == ["steward"]
    assert json.loads(re.search(r"^CMD\s+(.+)$", final_stage, flags=re.M).group(1))[0] == "serve"
    assert "STEWARD_DB=/data/" in final_stage
