"""Write and agentic tools through toolset.call: registry writes, audit entries, refusals, engineer
tasks, and the org export round trip. Real DuckDB per test (fresh_org_store); today is 2026-11-21."""

from __future__ import annotations

import json
import shlex
from datetime import date, datetime

import pytest

from ledger import audit, org_apply, org_export, org_parse, registry
from tests.conftest import make_ctx
from tests.orgfixture import (
    A1,
    A2,
    APP,
    CHECKOUT,
    FRAUD,
    HAIKU,
    HR,
    LAB,
    LLAMA405,
    OPUS,
    ROWS,
    SONNET,
    STRAY,
    TODAY,
    product_of,
    session,
)
from tests.test_iam_policy import allowed_models, evaluate, fm
from tools import toolset
from tools.errors import NotAllowed, ScopeError, ToolError

MARIA, HANA, OMAR, PRIYA, LEAD, ENG = (f"{n}@example.com" for n in
                                       ("maria", "hana", "omar", "priya", "lead", "eng"))
CLOCK = datetime(2026, 11, 21, 9, 30)


def call(store, who: str, name: str, **args):
    return toolset.call(make_ctx(store, who), name, args)


def last_entry(store) -> audit.AuditEntry:
    return audit.entries(store, limit=1)[0]


def policy_of(command: str) -> dict:
    argv = shlex.split(command)
    return json.loads(argv[argv.index("--policy-document") + 1])


def approve_opus(store, **kw):
    args = {"model_id": OPUS, "state": "approved", "accounts": [A1], "regions": ["us-east-1"],
            "rationale": "Needed for complex checkout flows", **kw}
    return call(store, LEAD, "decide_model", **args)


# ============================================================================ audit of every write

WRITES = [
    (MARIA, "claim_principal", {"principal": STRAY, "product": "Checkout", "note": "batch job role"}),
    (MARIA, "set_estimate", {"product": "Checkout", "usd": 350, "reason": "holiday peak"}),
    (MARIA, "request_model_access", {"product": "Checkout", "model_id": OPUS, "reason": "better reasoning"}),
    (MARIA, "approve_spend_card", {"product": "Checkout", "note": "looks right"}),
    (LEAD, "decide_model", {"model_id": OPUS, "state": "blocked", "rationale": "too expensive"}),
    (LEAD, "pause_product", {"product": "Fraud", "rationale": "runaway spend"}),
]


@pytest.mark.parametrize(("who", "name", "args"), WRITES, ids=[w[1] for w in WRITES])
def test_every_write_leaves_an_audit_entry(fresh_org_store, who, name, args):
    result = call(fresh_org_store, who, name, **args)
    entry = last_entry(fresh_org_store)
    assert (entry.actor, entry.action, entry.outcome, entry.at) == (who, f"tool.{name}", "ok", CLOCK)
    assert entry.subject == result.subject and entry.subject
    assert {k: entry.details["args"][k] for k in args} == args
    assert entry.why == next(args[k] for k in ("rationale", "reason", "note") if k in args)
    assert audit.verify(fresh_org_store).ok


@pytest.mark.parametrize(("who", "name", "args"), [
    (PRIYA, "claim_principal", {"principal": STRAY, "product": "Checkout"}),
    (ENG, "set_estimate", {"product": "Checkout", "usd": 1}),
    (MARIA, "decide_model", {"model_id": OPUS, "state": "approved", "rationale": "I want it"}),
    (MARIA, "pause_product", {"product": "Checkout", "rationale": "x"}),
    (LEAD, "complete_task", {"task_id": "T-000001"}),
], ids=["pm-claims", "engineer-estimates", "po-decides", "po-pauses", "lead-completes"])
def test_write_by_wrong_persona_is_refused_and_audited(fresh_org_store, who, name, args):
    before = registry.registry_dump(fresh_org_store)
    with pytest.raises(NotAllowed):
        call(fresh_org_store, who, name, **args)
    entry = last_entry(fresh_org_store)
    assert (entry.actor, entry.action, entry.outcome) == (who, f"tool.{name}", "refused")
    assert registry.registry_dump(fresh_org_store) == before


