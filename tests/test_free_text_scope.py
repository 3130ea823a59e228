"""Free text written about a product (rationales, reasons, notes) never reaches a caller who cannot see
that product, through any read tool. Every read tool of the registry is called, so new tools are covered."""

from __future__ import annotations

from datetime import date
from typing import Any, get_args

import pytest

from tests.conftest import make_ctx
from tests.orgfixture import A2, ALICE, HR, LAB, OPUS, STRAY
from tools import toolset
from tools.errors import ToolError

HANA, LEAD, ENG = "hana@example.com", "lead@example.com", "eng@example.com"
OUTSIDERS = ["maria@example.com", "priya@example.com", "omar@example.com"]  # none of them sees HR Portal


def _call(store, who: str, name: str, **args: Any):  # noqa: ANN202
    return toolset.call(make_ctx(store, who), name, args)


def seed_free_text(store) -> dict[str, str]:  # noqa: ANN001
    """Free text about HR Portal at every place Steward keeps some, written through the tools."""
    secret = {k: f"SECRET-{k.upper()}-4f1c" for k in (
        "claim_note", "claim_reason", "claim_decision", "access_reason", "model_rationale", "card_note",
        "estimate_reason", "pause_rationale", "task_note")}
    _call(store, HANA, "claim_principal", principal=ALICE, product="HR Portal", note=secret["claim_note"])
    asked = _call(store, HANA, "claim_principal", principal=STRAY, product="HR Portal",
                  claimed_on=date(2026, 10, 1), reason=secret["claim_reason"])
    assert asked.status == "requested"
    _call(store, LEAD, "decide_claim_request", request_id=asked.request_id, decision="reject",
          rationale=secret["claim_decision"])
    _call(store, HANA, "claim_principal", principal=LAB, product="HR Portal", reason=secret["claim_reason"])
    request = _call(store, HANA, "request_model_access", product="HR Portal", model_id=OPUS, accounts=[A2],
                    reason=secret["access_reason"])
    _call(store, LEAD, "decide_model", model_id=OPUS, state="restricted", products=["HR Portal"],
          rationale=secret["model_rationale"], request_id=request.request_id)
    _call(store, HANA, "request_model_access", product="HR Portal", model_id="anthropic.claude-sonnet-4-6",
          regions=["us-west-2"], reason=secret["access_reason"])
    _call(store, HANA, "approve_spend_card", product="HR Portal", note=secret["card_note"])
    _call(store, HANA, "set_estimate", product="HR Portal", month="2026-12", usd=950, reason=secret["estimate_reason"])
    paused = _call(store, LEAD, "pause_product", product="HR Portal", rationale=secret["pause_rationale"])
    _call(store, ENG, "complete_task", task_id=paused.tasks[0].task_id, note=secret["task_note"])
    return secret


def _values(store, field: str, annotation: Any) -> list[Any]:  # noqa: ANN001
    """Argument values worth trying for a field: every name of its kind in the store, every choice."""
    names = {
        "product": "SELECT name FROM org_nodes WHERE kind = 'product'",
        "portfolio": "SELECT name FROM org_nodes WHERE kind = 'portfolio'",
        "department": "SELECT name FROM org_nodes WHERE kind = 'department'",
        "business_unit": "SELECT name FROM org_nodes WHERE kind = 'business_unit'",
        "model": "SELECT model_id FROM model_catalog UNION SELECT DISTINCT model_id FROM usage_daily "
                 "WHERE model_id IS NOT NULL",
        "account": "SELECT account_id FROM accounts",
        "principal": "SELECT DISTINCT principal FROM usage_daily UNION SELECT principal FROM claims",
    }
    if field in names:
        return sorted(r[0] for r in store.rows(names[field]))
    choices = [a for arg in (get_args(annotation) or (annotation,)) for a in get_args(arg)] or list(get_args(annotation))
    return [c for c in choices if isinstance(c, str)]


def read_calls(store, ctx) -> list[tuple[str, dict]]:  # noqa: ANN001
    """Every read tool the caller may call, with no arguments and with each argument varied alone
    (required arguments filled with each of their values)."""
    calls: list[tuple[str, dict]] = []
    for t in toolset.tools_for(ctx, actions=frozenset({"read"})):
        fields = t.args_model.model_fields
        base = {k: (_values(store, k, f.annotation) or ["x"])[0] for k, f in fields.items() if f.is_required()}
        if "region" in base:
            base["region"] = "us-east-1"
        calls.append((t.name, base))
        for k, f in fields.items():
            for v in _values(store, k, f.annotation):
                calls.append((t.name, {**base, k: v}))
    return calls


@pytest.fixture
def seeded(fresh_org_store):  # noqa: ANN001, ANN201
    return fresh_org_store, seed_free_text(fresh_org_store)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_free_text_about_a_product_the_caller_cannot_see_appears_in_no_read_tool(seeded, who: str) -> None:
    store, secret = seeded
    ctx = make_ctx(store, who)
    assert "HR Portal" not in ctx.caller.products
    calls = read_calls(store, ctx)
    assert len({name for name, _ in calls}) >= 15  # the registry's read tools, not a hand-picked few
    leaks = []
    for name, args in calls:
        try:
            text = toolset.call(ctx, name, args).model_dump_json()
        except ToolError as exc:
            text = str(exc)
        leaks += [(name, args, k) for k, v in secret.items() if v in text]
    assert not leaks, leaks


def test_the_seeded_text_is_there_for_those_who_see_the_product(seeded) -> None:
    """Not vacuous: HR Portal's Product Owner and the FinOps Lead read the same text through the tools."""
    store, secret = seeded
    seen: dict[str, set[str]] = {}
    for who in (HANA, LEAD, ENG):
        ctx = make_ctx(store, who)
        text = ""
        for name, args in read_calls(store, ctx):
            try:
                text += toolset.call(ctx, name, args).model_dump_json()
            except ToolError as exc:
                text += str(exc)
        seen[who] = {k for k, v in secret.items() if v in text}
    assert {"claim_note", "claim_reason", "claim_decision", "access_reason", "model_rationale",
            "card_note"} <= seen[HANA]
    assert {"claim_reason", "claim_decision", "access_reason", "model_rationale"} <= seen[LEAD]
    assert {"pause_rationale", "task_note", "model_rationale"} <= seen[ENG]
