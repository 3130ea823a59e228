"""The coverage check on every path (issue 14): follow-ups in a thread are held to it offline, and on the
Bedrock agent (the real graph and ChatBedrockConverse against the loopback fake Converse server) an
answer whose tool calls left out a qualifier of the question is `partial`, naming it, never `answered`.
Figures are recomputed in plain Python from tests/orgfixture.py ROWS (today 2026-11-21)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from agent import bedrock, planner, service
from agent.config import AgentConfig
from agent.render_words import usd
from tests.conftest import make_ctx
from tests.fake_bedrock import FakeBedrock, text, tool_use
from tests.orgfixture import A1, TODAY, day, usage_rows
from tests.test_bedrock_agent import dummy_aws  # noqa: F401 - autouse: dummy credentials for botocore's signer
from tests.test_answers_as_asked import spend

LEAD, MARIA = "lead@example.com", "maria@example.com"
OCT, NOV = (date(2026, 10, 1), date(2026, 11, 1)), (date(2026, 11, 1), date(2026, 12, 1))


# ------------------------------------------------------------------ offline follow-ups

def test_a_follow_up_names_what_it_cannot_honour(org_store) -> None:
    ctx = make_ctx(org_store, LEAD)
    first = planner.answer(ctx, "Bedrock spend this month", thread_id="f")
    assert first.outcome == "answered"
    a = planner.answer(ctx, "and in us-west-2 excluding weekends?", thread_id="f")
    assert a.facts[0].args["region"] == "us-west-2" and a.facts[0].args.get("month", "2026-11") == "2026-11"
    assert a.outcome == "partial" and any("excluding" in x for x in a.not_honoured)
    west = spend(NOV[0], TODAY, region="us-west-2")
    assert west > 0 and usd(west) in a.text


def test_a_follow_up_into_the_future_has_no_figures(org_store) -> None:
    ctx = make_ctx(org_store, MARIA)
    planner.answer(ctx, "Checkout spend last month", thread_id="g")
    a = planner.answer(ctx, "and next month?", thread_id="g")
    assert a.outcome == "unplaced" and not a.facts and "December 2026" in a.text


def test_a_follow_up_naming_a_family_changes_the_model_slot(org_store) -> None:
    ctx = make_ctx(org_store, LEAD)
    planner.answer(ctx, "How much did we spend on Claude Sonnet 4.6 in October?", thread_id="h")
    a = planner.answer(ctx, "and Llama?", thread_id="h")
    assert a.facts[0].tool == "spend_breakdown" and a.facts[0].args["month"] == "2026-10"
    assert a.facts[0].args["model_family"] == "Llama" and "model" not in a.facts[0].args
    llama = sum(r["line_item_unblended_cost"] for r in usage_rows()
                if OCT[0] <= day(r) < OCT[1] and "Llama" in r["line_item_usage_type"])
    assert usd(llama) in a.text and a.outcome == "answered"


# ------------------------------------------------------------------ the Bedrock agent

@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBedrock]:
    with FakeBedrock() as f:
        yield f


def on_bedrock(store, fake: FakeBedrock, script, question: str, who: str = LEAD):
    fake.reset()
    fake.script = script
    config = AgentConfig(mode="bedrock", model_id="test-model", endpoint_url=fake.url)
    return bedrock.answer(make_ctx(store, who), question, config=config)


QUESTION = f"What did account {A1} spend on Bedrock in October?"


def test_bedrock_calls_that_drop_the_account_and_the_month_are_partial(org_store, fake) -> None:
    a = on_bedrock(org_store, fake, [tool_use("spend_breakdown", {"by": "product"}), text("Here is the spend.")],
                   QUESTION)
    assert a.mode == "bedrock" and a.outcome == "partial"
    assert any(A1 in x for x in a.not_honoured) and any("October 2026" in x for x in a.not_honoured)
    assert "Not answered as asked" in a.text


def test_bedrock_calls_that_apply_every_qualifier_are_answered(org_store, fake) -> None:
    args = {"by": "product", "account": A1, "start": "2026-10-01", "end": "2026-11-01"}
    a = on_bedrock(org_store, fake, [tool_use("spend_breakdown", args), text("Here is the spend.")], QUESTION)
    assert a.outcome == "answered" and a.not_honoured == []
    assert a.facts[0].result["total_usd"] == pytest.approx(spend(*OCT, account=A1), abs=0.01)
    b = on_bedrock(org_store, fake, [tool_use("spend_breakdown", {"account": A1, "month": "2026-10"}),
                                     text("Here is the spend.")], QUESTION)
    assert b.outcome == "answered"


def test_a_period_reaching_back_before_the_data_is_named_on_bedrock_too(org_store, fake) -> None:
    args = {"by": "product", "start": "2026-09-01", "end": "2026-11-01"}  # the fixture's usage starts 1 Oct
    a = on_bedrock(org_store, fake, [tool_use("spend_breakdown", args), text("Here is the spend.")],
                   "What did we spend on Bedrock in September and October?")
    assert a.facts[0].result["total_usd"] == pytest.approx(spend(date(2026, 9, 1), NOV[0]), abs=0.01)
    assert a.outcome == "partial" and any("starts on 1 Oct 2026" in x for x in a.not_honoured)


def test_a_grouping_no_tool_makes_is_named_on_bedrock_too(org_store, fake) -> None:
    a = on_bedrock(org_store, fake, [tool_use("spend_breakdown", {"by": "day"}), text("Spend by day.")],
                   "Bedrock spend this month by hour")
    assert a.outcome == "partial" and any("by hour" in x for x in a.not_honoured)


def test_the_grounding_guard_keeps_the_note_of_what_was_not_applied(org_store, fake, monkeypatch) -> None:
    script = [tool_use("spend_breakdown", {"by": "product"}), text("Account spend was $123,456.78.")]
    monkeypatch.setattr(service, "_bedrock", lambda ctx, q, c, t: on_bedrock(org_store, fake, script, q))
    a = service.ask(make_ctx(org_store, LEAD), QUESTION,
                    config=AgentConfig(mode="bedrock", model_id="test-model", endpoint_url=fake.url))
    assert a.replaced_ungrounded and a.outcome == "partial" and "Not answered as asked" in a.text


def test_a_question_not_read_in_full_is_not_refused_as_another_personas(org_store) -> None:
    ctx = make_ctx(org_store, "eng@example.com")
    a = planner.answer(ctx, "What's the GPU utilisation of our Bedrock endpoints?")
    assert a.outcome == "unplaced" and not a.facts
    b = planner.answer(ctx, "How much did Checkout spend last month?")  # read in full: a spend question
    assert b.outcome == "refused_persona" and not b.facts


def test_a_request_for_something_steward_does_not_make_is_not_placed(org_store) -> None:
    ctx = make_ctx(org_store, LEAD)
    for question in ("Recommend a good laptop for the team", "Draft an email telling the team the offsite moved"):
        a = planner.answer(ctx, question)
        assert a.outcome == "unplaced" and not a.facts, question
    b = planner.answer(ctx, "Recommend ways to save on Checkout")  # the verb says what the 'ways' are
    assert b.facts[0].tool == "recommendations" and b.outcome == "answered"