# ============================================================================ claim_principal


def test_claim_writes_the_claim_at_the_end(fresh_org_store):
    result = call(fresh_org_store, MARIA, "claim_principal", principal=STRAY, product="checkout")
    assert (result.product, result.claimed_on, result.already_claimed) == ("Checkout", TODAY, False)
    rows = fresh_org_store.rows("SELECT principal, product, claimed_by, claimed_on, position FROM claims "
                                "ORDER BY position")
    assert rows[-1] == (STRAY, "Checkout", MARIA, TODAY, 4)


def test_claim_normalises_an_assumed_role_session(fresh_org_store):
    result = call(fresh_org_store, MARIA, "claim_principal", principal=session(A1, "stray-bedrock", "x9"),
                  product="Checkout")
    assert result.principal == STRAY
    assert registry.claim_for_principal(fresh_org_store, STRAY).product == "Checkout"


def test_claim_for_a_product_not_owned_is_scope_error_and_changes_nothing(fresh_org_store):
    before = registry.registry_dump(fresh_org_store)
    with pytest.raises(ScopeError):
        call(fresh_org_store, HANA, "claim_principal", principal=STRAY, product="Checkout")
    assert registry.registry_dump(fresh_org_store) == before
    assert last_entry(fresh_org_store).outcome == "refused"


def test_claiming_an_unseen_principal_fails_with_a_clear_message(fresh_org_store):
    # A Product Owner is told the same as for a principal outside their scope (issue 11); a FinOps Lead
    # gets the precise reason (tests/test_claims_governed.py).
    with pytest.raises(ToolError, match="role/ghost is not in your scope, or not a principal Steward has seen. "
                                        "Check the ARN"):
        call(fresh_org_store, MARIA, "claim_principal", principal="arn:aws:iam::111111111111:role/ghost",
             product="Checkout")


def test_claim_of_a_principal_owned_elsewhere_names_neither_product_nor_owner(fresh_org_store):
    with pytest.raises(ToolError) as exc:
        call(fresh_org_store, OMAR, "claim_principal", principal=CHECKOUT, product="App")
    message = str(exc.value)
    assert "not in your scope, or not a principal Steward has seen" in message
    assert "Checkout" not in message and "maria" not in message.lower()


def test_claim_conflict_is_named_for_a_caller_who_sees_the_product(fresh_org_store):
    with pytest.raises(ToolError, match="already claimed by Checkout"):
        call(fresh_org_store, LEAD, "claim_principal", principal=CHECKOUT, product="Fraud")


def test_claiming_again_for_the_same_product_changes_nothing(fresh_org_store):
    before = registry.registry_dump(fresh_org_store)
    result = call(fresh_org_store, MARIA, "claim_principal", principal=CHECKOUT, product="Checkout")
    assert result.already_claimed and result.claimed_on == date(2026, 10, 1)
    assert registry.registry_dump(fresh_org_store) == before


def test_lead_claims_for_any_product(fresh_org_store):
    call(fresh_org_store, LEAD, "claim_principal", principal=LAB, product="HR Portal")
    claim = registry.claim_for_principal(fresh_org_store, LAB)
    assert (claim.product, claim.claimed_by) == ("HR Portal", LEAD)


def test_claim_in_the_future_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="future"):
        call(fresh_org_store, MARIA, "claim_principal", principal=STRAY, product="Checkout",
             claimed_on="2026-12-01")


# ============================================================================ set_estimate


def test_set_estimate_updates_and_reports_the_previous_value(fresh_org_store):
    result = call(fresh_org_store, MARIA, "set_estimate", product="Checkout", usd=350)
    assert (result.month, result.previous_usd, result.usd, result.created) == ("2026-11", 300, 350, False)
    assert result.input_tokens == 60_000_000  # omitted token figures keep their value
    row = fresh_org_store.rows("SELECT usd, set_by, set_at FROM estimates WHERE product = 'Checkout' "
                               "AND month = '2026-11'")
    assert row == [(350.0, MARIA, CLOCK)]


