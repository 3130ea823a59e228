"""The offline planner on finance's questions: chargeback statements, tag coverage and "by which rule",
routed to their tools with the reading line; figures against plain sums over tests/orgfixture.py ROWS."""

from __future__ import annotations

from datetime import date

from agent import planner
from agent.render_words import usd
from tests.conftest import make_ctx
from tests.orgfixture import A1, ROWS, product_of

LEAD, PRIYA, MARIA = "lead@example.com", "priya@example.com", "maria@example.com"
OCT = (date(2026, 10, 1), date(2026, 11, 1))


def _sum(keep) -> float:  # noqa: ANN001 - a row predicate
    return round(sum(r["line_item_unblended_cost"] for r in ROWS if keep(r)), 2)


def _oct(r: dict) -> bool:
    return r["bill_billing_period_start_date"].month == 10


def test_a_chargeback_question_gets_the_statement_by_the_node_asked(org_store) -> None:
    a = planner.answer(make_ctx(org_store, LEAD), "give me the chargeback for October by department")
    assert (a.family, a.outcome) == ("chargeback", "answered")
    assert a.facts[0].tool == "chargeback_statement" and a.facts[0].args == {"month": "2026-10", "by": "department"}
    assert a.text.startswith("Read as: chargeback statement, October 2026, by department.")
    # Payments (Checkout + Fraud) and the month's total, every charge of October in the files
    payments = _sum(lambda r: _oct(r) and r["line_item_line_item_type"] == "Usage"
                    and product_of(r) in ("Checkout", "Fraud"))
    assert f"Payments: {usd(payments)}" in a.text
    assert f"total {usd(_sum(_oct))}" in a.text


def test_a_portfolio_managers_statement_holds_their_portfolio_only(org_store) -> None:
    a = planner.answer(make_ctx(org_store, PRIYA), "showback statement for 2026-10")
    assert a.outcome == "answered" and a.facts[0].args == {"month": "2026-10", "by": "product"}
    assert "HR Portal" not in a.text and "people-prod" not in a.text
    mine = _sum(lambda r: _oct(r) and r["line_item_usage_account_id"] == A1)  # Digital's account, all of it
    assert f"total {usd(mine)}" in a.text


def test_tag_coverage_and_which_rule_attributes_a_product(org_store) -> None:
    coverage = planner.answer(make_ctx(org_store, LEAD), "What share of our Bedrock spend is tagged in October?")
    assert (coverage.family, coverage.outcome) == ("tag_coverage", "answered")
    oct_usage = _sum(lambda r: _oct(r) and r["line_item_line_item_type"] == "Usage")
    assert f"0% of {usd(oct_usage)} is tagged" in coverage.text  # the fixture carries no tag or profile
    rule = planner.answer(make_ctx(org_store, MARIA), "which rule attributes Fraud spend in October?")
    assert rule.facts[0].tool == "spend_breakdown" and rule.facts[0].args["by"] == "attribution"
    fraud = _sum(lambda r: _oct(r) and r["line_item_line_item_type"] == "Usage" and product_of(r) == "Fraud")
    assert "Fraud by principal arn:aws:iam::111111111111:role/fraud-bedrock" in rule.text and usd(fraud) in rule.text
    refused = planner.answer(make_ctx(org_store, PRIYA), "How much of my portfolio's spend is tagged?")
    assert refused.outcome == "refused_persona"  # tag coverage is the FinOps Lead's
