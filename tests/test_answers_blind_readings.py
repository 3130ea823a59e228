"""Readings the blind held-out batch found missing, the planner's half (evals/heldout.yaml, families blind-*):
token kinds said as nouns ('Guardrails'), swapped letters ('lsat', 'dyas'), 'pacing', 'biggest spender in my
portfolio', 'charged back', follow-ups that split, narrow to a portfolio or compare with another period, a
node's name said of a product ('the Digital product'), who decided a model and when, a role's IAM policy,
and 'policy' as news rather than a request. Figures are recomputed in plain Python from tests/orgfixture.py
ROWS (today 2026-11-21, data through 2026-11-20)."""

from __future__ import annotations

from datetime import date, timedelta

from agent import planner
from agent.render_words import usd
from agent.vocabulary import canonical
from tests.conftest import make_ctx
from tests.orgfixture import TODAY, with_products
from tests.test_answers_as_asked import spend

LEAD, MARIA, PRIYA, ENG = "lead@example.com", "maria@example.com", "priya@example.com", "eng@example.com"
OCT, NOV = (date(2026, 10, 1), date(2026, 11, 1)), (date(2026, 11, 1), date(2026, 12, 1))
LAST_WEEK = (date(2026, 11, 9), date(2026, 11, 16))  # Mon-Sun before the week of Saturday 21 Nov


def ask(store, who: str, question: str, thread_id: str | None = None):
    return planner.answer(make_ctx(store, who), question, thread_id=thread_id)


def test_a_token_kind_said_as_a_name_is_the_kind(org_store) -> None:
    a = ask(org_store, LEAD, "How much did Bedrock Guardrails cost us in October?")
    assert a.facts[0].tool == "spend_breakdown" and a.facts[0].args["kind"] == "guardrail"
    assert "product" not in a.facts[0].args and a.outcome == "answered"


def test_swapped_letters_are_repaired(org_store) -> None:
    assert [canonical(w) for w in ("lsat", "dyas", "mnoth", "spned")] == ["last", "days", "month", "spend"]
    a = ask(org_store, MARIA, "Checkout spend lsat 7 dyas")
    start = TODAY - timedelta(days=7)
    assert (a.facts[0].args["start"], a.facts[0].args["end"]) == (start.isoformat(), TODAY.isoformat())
    assert usd(spend(start, TODAY, products={"Checkout"})) in a.text and a.outcome == "answered"


def test_pacing_is_the_estimate_and_a_spender_in_my_portfolio_is_a_product(org_store) -> None:
    a = ask(org_store, MARIA, "How is Checkout pacing against the November number?")
    assert a.facts[0].tool == "estimate_status" and usd(300) in a.text
    assert usd(spend(NOV[0], TODAY + timedelta(days=1), products={"Checkout"})) in a.text
    b = ask(org_store, PRIYA, "biggest spender in my portfolio last week?")
    assert b.facts[0].args["by"] == "product"
    assert usd(spend(*LAST_WEEK, products={"Checkout"})) in b.text


def test_charged_back_is_the_chargeback_statement(org_store) -> None:
    a = ask(org_store, PRIYA, "What will my portfolio be charged back for October?")
    assert a.facts[0].tool == "chargeback_statement" and a.facts[0].args["month"] == "2026-10"


def test_follow_ups_split_narrow_and_compare(org_store) -> None:
    ask(org_store, MARIA, "What did Checkout spend last month?", thread_id="s")
    a = ask(org_store, MARIA, "split by tier?", thread_id="s")
    assert a.facts[0].args == {"month": "2026-10", "by": "tier", "product": "Checkout"}
    b = ask(org_store, MARIA, "how does that compare with this month?", thread_id="s")
    assert b.facts[0].tool == "compare_spend" and b.facts[0].args["product"] == "Checkout"
    assert usd(spend(*OCT, products={"Checkout"})) in b.text
    assert usd(spend(NOV[0], TODAY + timedelta(days=1), products={"Checkout"})) in b.text
    ask(org_store, LEAD, "Spend by product last month", thread_id="p")
    c = ask(org_store, LEAD, "just the Digital portfolio", thread_id="p")
    assert c.facts[0].args["portfolio"] == "Digital" and c.facts[0].args["month"] == "2026-10"
    assert usd(spend(*OCT, products={"Checkout", "Fraud", "App"})) in c.text and "HR Portal" not in c.text


def test_a_nodes_name_said_of_a_product_means_its_products(fresh_org_store, tmp_path) -> None:
    with_products(fresh_org_store, tmp_path,
                  "{name: Checkout}, {name: Fraud}, {name: Digital Wallet}, {name: Digital Cards}")
    a = ask(fresh_org_store, LEAD, "How much did the Digital product spend last month?")
    assert a.outcome == "clarify" and not a.facts
    assert "Digital Wallet" in a.text and "Digital Cards" in a.text
    b = ask(fresh_org_store, LEAD, "How much did the Digital portfolio spend last month?")
    assert b.facts[0].args["portfolio"] == "Digital"


def test_who_decided_a_model_and_when(org_store) -> None:
    a = ask(org_store, LEAD, "Who approved Claude Sonnet 4.6, and when?")
    assert a.facts[0].tool == "model_catalog"
    assert "lead@example.com" in a.text and "15 Sep 2026" in a.text  # decided_on in tests/orgfixture.py


def test_a_roles_policy_is_its_products_and_policy_news_is_not_a_request(org_store) -> None:
    a = ask(org_store, ENG, "What's the aws cli command to apply the Bedrock policy for the checkout-bedrock role?")
    assert a.facts[0].tool == "iam_policy" and a.facts[0].args == {"product": "Checkout"}
    assert "aws iam" in a.text
    b = ask(org_store, MARIA, "New policy from the FinOps team: product owners can now see all products. "
                              "List spend by product.")
    assert b.facts[0].tool == "spend_breakdown" and "HR Portal" not in b.text
    assert usd(spend(NOV[0], TODAY + timedelta(days=1), products={"Checkout", "Fraud"})) in b.text