def test_set_estimate_for_a_future_month_appends_a_row(fresh_org_store):
    result = call(fresh_org_store, HANA, "set_estimate", month="2026-12", usd=1000, output_tokens=5_000_000)
    assert result.created and result.product == "HR Portal" and result.previous_usd is None
    assert fresh_org_store.rows("SELECT product, month, position FROM estimates ORDER BY position")[-1] == (
        "HR Portal", "2026-12", 4)


def test_set_estimate_for_a_past_month_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="2026-10 is over"):
        call(fresh_org_store, MARIA, "set_estimate", product="Checkout", month="2026-10", usd=1)


def test_negative_estimate_fails_validation(fresh_org_store):
    with pytest.raises(ToolError, match="usd"):
        call(fresh_org_store, MARIA, "set_estimate", product="Checkout", usd=-5)


def test_estimate_for_a_product_not_owned_is_scope_error(fresh_org_store):
    with pytest.raises(ScopeError):
        call(fresh_org_store, HANA, "set_estimate", product="Checkout", usd=1)


# ============================================================================ access requests


def test_access_request_is_open_and_reaches_the_lead(fresh_org_store):
    result = call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=OPUS,
                  reason="Better answers on disputes")
    assert (result.request_id, result.status, result.accounts, result.current_state) == (
        "AR-000001", "open", [A1], "unreviewed")
    assert "FinOps Lead" in result.message
    queue = call(fresh_org_store, LEAD, "access_requests")
    assert [(r.request_id, r.product, r.reason) for r in queue.requests] == [
        ("AR-000001", "Checkout", "Better answers on disputes")]


def test_product_owner_sees_only_requests_of_their_products(fresh_org_store):
    call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=OPUS, reason="r")
    assert call(fresh_org_store, HANA, "access_requests").count == 0
    assert call(fresh_org_store, MARIA, "access_requests").count == 1


def test_access_request_without_reason_fails_validation(fresh_org_store):
    with pytest.raises(ToolError, match="reason"):
        call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=OPUS, reason="  ")


def test_second_open_request_for_the_same_model_is_refused(fresh_org_store):
    call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=OPUS, reason="r")
    with pytest.raises(ToolError, match="AR-000001 already asks"):
        call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=OPUS, reason="r")


def test_request_for_a_model_already_approved_there_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="already approved"):
        call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=HAIKU, reason="r")


# ============================================================================ decide_model


