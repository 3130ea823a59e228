"""A period that starts before the store's first day of usage: the answer's figure covers only the days
Steward has, so the answer is `partial` and says from which day (a year to date over a store holding two
months is not the year's spend). And a year to date said beside 'last month' is this year's. Figures are
recomputed from tests/orgfixture.py ROWS (today 2026-11-21, usage from 2026-10-01)."""

from __future__ import annotations

from datetime import date

from agent.render_words import usd
from tests.orgfixture import ROWS
from tests.test_answers_as_asked import LEAD, spend
from tests.test_answers_blind_periods import ask, window

FIRST_DAY = min(r["line_item_usage_start_date"] for r in ROWS if r["line_item_line_item_type"] == "Usage").date()


def test_the_fixture_starts_on_the_first_of_october() -> None:
    assert FIRST_DAY == date(2026, 10, 1)  # what the tests below rest on


def test_a_period_reaching_back_before_the_data_is_partial_and_says_from_when(org_store) -> None:
    a = ask(org_store, LEAD, "how much have we spent on Bedrock in the last 90 days?")
    assert window(a) == ("2026-08-23", "2026-11-21")
    assert usd(spend(date(2026, 8, 23), date(2026, 11, 21))) in a.text  # the days Steward has
    assert a.outcome == "partial"
    assert "starts on 1 Oct 2026" in a.text and "23 Aug 2026 to 30 Sep 2026" in a.text


def test_a_period_within_the_data_is_answered_in_full(org_store) -> None:
    a = ask(org_store, LEAD, "how much have we spent on Bedrock in the last 30 days?")
    assert usd(spend(date(2026, 10, 22), date(2026, 11, 21))) in a.text
    assert a.outcome == "answered" and "starts on" not in a.text


def test_year_to_date_beside_last_month_is_this_year(org_store) -> None:
    a = ask(org_store, LEAD, "Bedrock spend year to date, vs last month")
    assert window(a)[0] == "2026-01-01"  # not 2025: 'last' belongs to the month
    assert usd(spend(date(2026, 1, 1), date(2026, 11, 22))) in a.text
