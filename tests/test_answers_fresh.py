"""Readings the fresh held-out batch found missing (evals/heldout.yaml, families fresh-*): weekends and
weekdays, halves of a month, ranges of days, 'since the start of October', 'next quarter', comparisons
cued by 'than' / 'against' and of weeks or day ranges, follow-ups naming a model or a tier, token kinds,
'paying', unattributed spend with an account, a product over a window of days, 'can <account> call
<model>', and several departments that are the caller's whole scope. Figures are recomputed here from
tests/orgfixture.py ROWS (today Saturday 2026-11-21, data through 2026-11-20)."""

from __future__ import annotations

from datetime import date, timedelta

from agent import planner
from agent.render_words import usd
from tests.conftest import make_ctx
from tests.orgfixture import A1, OPUS, SONNET, TODAY
from tests.test_answers_as_asked import LEAD, MARIA, spend

PRIYA, ENG = "priya@example.com", "eng@example.com"
DIGITAL = {"Checkout", "Fraud", "App"}


def ask(store, who: str, question: str, thread_id: str | None = None):
    return planner.answer(make_ctx(store, who), question, thread_id=thread_id)


def window(a) -> tuple[str, str]:
    return a.facts[0].args["start"], a.facts[0].args["end"]


def test_weekend_weekday_half_month_and_ranges_of_days(org_store) -> None:
    cases = {  # question -> [start, end) as the words say it, today being Saturday 21 Nov 2026
        "How much did we spend on Bedrock over the weekend?": (date(2026, 11, 14), date(2026, 11, 16)),
        "What did we spend on Bedrock last Friday?": (date(2026, 11, 20), date(2026, 11, 21)),
        "Total Bedrock cost for the second half of October": (date(2026, 10, 16), date(2026, 11, 1)),
        "Bedrock spend for November 1st through the 10th": (date(2026, 11, 1), date(2026, 11, 11)),
        "Bedrock spend 3-9 November": (date(2026, 11, 3), date(2026, 11, 10)),
    }
    for question, (start, end) in cases.items():
        a = ask(org_store, LEAD, question)
        assert window(a) == (start.isoformat(), end.isoformat()), question
        assert usd(spend(start, end)) in a.text and a.outcome == "answered", question


def test_since_the_start_of_a_month_runs_to_today(org_store) -> None:
    for question in ("Bedrock spend since the start of October", "Bedrock spend since October started"):
        a = ask(org_store, LEAD, question)
        assert window(a) == ("2026-10-01", (TODAY + timedelta(days=1)).isoformat()), question
        assert usd(spend(date(2026, 10, 1), TODAY + timedelta(days=1))) in a.text and a.outcome == "answered"


def test_next_quarter_has_no_figures_yet(org_store) -> None:
    a = ask(org_store, MARIA, "What will Checkout cost next quarter?")
    assert a.outcome == "unplaced" and not a.facts and "Q1 2027" in a.text


def test_than_and_against_compare_two_periods(org_store) -> None:
    a = ask(org_store, LEAD, "Was Bedrock cheaper in October than in November?")
    assert [f.tool for f in a.facts] == ["compare_spend"]  # not savings advice
    assert usd(spend(date(2026, 10, 1), date(2026, 11, 1))) in a.text
    b = ask(org_store, LEAD, f"Spend in {A1}, October against November")
    assert b.facts[0].tool == "compare_spend" and b.facts[0].args["account"] == A1
    assert usd(spend(date(2026, 10, 1), date(2026, 11, 1), account=A1)) in b.text


def test_ranges_of_days_and_weeks_are_compared_as_such(org_store) -> None:
    a = ask(org_store, LEAD, "Bedrock spend: 1-10 October vs 1-10 November")
    args = a.facts[0].args
    assert (args["first_start"], args["first_end"]) == ("2026-10-01", "2026-10-11")
    assert (args["second_start"], args["second_end"]) == ("2026-11-01", "2026-11-11")
    assert usd(spend(date(2026, 10, 1), date(2026, 10, 11))) in a.text
    assert usd(spend(date(2026, 11, 1), date(2026, 11, 11))) in a.text
    b = ask(org_store, MARIA, "Checkout last week vs the week before")
    last_monday = date(2026, 11, 9)
    assert (b.facts[0].args["first_start"], b.facts[0].args["second_start"]) == ("2026-11-02", "2026-11-09")
    assert usd(spend(last_monday, last_monday + timedelta(days=7), products={"Checkout"})) in b.text
    c = ask(org_store, LEAD, "Compare the first week of November with last week")
    assert (c.facts[0].args["first_start"], c.facts[0].args["first_end"]) == ("2026-11-01", "2026-11-08")


