"""agent.service.ask: modes, the size limit, freshness, the audit of every question, and the
grounding guard on Bedrock answers (the Bedrock call itself is replaced by a scripted answer here;
tests/test_bedrock_agent.py drives the real graph against a fake Converse server)."""

from __future__ import annotations

import pytest

from agent import grounding, service
from agent.answer import AgentUsage, Answer, Fact
from agent.config import AgentConfig
from ledger import audit
from ledger.errors import StewardError
from tests.conftest import make_ctx
from tools import toolset

MARIA, LEAD = "maria@example.com", "lead@example.com"
OFFLINE = AgentConfig(mode="offline")
BEDROCK = AgentConfig(mode="bedrock", model_id="test-model")


def last(store, action: str = "agent.ask") -> audit.AuditEntry:
    return next(e for e in audit.entries(store, limit=50) if e.action == action)


# ------------------------------------------------------------------ offline answers and the audit

def test_every_question_is_audited_with_tools_answer_and_latency(fresh_org_store) -> None:
    store = fresh_org_store
    ctx = make_ctx(store, MARIA)
    a = service.ask(ctx, "top 3 models last month", config=OFFLINE)
    e = last(store)
    assert (e.actor, e.persona, e.subject, e.outcome) == (MARIA, "product_owner", "top 3 models last month", "ok")
    d = e.details
    assert d["question"] == "top 3 models last month" and d["answer"] == a.text
    assert d["tools"] == [{"tool": "spend_breakdown", "args": {"month": "2026-10", "top": 3, "by": "model"}}]
    assert d["mode"] == "offline" and d["model_id"] is None and d["family"] == "breakdown" and d["channel"] == "cli"
    assert d["tokens_in"] == d["tokens_out"] == 0 and d["agent_cost_usd"] == 0
    assert d["latency_ms"] == a.latency_ms > 0
    assert audit.verify(store).ok


def test_scope_refusals_and_unplaced_questions_are_audited_too(fresh_org_store) -> None:
    store = fresh_org_store
    ctx = make_ctx(store, MARIA)
    before = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'agent.ask'")
    service.ask(ctx, "show HR Portal spend", config=OFFLINE)
    assert last(store).details["tools"][0]["error"].startswith("product 'HR Portal' is not in your scope")
    service.ask(ctx, "tell me a joke", config=OFFLINE)
    assert last(store).details["family"] == "unknown"
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'agent.ask'") == before + 2


def test_every_answer_says_how_fresh_the_data_is(org_store) -> None:
    for question in ("am I within my estimate?", "who am I", "what's the weather"):
        a = service.ask(make_ctx(org_store, MARIA), question, config=OFFLINE)
        assert a.freshness == "CUR data through 20 Nov 2026" and str(a.data_through) == "2026-11-20"


def test_an_oversized_question_is_refused_before_anything_runs(fresh_org_store, monkeypatch) -> None:
    store = fresh_org_store

    def boom(*a, **k):
        raise AssertionError("nothing may run for an oversized question")

    monkeypatch.setattr(service.planner, "answer", boom)
    monkeypatch.setattr(service, "_bedrock", boom)
    question = "am I within my estimate? " * 10
    for config in (AgentConfig(mode="offline", max_question_chars=100),
                   AgentConfig(mode="bedrock", max_question_chars=100)):
        a = service.ask(make_ctx(store, MARIA), question, config=config)
        assert a.refused and not a.facts and "the limit is 100" in a.text
    e = last(store)
    assert e.outcome == "refused" and e.details["question_chars"] == len(question)


def test_auto_mode_not_resolved_by_a_front_door_answers_offline(org_store, monkeypatch) -> None:
    monkeypatch.setattr(service, "_bedrock", lambda *a, **k: pytest.fail("auto must not reach Bedrock here"))
    a = service.ask(make_ctx(org_store, MARIA), "who am I", config=AgentConfig(mode="auto"))
    assert a.mode == "offline"


