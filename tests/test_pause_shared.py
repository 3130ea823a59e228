"""Pausing a product reached through a profile or tag on a shared role: a narrower Deny on that role
(checked with the IAM evaluator against requests written here), what it does not stop said, and the
shared role itself never paused whole for another product."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ledger.store import Store
from tests.conftest import make_ctx
from tests.test_attribution_kinds import FIXTURE, build_store_file, FRAUD_PROFILE, OTHER_PROFILE, _rows
from tools import toolset
from tools.errors import ToolError
from tools.iam_eval import Request
from tools.iam_eval import evaluate as iam_evaluate
from tools.iam_policy import policy_json as iam_policy_json

LEAD = "lead@example.com"
MODEL = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store_file(tmp_path_factory.mktemp("pause_shared"), _rows())


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Store:  # each test writes tasks: its own copy
    shutil.copy(built, tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def _pause(store: Store, product: str):  # noqa: ANN202 - PauseResult
    return toolset.call(make_ctx(store, LEAD), "pause_product", {"product": product, "rationale": "runaway"})


def test_a_product_claimed_by_profile_denies_only_its_profile_on_the_shared_role(store: Store) -> None:
    result = _pause(store, "Fraud")
    (task,) = result.tasks
    assert task.principal.endswith(":role/shared-gateway")
    assert "--policy-name Steward-Pause-Fraud" in task.command and "shared role" in task.title
    policy = json.loads(store.scalar("SELECT policy_json FROM engineer_tasks WHERE task_id = ?", [task.task_id]))
    invoke = "bedrock:InvokeModel"
    assert iam_evaluate(policy, Request(invoke, FRAUD_PROFILE)) == "explicit_deny"
    assert iam_evaluate(policy, Request("bedrock:CreateModelInvocationJob", FRAUD_PROFILE)) == "explicit_deny"
    assert iam_evaluate(policy, Request(invoke, OTHER_PROFILE)) != "explicit_deny"  # the role's other products
    assert iam_evaluate(policy, Request(invoke, MODEL)) != "explicit_deny"  # a direct call: not stopped ...
    assert any("shared-gateway" in limit and "directly" in limit for limit in result.limits)  # ... and said so
    assert "Not covered" in result.message


def test_a_product_claimed_by_principal_tag_denies_only_sessions_with_the_tag(store: Store) -> None:
    (task,) = _pause(store, "Risk").tasks
    policy = json.loads(store.scalar("SELECT policy_json FROM engineer_tasks WHERE task_id = ?", [task.task_id]))
    tagged = Request("bedrock:InvokeModel", MODEL, {"aws:PrincipalTag/team": "risk"})
    assert iam_evaluate(policy, tagged) == "explicit_deny"
    assert iam_evaluate(policy, Request("bedrock:InvokeModel", MODEL, {"aws:PrincipalTag/team": "platform"})) \
        != "explicit_deny"
    assert iam_evaluate(policy, Request("bedrock:InvokeModel", MODEL)) != "explicit_deny"


def test_tagged_spend_through_no_profile_cannot_be_paused_and_the_refusal_says_how_much(store: Store) -> None:
    # Search's spend is its resource tag on rows with no application inference profile: no ARN to deny.
    tagged_usd = sum(cost for _, cost, res, _, _, owner, rule in FIXTURE if owner == "Search" and rule == "tag")
    before = store.scalar("SELECT count(*) FROM engineer_tasks")
    with pytest.raises(ToolError, match=rf"\${tagged_usd:.0f} tagged bedrock:project=search on role shared-gateway"):
        _pause(store, "Search")
    assert store.scalar("SELECT count(*) FROM engineer_tasks") == before


def test_the_owner_of_the_shared_role_still_pauses_it_whole(store: Store) -> None:
    result = _pause(store, "Platform")
    (task,) = result.tasks
    assert "--policy-name Steward-Pause " in task.command + " " and not result.limits
    policy = json.loads(store.scalar("SELECT policy_json FROM engineer_tasks WHERE task_id = ?", [task.task_id]))
    assert iam_evaluate(policy, Request("bedrock:InvokeModel", MODEL)) == "explicit_deny"


def test_resume_removes_the_products_own_policy_from_the_shared_role(store: Store) -> None:
    _pause(store, "Fraud")
    store.con.execute("UPDATE engineer_tasks SET status = 'done' WHERE kind = 'pause'")  # the engineer ran it
    result = toolset.call(make_ctx(store, LEAD), "resume_product", {"product": "Fraud", "rationale": "fixed"})
    (task,) = result.tasks
    assert "delete-role-policy" in task.command and "--policy-name Steward-Pause-Fraud" in task.command
    assert "--policy-name Steward-Pause-Fraud" in task.undo_command and FRAUD_PROFILE in task.undo_command


# ------------------------------------------------------------------ iam_policy, consistent with the pause

def _policy_view(store: Store, product: str):  # noqa: ANN202 - IamPolicyView
    return toolset.call(make_ctx(store, LEAD), "iam_policy", {"product": product})


PAUSE_ACTIONS = ["bedrock:CreateModelInvocationJob", "bedrock:InvokeModel*"]


def test_iam_policy_of_a_product_reached_by_profile_is_a_deny_on_its_profile_not_a_role_policy(store: Store) -> None:
    view = _policy_view(store, "Fraud")
    assert view.roles == []  # no Steward-Bedrock policy for the whole shared role
    (control,) = view.shared_roles
    assert control.principal.endswith(":role/shared-gateway") and control.reached_through == [FRAUD_PROFILE]
    assert control.policy_name == "Steward-Pause-Fraud"
    assert control.policy == {"Version": "2012-10-17", "Statement": [
        {"Sid": "StewardPauseProfiles", "Effect": "Deny", "Action": PAUSE_ACTIONS, "Resource": [FRAUD_PROFILE]}]}
    assert "directly" in control.keeps_running and "other products" in control.keeps_running
    # exactly what the pause puts on the role
    (task,) = _pause(store, "Fraud").tasks
    assert iam_policy_json(control.policy) == store.scalar("SELECT policy_json FROM engineer_tasks WHERE task_id = ?",
                                               [task.task_id])
    assert control.command == task.command and control.undo_command == task.undo_command


def test_iam_policy_of_a_product_reached_by_principal_tag_denies_sessions_with_the_tag(store: Store) -> None:
    (control,) = _policy_view(store, "Risk").shared_roles
    assert control.reached_through == ["team=risk"]
    assert control.policy == {"Version": "2012-10-17", "Statement": [
        {"Sid": "StewardPausePrincipalTag0", "Effect": "Deny", "Action": PAUSE_ACTIONS, "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "risk"}}}]}
    assert "sessions without the tag" in control.keeps_running


def test_iam_policy_says_what_no_policy_can_stop_and_the_owner_keeps_its_role_policy(store: Store) -> None:
    tagged_usd = sum(cost for _, cost, res, _, _, owner, rule in FIXTURE if owner == "Search" and rule == "tag")
    search = _policy_view(store, "Search")
    assert search.roles == [] and search.shared_roles == []
    assert any(limit.startswith(f"${tagged_usd:.0f} tagged bedrock:project=search on role shared-gateway")
               for limit in search.limits)
    platform = _policy_view(store, "Platform")
    assert [r.role_name for r in platform.roles] == ["shared-gateway"] and platform.shared_roles == []
    from agent.render import render_result

    text = render_result("iam_policy", _policy_view(store, "Fraud").model_dump(mode="json"))
    assert "shared-gateway in account 111122223333 is shared" in text and "Steward-Pause-Fraud" in text
