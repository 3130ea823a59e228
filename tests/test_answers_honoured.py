"""Qualifiers the planner used to drop or misread (issue 14): unattributed spend of one account or region,
three-letter typos ('last wek'), an account id followed by punctuation, and an account compared over two
months. Figures are recomputed here in plain Python from tests/orgfixture.py ROWS (today 2026-11-21, data
through 2026-11-20)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agent import planner
from agent.render_words import usd
from agent.vocabulary import canonical
from tests.conftest import make_ctx
from tests.orgfixture import A1, A2, A3, TODAY, day, product_of, usage_rows
from tests.test_answers_as_asked import spend
from tools import toolset
from tools.errors import ScopeError

LEAD, MARIA, PRIYA = "lead@example.com", "maria@example.com", "priya@example.com"
OCT, NOV = (date(2026, 10, 1), date(2026, 11, 1)), (date(2026, 11, 1), date(2026, 12, 1))


def unattributed(start: date, end: date, *, account: str | None = None, region_prefix: str | None = None) -> float:
    """Usage no claim covers on its day, in [start, end), of one account and usage-type region prefix."""
    return sum(r["line_item_unblended_cost"] for r in usage_rows()
               if start <= day(r) < end and product_of(r) is None
               and (account is None or r["line_item_usage_account_id"] == account)
               and (region_prefix is None or r["line_item_usage_type"].startswith(region_prefix)))


def ask(store, who: str, question: str):
    return planner.answer(make_ctx(store, who), question)


# ------------------------------------------------------------------ unattributed spend of one account

def test_unattributed_spend_of_one_account_is_filtered_in_the_query(org_store) -> None:
    ctx = make_ctx(org_store, LEAD)
    every = toolset.call(ctx, "unattributed_spend", {"month": "2026-10"})
    one = toolset.call(ctx, "unattributed_spend", {"month": "2026-10", "account": A2})
    assert one.total_usd == pytest.approx(unattributed(*OCT, account=A2), abs=0.01)
    assert {line.account_id for g in one.groups for line in g.lines} == {A2}
    assert every.total_usd == pytest.approx(unattributed(*OCT), abs=0.01) and every.total_usd > one.total_usd > 0
    west = toolset.call(ctx, "unattributed_spend", {"month": "2026-11", "region": "us-west-2"})
    east = toolset.call(ctx, "unattributed_spend", {"month": "2026-11", "region": "us-east-1"})
    assert west.total_usd == pytest.approx(unattributed(*NOV, region_prefix="USW2"), abs=0.01)
    assert east.total_usd == pytest.approx(unattributed(*NOV, region_prefix="USE1"), abs=0.01)
    assert east.total_usd > 0 and {line.account_id for g in east.groups for line in g.lines} == {A1, A2, A3}


def test_an_account_outside_the_callers_scope_is_refused_not_emptied(org_store) -> None:
    ctx = make_ctx(org_store, PRIYA)  # sees the unattributed spend of 111111111111 only
    with pytest.raises(ScopeError):
        toolset.call(ctx, "unattributed_spend", {"account": A2})
    mine = toolset.call(ctx, "unattributed_spend", {"account": A1})
    assert mine.total_usd == pytest.approx(unattributed(NOV[0], TODAY, account=A1), abs=0.01)


def test_the_planner_passes_the_account_and_states_the_total(org_store) -> None:
    a = ask(org_store, LEAD, f"unclaimed spend in account {A2} last month")
    assert a.facts[0].tool == "unattributed_spend" and a.facts[0].args["account"] == A2
    assert a.outcome == "answered" and usd(unattributed(*OCT, account=A2)) in a.text
    assert f"account {A2}" in a.reading
    b = ask(org_store, LEAD, "unattributed spend in corp-lab this month")  # by the account's name
    assert b.facts[0].args["account"] == A3 and usd(unattributed(NOV[0], TODAY, account=A3)) in b.text


# ------------------------------------------------------------------ three-letter typos

def test_three_letter_typos_are_repaired_to_the_one_keyword_they_miss_a_letter_of() -> None:
    assert [canonical(w) for w in ("wek", "yer", "cst", "nxt", "typ")] == ["week", "year", "cost", "next", "type"]


def test_short_repair_never_makes_a_word_of_its_own_a_keyword_or_a_write() -> None:
    for word in ("red", "led", "den", "don", "rat", "usd", "gpu", "cpu", "sql", "api", "pdf", "app", "dev"):
        assert canonical(word) == word, word
    for word, opposite in (("mapped", "unmapped"), ("tracked", "untracked"), ("approved", "unapproved"),
                           ("tagged", "untagged"), ("compliant", "noncompliant")):
        assert canonical(word) != opposite, word


def test_last_wek_is_last_week(org_store) -> None:
    a = ask(org_store, MARIA, "checkout spend last wek")
    monday = TODAY - timedelta(days=TODAY.weekday()) - timedelta(days=7)
    assert (a.facts[0].args["start"], a.facts[0].args["end"]) == (monday.isoformat(),
                                                                  (monday + timedelta(days=7)).isoformat())
    assert a.outcome == "answered" and usd(spend(monday, monday + timedelta(days=7), products={"Checkout"})) in a.text


# ------------------------------------------------------------------ accounts

def test_an_account_id_before_a_colon_is_the_account(org_store) -> None:
    for question in (f"account {A1}: spend by model", f"({A1}) spend by model", f"account:{A1} spend by model"):
        a = ask(org_store, LEAD, question)
        assert a.facts[0].args.get("account") == A1 and a.facts[0].args["by"] == "model", question
        assert usd(spend(NOV[0], TODAY, account=A1)) in a.text, question
    b = ask(org_store, LEAD, f"who claimed arn:aws:iam::{A1}:role/stray-bedrock?")
    assert "account" not in b.facts[0].args  # the ARN's account field is not a filter


def test_an_account_over_two_months_is_filtered_not_grouped(org_store) -> None:
    a = ask(org_store, LEAD, f"account {A1} October against November")
    args = a.facts[0].args
    assert a.facts[0].tool == "compare_spend" and args["account"] == A1 and "by" not in args
    assert usd(spend(*OCT, account=A1)) in a.text and usd(spend(NOV[0], TODAY, account=A1)) in a.text
    assert a.outcome == "answered" and "by account" not in a.text


# ------------------------------------------------------------------ model families

def family_spend(start: date, end: date, word: str) -> float:
    """Usage of every model whose billing name carries the family word, in [start, end)."""
    return sum(r["line_item_unblended_cost"] for r in usage_rows()
               if start <= day(r) < end and word in r["line_item_usage_type"])


def test_a_family_word_is_every_model_of_the_family_not_one_or_none(org_store) -> None:
    a = ask(org_store, LEAD, "Claude spend in October")
    assert a.facts[0].args.get("model_family") == "Claude" and "model" not in a.facts[0].args
    assert usd(family_spend(*OCT, "Claude")) in a.text and "No Bedrock spend" not in a.text
    b = ask(org_store, LEAD, "Llama spend this month")  # two Llamas in use: both, not the shorter id
    assert b.facts[0].args.get("model_family") == "Llama"
    assert family_spend(NOV[0], TODAY, "Llama3-70B") > 0 and family_spend(NOV[0], TODAY, "Llama3-1-405B") > 0
    assert usd(family_spend(NOV[0], TODAY, "Llama")) in b.text
    c = ask(org_store, LEAD, "Llama 3 70B spend this month")  # a version names the one model
    assert c.facts[0].args.get("model") == "meta.llama3-70b-instruct-v1:0"


def test_the_family_filter_takes_a_word_of_the_family(org_store) -> None:
    ctx = make_ctx(org_store, LEAD)
    whole = toolset.call(ctx, "spend_breakdown", {"month": "2026-10", "model_family": "claude", "by": "model"})
    assert whole.total_usd == pytest.approx(family_spend(*OCT, "Claude"), abs=0.01)
    one = toolset.call(ctx, "spend_breakdown", {"month": "2026-10", "model_family": "claude-sonnet", "by": "model"})
    assert one.total_usd == pytest.approx(family_spend(*OCT, "Sonnet"), abs=0.01)
