"""The one set of rules for figures shown to people (tools.display), and the one month parser."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.months import MonthError, parse_month
from ledger.personas import PERSONAS, persona_name, persona_names
from tools import display


@pytest.mark.parametrize(("value", "text"), [
    (5767.52, "$5,767.52"),     # the tool advice said $5,768 while the answer said $5,767.52: one rule now
    (420.6, "$420.60"), (300, "$300"), (300.0, "$300"), (0, "$0"), (14236.4, "$14,236"),
    (10_000, "$10,000"), (9_999.99, "$9,999.99"), (-12.5, "-$12.50"), (-0.001, "$0"), (None, "-"),
])
def test_money_reads_the_same_everywhere(value: float | None, text: str) -> None:
    assert display.money(value) == text


def test_the_answer_and_the_tables_use_the_same_money_rule() -> None:
    from agent.render_words import usd
    assert usd(5767.52) == display.fmt("actual_usd", 5767.52) == "$5,767.52"
    assert usd(None) == "no figure"


@pytest.mark.parametrize(("value", "text"), [
    (0.1923, "19%"), (0.0086, "0.9%"), (1.4, "140%"), (0.05, "5%"), (0.3, "30%"), (-0.035, "-3.5%"), (None, "-"),
])
def test_share(value: float | None, text: str) -> None:
    assert display.share(value) == text


def test_signed_share_and_ratio_and_tokens() -> None:
    assert display.signed_share(0.12) == "+12%" and display.signed_share(-0.035) == "-3.5%"
    assert display.ratio(2.44) == "2.4x"
    assert [display.tokens(v) for v in (1_234_567, 340_000, 950, 2_000_000_000)] == ["1.2M", "340K", "950", "2B"]


def test_days_and_months() -> None:
    assert display.day(date(2026, 11, 9)) == "9 Nov 2026"
    assert display.day("2026-11-09") == "9 Nov 2026" and display.day(date(2026, 11, 9), year=False) == "9 Nov"
    assert display.month("2026-11") == "November 2026" and display.month("soon") == "soon"
    assert display.fmt("week_start", date(2026, 11, 9)) == "9 Nov 2026"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "November", "", "2026-11-01"])
def test_a_month_that_is_not_one_is_refused_saying_what_a_month_looks_like(text: str) -> None:
    with pytest.raises(MonthError, match=r"is not a month; use YYYY-MM, e.g. 2026-11"):
        parse_month(text)


def test_a_month_is_read_with_blanks_around_it() -> None:
    assert parse_month(" 2026-02 ") == date(2026, 2, 1)


def test_every_door_refuses_a_bad_month_with_the_same_words(fresh_org_store) -> None:
    from tests.conftest import make_ctx
    from tools import toolset
    from tools.errors import ToolError
    ctx = make_ctx(fresh_org_store, "maria@example.com")
    for tool, args in (("estimate_status", {"product": "Checkout", "month": "2026-13"}),
                       ("set_estimate", {"product": "Checkout", "month": "2026-13", "usd": 5})):
        with pytest.raises(ToolError, match=r"'2026-13' is not a month; use YYYY-MM, e.g. 2026-11"):
            toolset.call(ctx, tool, args)


def test_persona_names_come_from_one_table() -> None:
    assert [persona_name(p) for p in PERSONAS] == ["Product Owner", "Portfolio Manager", "FinOps Lead",
                                                   "Cloud Engineer"]
    assert persona_names({"portfolio_manager", "product_owner"}) == "Portfolio Manager and Product Owner"
    from tools.toolset import ALL_PERSONAS
    assert ALL_PERSONAS == frozenset(PERSONAS)
