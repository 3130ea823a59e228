"""Readings the blind held-out batch found missing (evals/heldout.yaml, families blind-*): windows inside a
month ('the first three weeks of October', 'the first half of Nov'), from a day up to yesterday, a calendar
year so far, such windows compared, 'the month before it', a change between two periods, grouping per
month over a range, the same period last year before the data starts, the cache hit rate of a model (and
of a product on a model, over days), 'on pause', and a named person's products within the caller's scope.
Figures are recomputed here from tests/orgfixture.py ROWS (today Saturday 2026-11-21, data 2026-10-01 to
2026-11-20)."""

from __future__ import annotations

from datetime import date

import pytest

from agent import planner
from agent.render_words import pct, usd
from tests.conftest import make_ctx
from tests.orgfixture import HAIKU, SONNET, TODAY, day, kind, product_of, usage_rows
from tests.test_answers_as_asked import LEAD, MARIA, spend
from tools import toolset
from tools.errors import ScopeError

HANA, PRIYA = "hana@example.com", "priya@example.com"


def ask(store, who: str, question: str):
    return planner.answer(make_ctx(store, who), question)


def window(a) -> tuple[str, str]:
    return a.facts[0].args["start"], a.facts[0].args["end"]


def windows(a) -> tuple[tuple[str, str], tuple[str, str]]:
    args = a.facts[0].args
    return (args["first_start"], args["first_end"]), (args["second_start"], args["second_end"])


def hit_rate(start: date, end: date, *, model: str | None = None, products: set[str] | None = None) -> float:
    """Cache-read tokens over input + cache read + cache write tokens, from the rows themselves."""
    sums = {"input": 0.0, "cache_read": 0.0, "cache_write": 0.0}
    for r in usage_rows():
        if not start <= day(r) < end or kind(r) not in sums:
            continue
        if products is not None and product_of(r) not in products:
            continue
        billing = r["line_item_usage_type"].split("-")[1]
        if model is not None and {"Claude4.6Sonnet": SONNET, "Claude3Haiku": HAIKU}.get(billing) != model:
            continue
        sums[kind(r)] += r["line_item_usage_amount"]
    return sums["cache_read"] / sum(sums.values())


# ------------------------------------------------------------------ periods


def test_first_days_and_weeks_of_a_month(org_store) -> None:
    a = ask(org_store, MARIA, "Checkout - spend for the first three weeks of October?")
    assert window(a) == ("2026-10-01", "2026-10-22")
    assert usd(spend(date(2026, 10, 1), date(2026, 10, 22), products={"Checkout"})) in a.text
    b = ask(org_store, LEAD, "Bedrock spend in the first 10 days of November")
    assert window(b) == ("2026-11-01", "2026-11-11")
    assert usd(spend(date(2026, 11, 1), date(2026, 11, 11))) in b.text and b.outcome == "answered"


def test_from_a_day_up_to_yesterday(org_store) -> None:
    a = ask(org_store, MARIA, "Checkout's spend from the 15th of November up to yesterday")
    assert window(a) == ("2026-11-15", "2026-11-21")  # yesterday (20 Nov) included, today not
    total = spend(date(2026, 11, 15), TODAY, products={"Checkout"})
    assert a.facts[0].result["total_usd"] == pytest.approx(total, abs=0.01) and a.outcome == "answered"


def test_since_a_day_of_this_month(org_store) -> None:
    a = ask(org_store, LEAD, "Bedrock spend since the 15th")
    assert window(a) == ("2026-11-15", "2026-11-22")
    assert usd(spend(date(2026, 11, 15), TODAY)) in a.text and a.outcome == "answered"


def test_a_calendar_year_so_far(org_store) -> None:
    a = ask(org_store, LEAD, "bedrock spend for calendar year 2026 so far")
    assert window(a) == ("2026-01-01", "2026-11-22")
    assert a.outcome == "partial"  # the store's usage starts on 1 Oct: the answer says so (test_answers_data_start)
    assert usd(spend(date(2026, 1, 1), TODAY)) in a.text


def test_halves_of_months_are_compared_as_such(org_store) -> None:
    a = ask(org_store, MARIA, "Checkout: first half of Nov vs first half of Oct?")
    assert windows(a) == (("2026-10-01", "2026-10-16"), ("2026-11-01", "2026-11-16"))
    assert usd(spend(date(2026, 10, 1), date(2026, 10, 16), products={"Checkout"})) in a.text
    assert usd(spend(date(2026, 11, 1), date(2026, 11, 16), products={"Checkout"})) in a.text


def test_the_month_before_it(org_store) -> None:
    a = ask(org_store, LEAD, "This month versus the month before it, org-wide")
    assert windows(a) == (("2026-10-01", "2026-11-01"), ("2026-11-01", "2026-12-01"))
    assert usd(spend(date(2026, 10, 1), date(2026, 11, 1))) in a.text


def test_a_change_between_two_periods_is_a_comparison(org_store) -> None:
    a = ask(org_store, MARIA, "Has Checkout spend gone up from October to November?")
    assert a.facts[0].tool == "compare_spend"  # not the spend of both months together
    assert usd(spend(date(2026, 10, 1), date(2026, 11, 1), products={"Checkout"})) in a.text
    assert usd(spend(date(2026, 11, 1), TODAY, products={"Checkout"})) in a.text


