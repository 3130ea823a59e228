"""approve_migration: a FinOps Lead moves a product off a retired model; each calling role gets a
Cloud Engineer task whose model id the role's policy allows. Expected callers and spend come from the
fixture's CUR rows in plain Python (tests/orgfixture.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import make_ctx
from tests.orgfixture import A1, FRAUD, HAIKU, TODAY, day, principal_of, product_of, usage_rows
from tools import iam_policy as iam
from tools import toolset
from tools.errors import NotAllowed, ToolError
from tools.iam_eval import Request, evaluate

HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
WHY = "Claude 3 Haiku is past end of life"


def approve_successor(store, **extra) -> None:
    toolset.call(make_ctx(store, "lead@example.com"), "decide_model",
                 {"model_id": HAIKU45, "state": "approved", "rationale": "successor of Claude 3 Haiku", **extra})


def task_count(store) -> int:
    return store.scalar("SELECT count(*) FROM engineer_tasks")


def test_refused_until_the_new_model_is_approved_where_the_product_runs(fresh_org_store):
    before = task_count(fresh_org_store)
    with pytest.raises(ToolError, match="not approved for Fraud in account 111111111111, us-east-1"):
        toolset.call(make_ctx(fresh_org_store, "lead@example.com"), "approve_migration",
                     {"product": "Fraud", "rationale": WHY})
    assert task_count(fresh_org_store) == before


def test_an_approval_in_another_region_does_not_count(fresh_org_store):
    approve_successor(fresh_org_store, regions=["us-west-2"])
    with pytest.raises(ToolError, match="approve it there first"):
        toolset.call(make_ctx(fresh_org_store, "lead@example.com"), "approve_migration",
                     {"product": "Fraud", "rationale": WHY})


def test_one_task_per_calling_role_whose_model_id_the_role_policy_allows(fresh_org_store):
    approve_successor(fresh_org_store)
    since = TODAY - timedelta(days=30)
    rows = [r for r in usage_rows() if product_of(r) == "Fraud" and since <= day(r) <= TODAY
            and "Claude3Haiku" in r["line_item_usage_type"]]
    callers = sorted({principal_of(r) for r in rows})
    assert callers == [FRAUD]
    result = toolset.call(make_ctx(fresh_org_store, "lead@example.com"), "approve_migration",
                          {"product": "Fraud", "rationale": WHY})
    (step,) = result.steps
    assert (step.account_id, step.region, step.from_model, step.to_model) == (A1, "us-east-1", HAIKU, HAIKU45)
    assert step.usd == pytest.approx(round(sum(r["line_item_unblended_cost"] for r in rows), 2), abs=0.005)
    assert step.invoke_id == f"us.{HAIKU45}"   # in-Region today; the new model is called through the us. profile
    (task,) = result.tasks
    assert (task.kind, task.principal, task.product) == ("migration", FRAUD, "Fraud")
    assert f"replace the model id {HAIKU} with us.{HAIKU45}" in task.command
    assert f"aws bedrock-runtime converse --region us-east-1 --model-id us.{HAIKU45} " in task.command
    profile = f"arn:aws:bedrock:us-east-1:{A1}:inference-profile/us.{HAIKU45}"
    policy = iam.policy_for_role(fresh_org_store, FRAUD)
    assert evaluate(policy, Request("bedrock:InvokeModel", profile, {})) == "allow"
    queue = toolset.call(make_ctx(fresh_org_store, "eng@example.com"), "task_queue", {"product": "Fraud"})
    listed = next(t for t in queue.tasks if t.task_id == task.task_id)
    assert (listed.decided_by, listed.why) == ("lead@example.com", WHY)


def test_approving_again_supersedes_the_open_task_for_the_same_move(fresh_org_store):
    approve_successor(fresh_org_store)
    lead = make_ctx(fresh_org_store, "lead@example.com")
    first = toolset.call(lead, "approve_migration", {"product": "Fraud", "rationale": WHY}).tasks[0].task_id
    second = toolset.call(lead, "approve_migration", {"product": "Fraud", "rationale": WHY + " (again)"})
    assert second.superseded_tasks == [first]
    assert fresh_org_store.scalar("SELECT status FROM engineer_tasks WHERE task_id = ?", [first]) == "superseded"


def test_a_target_that_is_not_active_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="is eol in us-east-1, not Active"):
        toolset.call(make_ctx(fresh_org_store, "lead@example.com"), "approve_migration",
                     {"product": "Fraud", "rationale": WHY, "to_model": "anthropic.claude-3-5-haiku-20241022-v1:0"})


def test_nothing_to_migrate_when_the_product_runs_no_retired_model(fresh_org_store):
    with pytest.raises(ToolError, match="Checkout has not run a Legacy or retired model"):
        toolset.call(make_ctx(fresh_org_store, "lead@example.com"), "approve_migration",
                     {"product": "Checkout", "rationale": WHY})


def test_only_a_finops_lead_approves_a_migration(fresh_org_store):
    approve_successor(fresh_org_store)
    before = task_count(fresh_org_store)
    with pytest.raises(NotAllowed):
        toolset.call(make_ctx(fresh_org_store, "maria@example.com"), "approve_migration",
                     {"product": "Fraud", "rationale": WHY})
    assert task_count(fresh_org_store) == before