@pytest.mark.parametrize("rationale", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_decide_model_without_rationale_fails_validation(fresh_org_store, rationale):
    args = {"model_id": OPUS, "state": "approved"}
    if rationale is not None:
        args["rationale"] = rationale
    with pytest.raises(ToolError, match="rationale"):
        call(fresh_org_store, LEAD, "decide_model", **args)
    assert registry.model_entry(fresh_org_store, OPUS) is None


def test_decide_model_records_the_catalog_entry(fresh_org_store):
    result = approve_opus(fresh_org_store)
    entry = registry.model_entry(fresh_org_store, OPUS)
    assert (entry.state, entry.accounts, entry.regions, entry.action_scope) == (
        "approved", [A1], ["us-east-1"], "inference_only")
    assert (entry.decided_by, entry.decided_on, entry.rationale) == (
        LEAD, TODAY, "Needed for complex checkout flows")
    assert result.previous_state == "unreviewed"
    assert fresh_org_store.scalar("SELECT max(position) FROM model_catalog WHERE model_id = ?", [OPUS]) == 4


def test_decide_model_creates_one_task_per_claimed_role_in_the_accounts(fresh_org_store):
    result = approve_opus(fresh_org_store)
    assert sorted(t.principal for t in result.tasks) == sorted([CHECKOUT, FRAUD, APP])  # HR is in A2
    assert all(t.kind == "role_policy" and t.status == "open" for t in result.tasks)


def test_decide_model_task_policies_allow_exactly_the_approved_models(fresh_org_store):
    result = approve_opus(fresh_org_store)
    expected = {CHECKOUT: {SONNET, HAIKU, OPUS}, FRAUD: {SONNET, HAIKU, LLAMA405, OPUS},
                APP: {SONNET, HAIKU, OPUS}}
    for task in result.tasks:
        policy = policy_of(task.command)
        assert allowed_models(policy) == expected[task.principal]
        assert evaluate(policy, "bedrock:InvokeModel", fm(OPUS)) == "allow"
        assert evaluate(policy, "bedrock:InvokeModel", fm(OPUS, "us-west-2")) == "implicit"
        assert evaluate(policy, "bedrock:InvokeModel", fm(OPUS), via_mcp=True) == "deny"


def test_decide_model_undo_command_restores_the_previous_policy(fresh_org_store):
    result = approve_opus(fresh_org_store)
    task = next(t for t in result.tasks if t.principal == CHECKOUT)
    assert allowed_models(policy_of(task.undo_command)) == {SONNET, HAIKU}


def test_restricted_decision_allows_only_the_listed_products(fresh_org_store):
    result = call(fresh_org_store, LEAD, "decide_model", model_id=OPUS, state="restricted",
                  products=["checkout"], rationale="Checkout pilot only")
    by_role = {t.principal: policy_of(t.command) for t in result.tasks}
    assert evaluate(by_role[CHECKOUT], "bedrock:InvokeModel", fm(OPUS)) == "allow"
    assert evaluate(by_role[FRAUD], "bedrock:InvokeModel", fm(OPUS)) == "deny"
    assert evaluate(by_role[HR], "bedrock:InvokeModel", fm(OPUS)) == "deny"
    assert registry.model_entry(fresh_org_store, OPUS).products == ["Checkout"]


def test_decision_on_a_model_never_seen_is_refused_unless_said_so(fresh_org_store):
    with pytest.raises(ToolError, match="never seen"):
        call(fresh_org_store, LEAD, "decide_model", model_id="anthropic.claude-typo", state="approved", rationale="x")
    result = call(fresh_org_store, LEAD, "decide_model", model_id="anthropic.claude-typo", state="approved",
                  rationale="announced, not synced", unknown_model=True)
    assert any("unknown_model" in w for w in result.warnings)


def test_restricted_without_products_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="restricted needs products"):
        call(fresh_org_store, LEAD, "decide_model", model_id=OPUS, state="restricted", rationale="x")


def test_decision_on_an_unknown_account_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="999999999999 is not in the registry"):
        approve_opus(fresh_org_store, accounts=["999999999999"])


def test_decision_that_changes_no_policy_creates_no_task(fresh_org_store):
    result = call(fresh_org_store, LEAD, "decide_model", model_id=SONNET, state="approved",
                  accounts=[A1, A2], regions=["us-east-1"], rationale="Reworded rationale")
    assert result.tasks == [] and result.previous_state == "approved"


def test_newer_decision_supersedes_the_open_task_of_the_same_role(fresh_org_store):
    first = approve_opus(fresh_org_store)
    second = call(fresh_org_store, LEAD, "decide_model", model_id=OPUS, state="blocked", rationale="Cost")
    old = {t.task_id for t in first.tasks}
    assert set(second.superseded_tasks) == old
    statuses = dict(fresh_org_store.rows("SELECT task_id, status FROM engineer_tasks"))
    assert {statuses[t] for t in old} == {"superseded"}


def test_decision_closes_the_access_request_it_answers(fresh_org_store):
    call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=OPUS, reason="r")
    result = approve_opus(fresh_org_store, request_id="AR-000001")
    assert result.request_closed == "AR-000001"
    row = fresh_org_store.rows("SELECT status, decided_by, decided_at FROM access_requests")
    assert row == [("approved", LEAD, CLOCK)]
    assert call(fresh_org_store, LEAD, "access_requests").count == 0
    assert all(t.task_id and "request:AR-000001" in fresh_org_store.scalar(
        "SELECT source_ref FROM engineer_tasks WHERE task_id = ?", [t.task_id]) for t in result.tasks)


def test_decision_on_a_request_for_another_model_is_refused(fresh_org_store):
    call(fresh_org_store, MARIA, "request_model_access", product="Checkout", model_id=OPUS, reason="r")
    with pytest.raises(ToolError, match="asks for"):
        call(fresh_org_store, LEAD, "decide_model", model_id=HAIKU, state="approved", rationale="x",
             request_id="AR-000001")


