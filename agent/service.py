"""The entry every front door calls: one question in, one structured, audited Answer out.

    ask(ctx, question, config=AgentConfig(...), thread_id=None) -> Answer

- A question over config.max_question_chars is refused before any model call (Answer.refused).
- config.mode 'offline' answers with the embedded planner; 'bedrock' with agent.bedrock (imported
  only then, so offline use never needs it); an unresolved 'auto' answers offline. Front doors
  resolve 'auto' with `choose_mode` when they build the config (steward.cli_agent.agent_config):
  Bedrock only when the operator configured a model id and boto3 finds credentials.
- A Bedrock answer goes through the grounding guard (agent.grounding): an answer with a figure no
  tool result supports is replaced by agent.render's rendering of the facts, and audited as
  `agent.ungrounded`. If Bedrock cannot be reached the planner answers (Answer.fallback says why).
- Every question is audited as `agent.ask`: who, persona, question, tools called with their
  arguments, the answer, mode, model id, the agent's tokens and cost, latency, family, channel.
- Every answer carries the data freshness ('CUR data through 20 Nov 2026').
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date

from agent import planner, render
from agent.answer import Answer
from agent.config import AgentConfig
from agent.grounding import check
from agent.honoured import not_applied_line
from ledger import audit
from ledger.errors import StewardError
from tools.context import ToolContext
from tools.periods import data_through

log = logging.getLogger(__name__)

ERROR_TEXT = ("Steward failed while answering this (an internal error, logged and audited); no figures are "
              "given rather than a guess. Try again, or tell your Steward operator.")
NO_FACTS_TEXT = ("I could not back that answer with figures from Steward's data, so I won't state it. "
                 "Try asking more specifically, for example about one product, one month or one model.")


def aws_credentials_available() -> bool:
    """Whether boto3 finds AWS credentials (env, profile, SSO, container or instance role)."""
    try:
        import boto3

        return boto3.Session().get_credentials() is not None
    except Exception:  # noqa: BLE001 - a broken AWS config means: no Bedrock
        return False


def choose_mode(requested: str, *, bedrock_configured: bool,
                credentials: Callable[[], bool] = aws_credentials_available) -> str:
    """'offline' or 'bedrock'. 'auto' is Bedrock only when the operator configured a model id
    (bedrock_configured) and credentials are found; the credential lookup runs only then."""
    if requested in ("offline", "bedrock"):
        return requested
    if requested != "auto":
        raise ValueError(f"agent mode '{requested}' is not one of auto, offline, bedrock")
    return "bedrock" if bedrock_configured and credentials() else "offline"


def freshness(d: date | None) -> str:
    return f"CUR data through {d.day} {d:%b %Y}" if d else "No CUR data ingested yet"


def _too_long(question: str, config: AgentConfig) -> Answer:
    return Answer(
        question=question[:200] + ("..." if len(question) > 200 else ""),
        text=(f"That question is {len(question):,} characters long; the limit is "
              f"{config.max_question_chars:,}. Ask something shorter: one product, one month or one model."),
        refused="question too long", outcome="clarify", family=None, mode="offline")


def warm(config: AgentConfig) -> None:
    """Import and build, before serving, what a first Bedrock answer would (LangChain, LangGraph, the
    boto3 client and its service model): done by the first answers, it holds the GIL for seconds
    while the requests arriving meanwhile wait to be acknowledged."""
    if config.mode != "bedrock":
        return
    from agent import bedrock

    bedrock.chat_model(config)
    bedrock.graph_for(config.checkpoint_path, persistent=True)


def _bedrock(ctx: ToolContext, question: str, config: AgentConfig, thread_id: str | None) -> Answer:
    from agent import bedrock

    return bedrock.answer(ctx, question, config=config, thread_id=thread_id)


def _guard(ctx: ToolContext, question: str, answer: Answer) -> Answer:
    """Replace a Bedrock answer whose figures no tool result supports; audit the event."""
    view = planner.view(ctx)
    result = check(answer.text, answer.facts, question=question, names=view.labels.values())
    if result.grounded:
        return answer
    replacement = render.render_facts(answer.facts, view=view) or NO_FACTS_TEXT
    if answer.not_honoured:  # the rendering keeps the answer's note of what it did not apply
        replacement += "\n\n" + not_applied_line(answer.not_honoured)
    audit.append(ctx.store, actor=ctx.caller.email, persona=ctx.caller.primary_persona, action="agent.ungrounded",
                 subject=question[:200],
                 details={"question": question, "model_text": answer.text, "ungrounded": result.ungrounded,
                          "model_id": answer.usage.model_id, "replacement": replacement,
                          "channel": ctx.caller.channel},
                 outcome="replaced", at=ctx.now())
    return answer.model_copy(update={"text": replacement, "grounded": False, "replaced_ungrounded": True})


def _answer(ctx: ToolContext, question: str, config: AgentConfig, thread_id: str | None) -> Answer:
    if len(question) > config.max_question_chars:
        return _too_long(question, config)
    if config.mode != "bedrock":
        return planner.answer(ctx, question, thread_id)
    try:
        return _guard(ctx, question, _bedrock(ctx, question, config, thread_id))
    except (StewardError, ImportError) as exc:
        log.warning("Bedrock unavailable, answering offline: %s", exc)
        return planner.answer(ctx, question, thread_id).model_copy(
            update={"fallback": f"Bedrock was not available ({exc}); answered by the offline planner."})


def ask(ctx: ToolContext, question: str, *, config: AgentConfig, thread_id: str | None = None) -> Answer:
    """Answer one question for the caller in `ctx` (see the module docstring)."""
    started = time.perf_counter()
    try:
        answer = _answer(ctx, question, config, thread_id)
    except Exception as exc:  # the one place an internal failure becomes an answer: logged, audited, typed
        log.exception("answering %r failed", question[:200])
        answer = Answer(question=question, text=ERROR_TEXT, outcome="error", family=None,
                        mode="bedrock" if config.mode == "bedrock" else "offline",
                        error=f"{type(exc).__name__}: {exc}"[:500])
    through = data_through(ctx.store, ctx.today)
    answer = answer.model_copy(update={"data_through": through, "freshness": freshness(through),
                                       "latency_ms": round((time.perf_counter() - started) * 1000.0, 2)})
    _audit(ctx, question, answer, config, thread_id)
    return answer


def _audit(ctx: ToolContext, question: str, answer: Answer, config: AgentConfig, thread_id: str | None) -> None:
    caller, usage = ctx.caller, answer.usage
    refused = answer.refused is not None
    audit.append(
        ctx.store, actor=caller.email, persona=caller.primary_persona, action="agent.ask", subject=question[:200],
        details={
            "question": question[:2000] if refused else question, "question_chars": len(question),
            "tools": [{"tool": f.tool, "args": f.args, **({"error": f.error} if f.error else {})}
                      for f in answer.facts],
            "answer": answer.text, "mode": answer.mode,
            "model_id": usage.model_id if answer.mode == "bedrock" else None,
            "tokens_in": usage.input_tokens, "tokens_out": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens, "cache_write_tokens": usage.cache_write_tokens,
            "model_calls": usage.model_calls, "agent_cost_usd": usage.cost_usd, "latency_ms": answer.latency_ms,
            "family": answer.family, "channel": caller.channel, "thread_id": thread_id,
            "grounded": answer.grounded, "replaced_ungrounded": answer.replaced_ungrounded,
            "fallback": answer.fallback, "configured_mode": config.mode, "outcome": answer.outcome,
            "reading": answer.reading, "not_honoured": answer.not_honoured, "error": answer.error,
        },
        outcome="error" if answer.outcome == "error" else "refused" if refused else "ok",
        why=answer.refused or answer.error, at=ctx.now())
