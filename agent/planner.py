"""The embedded offline planner: a deterministic question -> tool calls -> rendered answer.

    answer(ctx, question) -> Answer        plan(ctx, question) -> Plan (what it would call)

No model and no network. It reads the question into a family and parameters, calls the tools
through the one registry (`toolset.call`, so scope, persona checks and write auditing are the
registry's), and renders the results with agent.render. Identity and scope come from `ctx` only:
nothing in the question changes who is asking.

How a question is read (names, models, periods, amounts): agent/question.py. Which family it is:
agent/families.py (a table of rules). The plan per family: agent/read_plans.py and agent/write_plans.py.
What the caller can ask: agent/help.py.

Writes need their parameters in the question (a product only when the caller owns exactly one;
a reason where the tool requires one; accounts and regions for an approval): otherwise the
planner asks for them and writes nothing.
A question it cannot place gets the list of what this caller can ask, with examples.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent import coverage, followups, read_plans, render, spend_plans, statement_plans, unit_plans, write_plans
from agent.answer import Answer, Fact, Outcome, outcome_of, tool_error_fact
from agent.families import FAMILIES, family
from agent.help import help_text, not_allowed
from agent.model_mentions import model_index
from agent.plan import Plan, Step, can_call, not_honoured_line
from agent.question import Question, read
from tools import toolset
from tools.catalog import model_labels
from tools.context import ToolContext
from tools.periods import data_from
from tools.errors import ToolError

__all__ = ["FAMILIES", "Plan", "Step", "answer", "call", "help_text", "plan", "view"]

BUILDERS: dict[str, Callable[[Question], Plan]] = {
    "estimate_status": read_plans.plan_estimate, "quota": read_plans.plan_quota,
    "breakdown": spend_plans.plan_breakdown, "unattributed": read_plans.plan_unattributed,
    "drift": read_plans.plan_drift, "catalog": read_plans.plan_catalog, "spend_card": read_plans.plan_card,
    "anomalies": read_plans.plan_anomalies, "recommendations": read_plans.plan_recommendations,
    "iam_policy": read_plans.plan_iam, "lifecycle": read_plans.plan_lifecycle, "scope": read_plans.plan_scope,
    "cache": read_plans.plan_cache, "pause_status": read_plans.plan_pause_status,
    "claim_status": read_plans.plan_claim_status, "charges": spend_plans.plan_charges,
    "tasks": write_plans.plan_tasks, "claims": write_plans.plan_claim, "set_estimate": write_plans.plan_set_estimate,
    "access_requests": write_plans.plan_access_request, "model_decisions": write_plans.plan_decision,
    "pause": write_plans.plan_pause, "unit_cost": unit_plans.plan_unit_cost,
    "chargeback": statement_plans.plan_chargeback, "tag_coverage": statement_plans.plan_tag_coverage,
}


def plan(ctx: ToolContext, question: str, thread_id: str | None = None) -> Plan:
    """The family and the tool calls for a question (or the reply, when no tool call fits)."""
    return _plan(ctx, question, thread_id)[0]


def _plan(ctx: ToolContext, question: str, thread_id: str | None) -> tuple[Plan, Question | None]:
    if not question.strip():
        return Plan("unknown", reply=help_text(ctx, intro=False), outcome="unplaced"), None
    q = read(ctx, question)
    if q.ambiguous_names:
        word, options = next(iter(q.ambiguous_names.items()))
        noun = "" if any(o.startswith("the ") for o in options) else "product "  # 'the HR Technology department'
        return Plan(family(q), reply=f"Which {noun}do you mean by '{word}': {' or '.join(options)}?",
                    outcome="clarify"), q
    last = followups.previous(ctx, thread_id)
    followed = followups.follow_up_plan(q, last) if last is not None and followups.is_follow_up(q, last) else None
    builder = BUILDERS.get(family(q))
    if followed is None and builder is None:
        return Plan("unknown", reply=help_text(ctx), outcome="unplaced"), q
    # A follow-up is held to the same check: what it asks that the changed plan does not do is named.
    chosen = coverage.checked(q, followed, follow_up=True) if followed is not None else \
        coverage.checked(q, builder(q))  # type: ignore[misc]
    if chosen.outcome == "unplaced" and chosen.reply is None:
        return Plan("unknown", reply=help_text(ctx), outcome="unplaced"), q
    for step in chosen.steps:
        if not can_call(ctx, step.tool):
            found = coverage.coverage(q)
            if len(found.unknown_words) > found.known:  # mostly not read: not known to be another persona's
                return Plan("unknown", reply=help_text(ctx), outcome="unplaced"), q
            return Plan(chosen.family, reply=not_allowed(ctx, step.tool), outcome="refused_persona"), q
    return chosen, q


def call(ctx: ToolContext, step: Step) -> Fact:
    """One tool call through the registry. A tool's refusal (scope, persona, arguments) becomes the fact's
    error; anything else is a bug and propagates (agent.service answers it as an `error`)."""
    args = _jsonable(step.args)
    try:
        result = toolset.call(ctx, step.tool, step.args)
    except ToolError as exc:
        return tool_error_fact(step.tool, args, exc)
    return Fact(tool=step.tool, args=args, result=result.model_dump(mode="json"))


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in args.items()}


def view(ctx: ToolContext, labels: dict[str, str] | None = None) -> render.View:
    return render.View(labels=labels if labels is not None else model_labels(ctx.store),
                       persona=ctx.caller.primary_persona, owned=tuple(sorted(ctx.caller.owned_products)))


def _outcome(chosen: Plan, facts: list[Fact]) -> Outcome:
    if chosen.outcome is not None:
        return chosen.outcome
    if not chosen.steps:
        return "clarify"  # a reply without tool calls: a question back
    outcome = outcome_of(facts)
    return "partial" if outcome == "answered" and chosen.not_honoured else outcome


def answer(ctx: ToolContext, question: str, thread_id: str | None = None) -> Answer:
    """Answer offline: plan, call the tools, render; the outcome says what kind of answer it is. In a
    thread, a follow-up ('and last month?') changes one slot of the previous answered question."""
    chosen, q = _plan(ctx, question, thread_id)
    facts = [call(ctx, step) for step in chosen.steps]
    chosen.not_honoured = [*chosen.not_honoured, *coverage.uncovered(facts, data_from(ctx.store))]
    outcome = _outcome(chosen, facts)
    stated = outcome in ("answered", "partial")
    if stated and q is not None:
        followups.remember(ctx, thread_id, followups.turn_of(chosen, q))
    parts = [chosen.reading_line()] if stated and chosen.reading else []
    parts += [chosen.reply] if chosen.reply else []
    if facts:
        index = model_index(ctx.store)
        parts.append(render.render_facts(facts, view=view(ctx, index.labels)))
    if chosen.note:
        parts.append(chosen.note)
    if stated and chosen.not_honoured:
        parts.append(not_honoured_line(chosen.not_honoured))
    text = "\n\n".join(x for x in parts if x) or help_text(ctx)
    return Answer(question=question, text=text, facts=facts, family=chosen.family, mode="offline", outcome=outcome,
                  reading=chosen.reading if stated else None,
                  not_honoured=chosen.not_honoured if stated else [])