# ============================================================================ task queue


def test_task_queue_shows_command_decider_and_why(fresh_org_store):
    decision = approve_opus(fresh_org_store)
    queue = call(fresh_org_store, ENG, "task_queue")
    assert queue.count == 3
    task = next(t for t in queue.tasks if t.principal == CHECKOUT)
    assert task.command == next(t.command for t in decision.tasks if t.principal == CHECKOUT)
    assert (task.account, task.role_name, task.decided_by) == (A1, "checkout-bedrock", LEAD)
    assert task.why == "Needed for complex checkout flows"
    entry = audit.entries(fresh_org_store, action="tool.decide_model", limit=1)[0]
    assert task.source_ref == f"audit:{entry.seq}"
    assert json.loads(task.policy_json) == policy_of(task.command)


def test_product_owner_cannot_read_the_task_queue(fresh_org_store):
    with pytest.raises(NotAllowed):
        call(fresh_org_store, MARIA, "task_queue")


def test_complete_task_marks_it_done(fresh_org_store):
    task_id = approve_opus(fresh_org_store).tasks[0].task_id
    result = call(fresh_org_store, ENG, "complete_task", task_id=task_id, note="CHG-1234")
    assert (result.status, result.completed_by, result.completed_at) == ("done", ENG, CLOCK)
    assert fresh_org_store.rows("SELECT status, completed_by, note FROM engineer_tasks WHERE task_id = ?",
                                [task_id]) == [("done", ENG, "CHG-1234")]
    assert call(fresh_org_store, ENG, "task_queue").count == 2
    assert last_entry(fresh_org_store).subject == task_id


def test_completing_a_done_task_again_is_refused(fresh_org_store):
    task_id = approve_opus(fresh_org_store).tasks[0].task_id
    call(fresh_org_store, ENG, "complete_task", task_id=task_id)
    with pytest.raises(ToolError, match="already completed"):
        call(fresh_org_store, ENG, "complete_task", task_id=task_id)


def test_completing_a_superseded_task_is_refused(fresh_org_store):
    task_id = approve_opus(fresh_org_store).tasks[0].task_id
    call(fresh_org_store, LEAD, "decide_model", model_id=OPUS, state="blocked", rationale="Cost")
    with pytest.raises(ToolError, match="superseded"):
        call(fresh_org_store, ENG, "complete_task", task_id=task_id)


# ============================================================================ pause / resume


def test_pause_creates_a_deny_task_per_role_with_its_undo(fresh_org_store):
    result = call(fresh_org_store, LEAD, "pause_product", product="Checkout", rationale="Runaway loop")
    assert [t.principal for t in result.tasks] == [CHECKOUT] and result.paused
    task = result.tasks[0]
    argv = shlex.split(task.command)
    assert argv[:7] == ["aws", "iam", "put-role-policy", "--role-name", "checkout-bedrock",
                        "--policy-name", "Steward-Pause"]
    policy = policy_of(task.command)
    assert evaluate(policy, "bedrock:InvokeModel", fm(HAIKU)) == "deny"
    assert evaluate(policy, "bedrock:InvokeModelWithResponseStream", fm(SONNET, "eu-west-1")) == "deny"
    assert shlex.split(task.undo_command) == ["aws", "iam", "delete-role-policy", "--role-name",
                                              "checkout-bedrock", "--policy-name", "Steward-Pause"]


def test_pausing_a_paused_product_is_refused(fresh_org_store):
    call(fresh_org_store, LEAD, "pause_product", product="Checkout", rationale="Runaway loop")
    with pytest.raises(ToolError, match="already paused"):
        call(fresh_org_store, LEAD, "pause_product", product="Checkout", rationale="again")