def test_per_month_over_a_range_groups_by_month(org_store) -> None:
    a = ask(org_store, LEAD, "Bedrock spend per month since October")
    assert a.facts[0].args["by"] == "month" and window(a) == ("2026-10-01", "2026-11-22")
    october, november = usd(spend(date(2026, 10, 1), date(2026, 11, 1))), usd(spend(date(2026, 11, 1), TODAY))
    assert f"2026-10 {october}, 2026-11 {november}" in a.text  # each month, in time order


def test_the_same_period_last_year_before_the_data_is_not_zero(org_store) -> None:
    a = ask(org_store, LEAD, "How does this month compare with the same period last year?")
    assert a.facts[0].tool == "compare_spend" and a.outcome == "partial"
    assert "$0" not in a.text and usd(spend(date(2026, 11, 1), TODAY)) in a.text
    assert any("does not reach back" in x for x in a.not_honoured)


# ------------------------------------------------------------------ facets


def test_cache_hit_rate_of_one_model_across_the_org(org_store) -> None:
    a = ask(org_store, LEAD, "What's the cache hit rate on Claude Sonnet 4.6 across the org this month?")
    assert a.facts[0].args["model"] == SONNET and "Claude Sonnet 4.6" in a.text
    assert f"{pct(hit_rate(date(2026, 11, 1), TODAY, model=SONNET))} overall" in a.text


def test_cache_hit_rate_of_a_product_on_a_model(org_store) -> None:
    a = ask(org_store, MARIA, "cache hit rate for Checkout on Sonnet 4.6 only, this month")
    assert (a.facts[0].args["product"], a.facts[0].args["model"]) == ("Checkout", SONNET)
    rate = hit_rate(date(2026, 11, 1), TODAY, model=SONNET, products={"Checkout"})
    assert f"{pct(rate)} overall" in a.text and a.outcome == "answered"


def test_cache_hit_rate_over_days(org_store) -> None:
    a = ask(org_store, MARIA, "How often is Checkout hitting the prompt cache? last 14 days")
    assert a.facts[0].tool == "cache_hit_rates" and window(a) == ("2026-11-07", "2026-11-21")
    rate = hit_rate(date(2026, 11, 7), TODAY, products={"Checkout"})
    assert f"{pct(rate)} overall" in a.text and a.outcome == "answered"


def test_cache_model_filter_keeps_the_callers_scope(org_store) -> None:
    result = toolset.call(make_ctx(org_store, MARIA), "cache_hit_rates", {"model": HAIKU, "by": "product"})
    assert [r.key for r in result.rows] == ["Fraud"]  # App's and the unclaimed roles' Haiku are not hers


def test_on_pause_asks_whether_it_is_paused(org_store) -> None:
    a = ask(org_store, MARIA, "Is Checkout on pause right now?")
    assert [f.tool for f in a.facts] == ["product_status"] and "Checkout is not paused" in a.text


def test_a_persons_products(org_store) -> None:
    a = ask(org_store, LEAD, "What did Maria's products spend in November?")
    assert a.facts[0].args["owner"] == "Maria" and a.outcome == "answered"
    for product in ("Checkout", "Fraud"):
        assert f"{product} " in a.text and usd(spend(date(2026, 11, 1), TODAY, products={product})) in a.text
    assert "App" not in a.text and "HR Portal" not in a.text


def test_a_person_outside_scope_is_refused_like_nobody(org_store) -> None:
    a = ask(org_store, HANA, "What did Maria's products spend?")
    b = ask(org_store, HANA, "What did Zed's products spend?")
    assert a.outcome == b.outcome == "refused_scope"
    assert a.text.replace("Maria", "Zed") == b.text and "Checkout" not in a.text
    with pytest.raises(ScopeError):
        toolset.call(make_ctx(org_store, HANA), "spend_breakdown", {"owner": "maria@example.com"})


def test_a_managers_view_of_a_persons_products(org_store) -> None:
    result = toolset.call(make_ctx(org_store, PRIYA), "spend_breakdown",
                          {"owner": "Omar", "by": "product", "month": "2026-11"})
    assert [r.key for r in result.rows] == ["App"]
    assert result.total_usd == pytest.approx(spend(date(2026, 11, 1), TODAY, products={"App"}), abs=0.01)


def test_cache_hit_rate_of_a_persons_products(org_store) -> None:
    a = ask(org_store, LEAD, "cache hit rate of Maria's products this month")
    assert a.facts[0].args["owner"] == "Maria" and a.outcome == "answered"
    rate = hit_rate(date(2026, 11, 1), TODAY, products={"Checkout", "Fraud"})
    assert f"{pct(rate)} overall" in a.text and "HR Portal" not in a.text


def test_a_person_no_call_narrows_to_is_named_as_not_honoured(org_store) -> None:
    a = ask(org_store, LEAD, "Are Maria's products over their estimates?")
    assert all("owner" not in f.args for f in a.facts) and a.outcome == "partial"
    assert any(x.startswith("Maria's products") for x in a.not_honoured)
