"""Tool results -> concise answer text: figures with units and the period, what it means, what to
do next (seed 003's Agent Bill style). Used by the offline planner for every answer and by the
Bedrock path as its fallback (step bound reached, or an ungrounded answer replaced).

    render_facts(facts, view=View(labels=model_labels(store), persona="product_owner")) -> str
    render_result("estimate_status", result_or_dict, view=...) -> str

Every figure written here is a field of the tool result, rounded for display only, so the
grounding guard passes on this text. Nothing is summed or divided here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from agent import render_actions, render_estimates, render_facets, render_findings, render_models, render_spend
from agent import render_statements, render_units
from agent.answer import Fact
from agent.render_words import View, sentence
from tools import display, toolset

__all__ = ["RENDERERS", "View", "render_error", "render_fact", "render_facts", "render_result"]

RENDERERS: dict[str, Callable[[Any, View, dict], str]] = {
    "estimate_status": render_units.estimate_status, "quota_status": render_estimates.quota_status,
    "spend_card": render_estimates.spend_card, "set_estimate": render_estimates.set_estimate,
    "approve_spend_card": render_estimates.approve_card,
    "spend_breakdown": render_spend.breakdown, "compare_spend": render_spend.comparison,
    "charges_breakdown": render_spend.charges,
    "unattributed_spend": render_findings.unattributed, "anomalies": render_findings.anomalies,
    "recommendations": render_findings.recommendations,
    "model_drift": render_models.drift, "model_catalog": render_models.catalog,
    "model_status": render_models.model_status, "access_requests": render_models.access_requests,
    "decide_model": render_models.decide_model, "iam_policy": render_models.iam_policy,
    "model_lifecycle": lambda p, v, args: p.summary,
    "task_queue": render_actions.task_queue, "complete_task": render_actions.complete_task,
    "claim_principal": render_actions.message, "request_model_access": render_actions.message,
    "pause_product": render_actions.pause, "resume_product": render_actions.pause,
    "my_scope": render_actions.my_scope,
    "cache_hit_rates": render_facets.cache_rates, "product_status": render_facets.product_status,
    "principal_claim": render_facets.principal_claim,
    "chargeback_statement": render_statements.chargeback, "tag_coverage": render_statements.tag_coverage,
    "cost_per_unit": render_units.cost_per_unit, "record_metric": render_units.record_metric,
}


# ------------------------------------------------------------------------------ entry points

def _model_of(tool: str, result: BaseModel | dict[str, Any]) -> BaseModel | None:
    if isinstance(result, BaseModel):
        return result
    t = toolset.get(tool)
    if t is None:
        return None
    try:
        return t.result_model.model_validate(result)
    except ValidationError:
        return None


def _generic(result: BaseModel | dict[str, Any] | None) -> str:
    data = result.model_dump(mode="json") if isinstance(result, BaseModel) else (result or {})
    for key in ("answer", "summary", "message"):
        if isinstance(data.get(key), str) and data[key].strip():
            return data[key]
    return ""


def render_result(tool: str, result: BaseModel | dict[str, Any], *, view: View | None = None,
                  args: dict[str, Any] | None = None) -> str:
    """The answer text for one tool result (a result model or its JSON dump); names from outside never
    carry hidden characters raw (tools.display.safe)."""
    return display.safe(_render_result(tool, result, view=view, args=args))


def _render_result(tool: str, result: BaseModel | dict[str, Any], *, view: View | None = None,
                   args: dict[str, Any] | None = None) -> str:
    view = view or View()
    model = _model_of(tool, result)
    fn = RENDERERS.get(tool)
    if model is None or fn is None:
        return _generic(model or result)
    return fn(model, view, args or {})  # a renderer bug propagates: the answer is an `error`, not guesswork


def render_error(error: str) -> str:
    return sentence(error)


def render_fact(fact: Fact, *, view: View | None = None) -> str:
    if fact.error is not None:
        return render_error(fact.error)
    if fact.result is None:
        return ""
    return render_result(fact.tool, fact.result, view=view, args=fact.args)


def render_facts(facts: list[Fact], *, view: View | None = None) -> str:
    """All facts, one paragraph each (empty string when there is nothing to say). A paragraph said
    already is not repeated: e.g. the same refusal for each of a caller's products."""
    paragraphs = (render_fact(f, view=view) for f in facts)
    return "\n\n".join(dict.fromkeys(t for t in paragraphs if t))