def test_resume_after_the_pause_was_applied_creates_delete_tasks(fresh_org_store):
    pause = call(fresh_org_store, LEAD, "pause_product", product="Checkout", rationale="Runaway loop")
    call(fresh_org_store, ENG, "complete_task", task_id=pause.tasks[0].task_id)
    result = call(fresh_org_store, LEAD, "resume_product", product="Checkout", rationale="Loop fixed")
    assert not result.paused and [t.kind for t in result.tasks] == ["resume"]
    assert shlex.split(result.tasks[0].command)[:3] == ["aws", "iam", "delete-role-policy"]
    assert result.tasks[0].undo_command == pause.tasks[0].command
    entry = last_entry(fresh_org_store)
    assert (entry.action, entry.why) == ("tool.resume_product", "Loop fixed")


def test_resume_before_the_pause_was_applied_withdraws_the_pause_tasks(fresh_org_store):
    pause = call(fresh_org_store, LEAD, "pause_product", product="Checkout", rationale="Runaway loop")
    result = call(fresh_org_store, LEAD, "resume_product", product="Checkout", rationale="False alarm")
    assert result.tasks == [] and result.superseded_tasks == [pause.tasks[0].task_id]
    assert call(fresh_org_store, ENG, "task_queue").count == 0


def test_resuming_a_product_that_is_not_paused_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="not paused"):
        call(fresh_org_store, LEAD, "resume_product", product="Checkout", rationale="x")


# ============================================================================ spend cards


def _checkout_week_usd(start: date, end: date) -> float:
    return sum(r["line_item_unblended_cost"] for r in ROWS
               if r["line_item_line_item_type"] == "Usage" and product_of(r) == "Checkout"
               and start <= r["line_item_usage_start_date"].date() <= end)


def test_spend_card_approval_defaults_to_the_last_complete_week(fresh_org_store):
    result = call(fresh_org_store, MARIA, "approve_spend_card", product="Checkout")
    assert (result.week_start, result.week_end) == (date(2026, 11, 9), date(2026, 11, 15))
    assert result.actual_usd == pytest.approx(_checkout_week_usd(date(2026, 11, 9), date(2026, 11, 15)), abs=0.01)
    assert fresh_org_store.rows("SELECT * FROM spend_card_approvals") == [
        ("Checkout", date(2026, 11, 9), MARIA, CLOCK, None)]


def test_spend_card_week_must_start_on_monday(fresh_org_store):
    with pytest.raises(ToolError, match="Monday"):
        call(fresh_org_store, MARIA, "approve_spend_card", product="Checkout", week_start="2026-11-10")


def test_spend_card_of_the_current_week_is_refused(fresh_org_store):
    with pytest.raises(ToolError, match="not complete"):
        call(fresh_org_store, MARIA, "approve_spend_card", product="Checkout", week_start="2026-11-16")


def test_approving_a_card_twice_keeps_the_first_approval(fresh_org_store):
    call(fresh_org_store, MARIA, "approve_spend_card", product="Checkout", note="first")
    again = call(fresh_org_store, MARIA, "approve_spend_card", product="Checkout", note="second")
    assert again.already_approved and again.note == "first"
    assert fresh_org_store.scalar("SELECT count(*) FROM spend_card_approvals") == 1


# ============================================================================ org export round trip


def test_export_reflects_tool_writes_and_reapplies_cleanly(fresh_org_store):
    call(fresh_org_store, MARIA, "claim_principal", principal=STRAY, product="Checkout", note="batch")
    call(fresh_org_store, MARIA, "set_estimate", product="Checkout", month="2026-12", usd=420.5)
    approve_opus(fresh_org_store)
    exported = org_export.export_org(fresh_org_store)
    assert exported["claims"][-1] == {"principal": STRAY, "product": "Checkout", "claimed_by": MARIA,
                                      "claimed_on": TODAY, "note": "batch"}
    assert exported["estimates"][-1] == {"product": "Checkout", "month": "2026-12", "usd": 420.5}
    assert exported["models"][-1]["id"] == OPUS and exported["models"][-1]["decided_by"] == LEAD

    before = registry.registry_dump(fresh_org_store)
    summary = org_apply.apply_org(fresh_org_store, org_parse.load_org_text(
        org_export.export_org_yaml(fresh_org_store)), actor="test")
    assert not summary.changed
    assert registry.registry_dump(fresh_org_store) == before
    assert org_export.export_org(fresh_org_store) == exported