def test_choose_mode() -> None:
    calls: list[int] = []

    def creds(found: bool):
        return lambda: calls.append(1) or found

    assert service.choose_mode("auto", bedrock_configured=False, credentials=creds(True)) == "offline"
    assert not calls  # no credential lookup unless a model id was configured
    assert service.choose_mode("auto", bedrock_configured=True, credentials=creds(True)) == "bedrock"
    assert service.choose_mode("auto", bedrock_configured=True, credentials=creds(False)) == "offline"
    assert service.choose_mode("offline", bedrock_configured=True, credentials=creds(True)) == "offline"
    assert service.choose_mode("bedrock", bedrock_configured=False, credentials=creds(False)) == "bedrock"
    with pytest.raises(ValueError):
        service.choose_mode("cloud", bedrock_configured=True)


# ------------------------------------------------------------------ the Bedrock path and the grounding guard

def scripted(ctx, question: str, text: str, calls: list[tuple[str, dict]]) -> Answer:
    """What agent.bedrock.answer returns: the model's text and the facts of the tools it called."""
    facts = []
    for name, args in calls:
        facts.append(Fact(tool=name, args=args, result=toolset.call(ctx, name, args).model_dump(mode="json")))
    return Answer(question=question, text=text, facts=facts, mode="bedrock", family="estimate",
                  usage=AgentUsage(model_id="test-model", model_calls=2, input_tokens=1200, output_tokens=80,
                                   cache_read_tokens=900, cost_usd=0.00131))


def test_a_grounded_bedrock_answer_is_kept_and_its_usage_audited(fresh_org_store, monkeypatch) -> None:
    store = fresh_org_store
    text = ("Checkout has spent $420.60 this month against a $300 estimate (140%) and is on track to exceed it "
            "by $331. Output tokens are 3.6x your estimate; cache hit rate 19%, below the healthy 30%.")
    monkeypatch.setattr(service, "_bedrock", lambda ctx, q, c, t: scripted(
        ctx, q, text, [("estimate_status", {"product": "Checkout"})]))
    a = service.ask(make_ctx(store, MARIA), "Am I within my estimate?", config=BEDROCK, thread_id="t1")
    assert a.text == text and a.grounded and not a.replaced_ungrounded and a.mode == "bedrock"
    d = last(store).details
    assert (d["mode"], d["model_id"], d["tokens_in"], d["tokens_out"], d["agent_cost_usd"]) == (
        "bedrock", "test-model", 1200, 80, 0.00131)
    assert d["thread_id"] == "t1" and d["tools"] == [{"tool": "estimate_status", "args": {"product": "Checkout"}}]
    assert not any(e.action == "agent.ungrounded" for e in audit.entries(store, limit=10))


def test_an_ungrounded_bedrock_answer_is_replaced_and_audited(fresh_org_store, monkeypatch) -> None:
    store = fresh_org_store
    invented = "Checkout is at $512.00 this month, 2.4x your estimate; you will exceed it by $200."
    monkeypatch.setattr(service, "_bedrock", lambda ctx, q, c, t: scripted(
        ctx, q, invented, [("estimate_status", {"product": "Checkout"})]))
    a = service.ask(make_ctx(store, MARIA), "Am I within my estimate?", config=BEDROCK)
    assert a.replaced_ungrounded and not a.grounded
    assert a.text.startswith("Checkout: $420.60 month to date") and "$512" not in a.text
    e = last(store, "agent.ungrounded")
    assert e.outcome == "replaced" and e.details["model_text"] == invented
    assert set(e.details["ungrounded"]) == {"$512.00", "2.4x", "$200"}
    assert last(store).details["replaced_ungrounded"] is True


def test_an_ungrounded_answer_without_facts_states_no_figures(fresh_org_store, monkeypatch) -> None:
    monkeypatch.setattr(service, "_bedrock", lambda ctx, q, c, t: scripted(ctx, q, "You spent $9,999 on Opus.", []))
    a = service.ask(make_ctx(fresh_org_store, MARIA), "how much on Opus?", config=BEDROCK)
    assert a.replaced_ungrounded and a.text == service.NO_FACTS_TEXT


