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
