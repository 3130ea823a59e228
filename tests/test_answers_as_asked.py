"""Answers that say what they answered: qualifiers honoured (quarters, fortnights, comparisons, account,
region, token kind, business unit), the reading stated, unhonoured qualifiers named (outcome partial),
facets answered directly, and names resolved from a word. Figures are recomputed here from
tests/orgfixture.py ROWS (today 2026-11-21, data through 2026-11-20)."""

from __future__ import annotations

from datetime import date, timedelta

from agent import planner
from agent.render_words import pct, usd
from tests.conftest import make_ctx
from tests.orgfixture import A2, CHECKOUT, ROWS, TODAY, day, kind, principal_of, product_of, usage_rows
from tools import toolset

MARIA, HANA, LEAD = "maria@example.com", "hana@example.com", "lead@example.com"
OCT, NOV = (date(2026, 10, 1), date(2026, 11, 1)), (date(2026, 11, 1), date(2026, 12, 1))


def spend(start: date, end: date, *, products: set[str] | None = None, **where: str) -> float:
    """Usage cost in [start, end), of some products (attributed from the claim date), with column filters."""
    total = 0.0
    for r in usage_rows():
        if not start <= day(r) < end or (products is not None and product_of(r) not in products):
            continue
        if where.get("region") == "us-west-2" and not r["line_item_usage_type"].startswith("USW2"):
            continue
        if where.get("account") and r["line_item_usage_account_id"] != where["account"]:
            continue
        if where.get("kind") and kind(r) != where["kind"]:
            continue
        total += r["line_item_unblended_cost"]
    return total


def ask(store, who: str, question: str):
    return planner.answer(make_ctx(store, who), question)


# ------------------------------------------------------------------ periods

def test_a_quarter_is_the_quarter_not_this_month(org_store) -> None:
    a = ask(org_store, LEAD, "What did we spend on Bedrock in Q4?")
    assert a.facts[0].args["start"] == "2026-10-01" and a.facts[0].args["end"] == "2027-01-01"
    assert a.reading == "Q4 2026, by product" and a.text.startswith("Read as: Q4 2026, by product.")
    assert usd(spend(date(2026, 10, 1), TODAY + timedelta(days=1))) in a.text
    assert a.outcome == "answered"


def test_the_past_fortnight_is_fourteen_days(org_store) -> None:
    a = ask(org_store, MARIA, "How much did Checkout spend over the past fortnight?")
    start = TODAY - timedelta(days=14)
    assert (a.facts[0].args["start"], a.facts[0].args["end"]) == (start.isoformat(), TODAY.isoformat())
    assert usd(spend(start, TODAY, products={"Checkout"})) in a.text


def test_two_months_compared_side_by_side(org_store) -> None:
    a = ask(org_store, LEAD, "Compare October and November spend")
    assert [f.tool for f in a.facts] == ["compare_spend"] and a.outcome == "answered"
    assert usd(spend(*OCT)) in a.text and usd(spend(*NOV)) in a.text
    mine = ask(org_store, MARIA, "October vs November")  # scoped: her two products only
    assert usd(spend(*OCT, products={"Checkout", "Fraud"})) in mine.text
    assert usd(spend(*NOV, products={"Checkout", "Fraud"})) in mine.text and "HR Portal" not in mine.text


# ------------------------------------------------------------------ filters and grouping

def test_a_region_or_an_account_filters_instead_of_being_dropped(org_store) -> None:
    a = ask(org_store, LEAD, "How much did we spend in us-west-2 this month?")
    assert a.facts[0].args["region"] == "us-west-2" and "us-west-2" in (a.reading or "")
    assert usd(spend(*NOV, region="us-west-2")) in a.text
    b = ask(org_store, LEAD, f"Spend in account {A2} by model this month")
    assert b.facts[0].args["account"] == A2 and b.facts[0].args["by"] == "model"
    assert b.reading == f"November 2026 to date, account {A2}, by model"
    assert usd(spend(*NOV, account=A2)) in b.text


def test_token_kind_filter_and_business_unit_grouping(org_store) -> None:
    a = ask(org_store, LEAD, "How much did output tokens cost this month?")
    assert a.facts[0].args["kind"] == "output"
    assert usd(spend(*NOV, kind="output")) in a.text
    b = ask(org_store, LEAD, "break it down by BU")
    assert b.facts[0].tool == "spend_breakdown" and b.facts[0].args["by"] == "business_unit"
    assert "Retail" in b.text and "Corporate" in b.text


def test_spend_breakdown_tool_filters_stay_within_scope(org_store) -> None:
    ctx = make_ctx(org_store, MARIA)
    r = toolset.call(ctx, "spend_breakdown", {"by": "product", "account": A2, "month": "2026-11"})
    assert r.rows == []  # HR Portal's account: nothing of hers there, and nothing of HR Portal's shown
    r = toolset.call(ctx, "spend_breakdown", {"by": "tier", "month": "2026-11"})
    assert [row.key for row in r.rows] == ["standard"]
    assert round(r.total_usd, 2) == round(spend(*NOV, products={"Checkout", "Fraud"}), 2)


# ------------------------------------------------------------------ partial answers