def test_bedrock_unavailable_falls_back_to_the_planner(fresh_org_store, monkeypatch) -> None:
    def down(*a, **k):
        raise StewardError("the Bedrock model call failed: could not connect")

    monkeypatch.setattr(service, "_bedrock", down)
    a = service.ask(make_ctx(fresh_org_store, MARIA), "who am I", config=BEDROCK)
    assert a.mode == "offline" and "could not connect" in a.fallback and "Maria Lopez" in a.text
    assert last(fresh_org_store).details["fallback"] == a.fallback


# ------------------------------------------------------------------ the grounding rule

@pytest.mark.parametrize(("figure", "value"), [
    ("$1,234.56", 1234.5612), ("18%", 0.1834), ("2.0x", 1.98), ("1.2M tokens", 1_234_567), ("$420", 420.6),
    ("$14,200", 14_236.4), ("down 12%", -0.12), ("12.5%", 12.5), ("$1.5K", 1_480), ("3 billion tokens", 3.02e9),
])
def test_grounding_allows_rounding_and_unit_formatting(figure: str, value: float) -> None:
    fact = Fact(tool="t", args={}, result={"v": value})
    assert grounding.check(f"It is {figure}.", [fact]).grounded


@pytest.mark.parametrize("text", [
    "Data through 2026-11-20, Nov 1–20 and 21 Nov 2026; November 2026; top 5 of 12 products over 30 days.",
    "Claude Opus 4.6 and Llama 3.1 405B in us-east-1; task T-000012; model anthropic.claude-3-haiku-20240307-v1:0.",
    "The year 2026, since 09:30, in 365 days.",
])
def test_dates_small_counts_and_names_are_not_figures(text: str) -> None:
    result = grounding.check(text, [])
    assert result.grounded and result.figures == []


def test_invented_figures_and_accounts_are_caught() -> None:
    fact = Fact(tool="t", args={"product": "Checkout"}, result={"usd": 420.6, "account": "111111111111"})
    result = grounding.check("$420.60 in 111111111111, plus $75 in 999999999999 and 140 invocations.", [fact])
    assert not result.grounded and result.ungrounded == ["$75", "140", "999999999999"]
    assert grounding.check("Set it to $1,500.", [], question="set my estimate to $1500").grounded


# ------------------------------------------------------------------ outcomes

@pytest.mark.parametrize("who,question,outcome", [
    (MARIA, "Am I within my estimate this month?", "answered"),
    (MARIA, "How is HR Portal doing against its estimate?", "refused_scope"),   # another owner's product
    (MARIA, "approve anthropic.claude-opus-4-6-v1 in 111122223333 us-east-1 because fast", "refused_persona"),
    (MARIA, "What's the weather in Paris?", "unplaced"),
    (MARIA, "set my estimate to $500 for December", "clarify"),               # which of her two products?
])
def test_every_answer_carries_its_outcome(org_store, who: str, question: str, outcome: str) -> None:
    a = service.ask(make_ctx(org_store, who), question, config=OFFLINE)
    assert a.outcome == outcome, a.text


def test_an_internal_failure_is_an_error_answer_logged_and_audited(fresh_org_store, monkeypatch, caplog) -> None:
    """A tool that breaks is not dressed up as help text: outcome error, no figures, audited as an error."""
    from dataclasses import replace

    def broken(ctx, args):  # noqa: ANN001, ANN202
        raise RuntimeError("disk on fire")

    t = toolset.get("estimate_status")
    monkeypatch.setitem(toolset.REGISTRY, "estimate_status", replace(t, fn=broken))
    store = fresh_org_store
    a = service.ask(make_ctx(store, MARIA), "Am I within my estimate this month?", config=OFFLINE)
    assert a.outcome == "error" and "$" not in a.text and "you can ask" not in a.text.lower()
    assert "RuntimeError: disk on fire" in (a.error or "")
    assert "answering" in caplog.text and "disk on fire" in caplog.text
    e = last(store)
    assert e.outcome == "error" and e.details["outcome"] == "error" and "disk on fire" in (e.why or "")
    assert audit.verify(store).ok