def test_follow_ups_naming_a_model_or_a_tier_keep_the_rest(org_store) -> None:
    ask(org_store, LEAD, "How much did we spend on Claude Opus 4.6 in October?", thread_id="m")
    a = ask(org_store, LEAD, "and Sonnet?", thread_id="m")
    assert a.facts[0].tool == "spend_breakdown" and a.facts[0].args["model"] == SONNET
    assert a.facts[0].args["month"] == "2026-10"
    ask(org_store, MARIA, "Checkout spend in October", thread_id="t")
    b = ask(org_store, MARIA, "how much of that was batch?", thread_id="t")
    assert b.facts[0].args["tier"] == "batch" and b.facts[0].args["month"] == "2026-10"
    c = ask(org_store, LEAD, "same thing for last month", thread_id="m")
    assert c.facts[0].args["month"] == "2026-10" and c.outcome == "answered"


def test_token_kinds_and_paying_read_as_spend(org_store) -> None:
    a = ask(org_store, LEAD, "How much did we spend on cache writes this month?")
    assert a.facts[0].args["kind"] == "cache_write" and "model" not in a.facts[0].args
    assert usd(spend(date(2026, 11, 1), date(2026, 12, 1), kind="cache_write")) in a.text
    b = ask(org_store, LEAD, "this month's spend split into input, output and cache tokens")
    assert b.facts[0].args["by"] == "kind"
    c = ask(org_store, LEAD, f"What's account {A1} paying for Claude Opus 4.6 this month?")
    assert c.facts[0].tool == "spend_breakdown" and c.facts[0].args["model"] == OPUS


def test_unattributed_spend_names_the_filters_it_cannot_apply(org_store) -> None:
    a = ask(org_store, LEAD, f"unclaimed spend in account {A1} for Claude Opus 4.6 last month")
    assert a.facts[0].tool == "unattributed_spend" and a.facts[0].args["account"] == A1
    assert a.outcome == "partial" and any("Opus" in x for x in a.not_honoured)


def test_a_product_over_days_is_its_spend_not_its_estimate(org_store) -> None:
    a = ask(org_store, MARIA, "Checkout, last 10 days")
    assert a.facts[0].tool == "spend_breakdown" and a.outcome == "answered"
    start = TODAY - timedelta(days=10)
    assert usd(spend(start, TODAY, products={"Checkout"})) in a.text


def test_can_an_account_call_a_model(org_store) -> None:
    a = ask(org_store, ENG, f"can account {A1} call Claude Opus 4.6 in us-east-1?")
    assert a.facts[0].tool == "model_status" and "unreviewed" in a.text
    b = ask(org_store, ENG, "Anything waiting for me to run?")
    assert b.facts[0].tool == "task_queue"


def test_departments_that_are_the_whole_scope_are_summed(org_store) -> None:
    a = ask(org_store, PRIYA, "Payments and Mobile spend last month")
    assert "department" not in a.facts[0].args and a.outcome == "answered"
    assert usd(spend(date(2026, 10, 1), date(2026, 11, 1), products=DIGITAL)) in a.text
    b = ask(org_store, PRIYA, "Payments spend last month")  # one of two: the filter stays
    assert b.facts[0].args["department"] == "Payments"


def test_ordinary_words_and_compound_periods_are_not_unknown(org_store) -> None:
    a = ask(org_store, MARIA, "Checkout burn so far this month vs the number we agreed")
    assert a.facts[0].tool == "estimate_status" and a.outcome == "answered"
    b = ask(org_store, LEAD, "Are folks running models we never signed off on?")
    assert b.outcome == "answered"
    c = ask(org_store, LEAD, "Q3 vs Q4-to-date Bedrock spend")
    # every word is read; Q3 2026 lies before the fixture's first day of data (1 Oct), which is said
    assert c.facts[0].tool == "compare_spend" and not any("asks for" in x for x in c.not_honoured)
    assert c.outcome == "partial" and c.not_honoured == [
        "the period 01 Jul 2026 to 30 Sep 2026 (Steward's usage data does not reach back that far)"]