def test_a_qualifier_the_tool_cannot_honour_makes_the_answer_partial(org_store) -> None:
    a = ask(org_store, MARIA, "Am I within my estimate in us-west-2?")
    assert a.outcome == "partial" and a.not_honoured == ["region us-west-2"]
    assert "Not answered as asked: region us-west-2" in a.text
    b = ask(org_store, MARIA, "Is Checkout within its estimate for Q4?")
    assert b.outcome == "partial" and any("Q4 2026" in x for x in b.not_honoured)
    c = ask(org_store, LEAD, f"spend by product for {CHECKOUT}")
    assert c.outcome == "partial" and any(CHECKOUT in x for x in c.not_honoured)


# ------------------------------------------------------------------ facets

def test_cache_hit_rate_is_answered_with_its_figure(org_store) -> None:
    a = ask(org_store, MARIA, "What's our cache hit rate?")
    assert a.facts[0].tool == "cache_hit_rates" and a.outcome == "answered"
    tokens = {k: sum(r["line_item_usage_amount"] for r in usage_rows() if NOV[0] <= day(r) < TODAY
                     and principal_of(r) == CHECKOUT and kind(r) == k) for k in ("input", "cache_read", "cache_write")}
    rate = tokens["cache_read"] / (tokens["input"] + tokens["cache_read"] + tokens["cache_write"])
    assert f"Checkout: {pct(rate)}" in a.text and "Fraud: 0%" in a.text and "HR Portal" not in a.text


def test_paused_and_since_when(fresh_org_store) -> None:
    before = ask(fresh_org_store, LEAD, "Is HR Portal paused?")
    assert before.facts[0].tool == "product_status" and "not paused" in before.text
    toolset.call(make_ctx(fresh_org_store, LEAD), "pause_product", {"product": "HR Portal", "rationale": "runaway"})
    after = ask(fresh_org_store, LEAD, "Is HR Portal paused?")
    assert "HR Portal is paused since 21 Nov 2026" in after.text


def test_who_claimed_a_principal_within_scope(org_store) -> None:
    a = ask(org_store, LEAD, "Who claimed checkout-bedrock?")
    assert "belongs to Checkout: claimed by maria@example.com on 1 Oct 2026" in a.text
    b = ask(org_store, MARIA, "who claimed hr-bedrock?")
    assert b.outcome == "refused_scope" and "HR Portal" not in b.text and "hana" not in b.text


# ------------------------------------------------------------------ names from a word

def test_a_word_of_one_product_resolves_and_of_two_asks_which(fresh_org_store) -> None:
    a = ask(fresh_org_store, HANA, "How much did Portal spend last month?")
    assert a.facts[0].args["product"] == "HR Portal"
    fresh_org_store.con.execute("INSERT INTO org_nodes VALUES ('product', 'Portal Admin', 'HR Tech', 9)")
    b = ask(fresh_org_store, LEAD, "How much did Portal spend last month?")
    assert b.outcome == "clarify" and not b.facts
    assert "Which product do you mean by 'Portal': HR Portal or Portal Admin?" in b.text


# ------------------------------------------------------------------ follow-ups in a thread

def test_a_follow_up_changes_one_slot_of_the_previous_question(org_store) -> None:
    from agent import service
    from agent.config import AgentConfig

    ctx, offline = make_ctx(org_store, MARIA), AgentConfig(mode="offline")
    first = service.ask(ctx, "How much did Checkout spend this month?", config=offline, thread_id="t-1")
    assert first.facts[0].args == {"product": "Checkout", "month": "2026-11", "by": "model"}
    again = service.ask(ctx, "and last month?", config=offline, thread_id="t-1")
    assert again.facts[0].args == {"product": "Checkout", "month": "2026-10", "by": "model"}
    assert usd(spend(*OCT, products={"Checkout"})) in again.text and "follow-up" in (again.reading or "")
    other = service.ask(ctx, "what about Fraud?", config=offline, thread_id="t-1")
    assert other.facts[0].args == {"product": "Fraud", "month": "2026-10", "by": "model"}
    assert other.reading.startswith("October 2026, Fraud")
    # another thread, or no thread, starts afresh: 'and last month?' alone is not placed
    assert service.ask(ctx, "and last month?", config=offline, thread_id="t-2").outcome == "unplaced"
    # and another caller's thread of the same id is theirs, not hers
    assert service.ask(make_ctx(org_store, HANA), "and last month?", config=offline,
                       thread_id="t-1").outcome == "unplaced"


def test_credits_refunds_and_taxes_have_a_breakdown_of_their_own(org_store) -> None:
    a = ask(org_store, LEAD, "Show credits, refunds and taxes this month")
    assert a.facts[0].tool == "charges_breakdown" and a.outcome == "answered"
    credit = sum(r["line_item_unblended_cost"] for r in ROWS if r["line_item_line_item_type"] == "Credit")
    assert f"credits {usd(credit)}" in a.text and usd(spend(*NOV)) in a.text
    mine = ask(org_store, MARIA, "any credits this month?")  # account-level lines belong to no product of hers
    assert "No credits" in mine.text and usd(credit) not in mine.text
