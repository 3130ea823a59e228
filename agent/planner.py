"""The embedded offline planner: a deterministic question -> tool calls -> rendered answer.

    answer(ctx, question) -> Answer        plan(ctx, question) -> Plan (what it would call)

No model and no network. It reads the question into a family and parameters, calls the tools
through the one registry (`toolset.call`, so scope, persona checks and write auditing are the
registry's), and renders the results with agent.render. Identity and scope come from `ctx` only:
nothing in the question changes who is asking.

How a question is read (names, models, periods, amounts): agent/question.py.

Writes need their parameters in the question (a product only when the caller owns exactly one;
a reason where the tool requires one; accounts and regions for an approval): otherwise the
planner asks for them and writes nothing.
A question it cannot place gets the list of what this caller can ask, with examples.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agent import render
from agent.answer import Answer, Fact
from agent.question import (
    ANOMALY,
    BREAKDOWN,
    CARD,
    CATALOG,
    DECIDE_VERBS,
    DONE_WORDS,
    DRIFT,
    ESTIMATE,
    GENERIC_MODEL_WORDS,
    IAM,
    PAUSE_VERBS,
    QUOTA,
    RESUME_VERBS,
    SAVINGS,
    SET_VERBS,
    SOFT_STATUS,
    TASKS,
    UNATTRIBUTED,
    USE_WORDS,
    ModelRef,
    Question,
    model_index,
    model_tokens,
    number_word,
    read,
)
from tools import toolset
from tools.catalog import model_labels
from tools.context import ToolContext
from tools.errors import ToolError

log = logging.getLogger(__name__)

FAMILIES = ("estimate_status", "breakdown", "unattributed", "drift", "catalog", "spend_card", "anomalies",
            "recommendations", "quota", "tasks", "claims", "set_estimate", "access_requests",
            "model_decisions", "pause", "iam_policy", "scope", "unknown")

# ------------------------------------------------------------------------------ plan


@dataclass
class Step:
    tool: str
    args: dict[str, Any]


@dataclass
class Plan:
    family: str
    steps: list[Step] = field(default_factory=list)
    reply: str | None = None  # text without any tool call: help, or a question back
    note: str | None = None   # a line after the rendered results


# ------------------------------------------------------------------------------ classifying


def family(q: Question) -> str:
    """The question family (see FAMILIES); writes are recognised by their imperative verb."""
    v, ws = q.verb, q.wordset
    # writes
    if q.task_ids and ws & DONE_WORDS:
        return "tasks"
    if v in ("mark", "complete", "close", "finish") and ws & ({"task", "tasks"} | DONE_WORDS) and \
            not q.has(CARD, ESTIMATE):
        return "tasks"
    if (q.arns and q.has({"claim", "assign", "attribute"})) or v == "claim":
        return "claims"
    if q.has({"estimate", "estimates", "budget", "budgets"}) and (
            v in SET_VERBS or q.phrase("new estimate", "new budget")
            or ((ws & SET_VERBS or q.phrase("should be")) and q.amount() is not None)):
        return "set_estimate"
    if v in ("approve", "sign") and q.has(CARD | {"week"}):
        return "spend_card"
    if (v == "request" and not q.has({"requests"})) or q.phrase(
            "need access", "want access", "get access", "like access", "ask for access", "apply for access",
            "request access", "requesting access"):
        return "access_requests"
    if v in DECIDE_VERBS:
        return "model_decisions"
    if (v in PAUSE_VERBS or v in RESUME_VERBS) and q.name_targets:
        return "pause"
    # reads
    if q.phrase("access request", "access requests", "pending requests", "open requests", "my requests") or (
            q.has({"requests", "requested"}) and q.has({"access", "model", "models"})):
        return "access_requests"
    if q.phrase("who am i", "what can i ask", "what can you do", "what can i do", "what do you do", "what can i see",
                "my scope", "what is my role", "what are my roles", "whats my role", "what am i",
                "what should i ask", "what can you tell me", "what do i have access to") or (
            q.words and set(q.words) <= {"help", "me", "please", "examples"}):
        return "scope"
    if q.has(TASKS) or (q.phrase("to do", "commands to run", "should i run") and _can(q.ctx, "task_queue")):
        return "tasks"
    if q.has(UNATTRIBUTED) or q.phrase("not attributed", "no owner", "nobody owns", "who owns", "not claimed",
                                       "without an owner", "no one has claimed") \
            or (q.has({"claim", "claiming"}) and not q.arns) \
            or (q.has({"claimed"}) and q.has({"nobody", "noone", "not", "never", "no"})):
        return "unattributed"
    asking_permission = q.phrase("can i", "may i", "can we", "could i", "am i allowed", "are we allowed")
    in_use = q.has(USE_WORDS) and not asking_permission
    if q.has(DRIFT) or (q.phrase("not approved", "haven't approved", "havent approved", "not been approved",
                                 "outside the catalog", "not in the catalog", "outside catalog",
                                 "without approval", "isn't approved", "isnt approved", "aren't approved",
                                 "arent approved", "non compliant") and not asking_permission) or (
            in_use and (q.has({"blocked", "restricted", "unreviewed"})
                        or q.phrase("shouldnt", "should not", "not supposed", "not allowed", "isnt allowed",
                                    "arent allowed"))):
        return "drift"
    if q.has(IAM):
        return "iam_policy"
    if q.phrase("can i use", "may i use", "could i use", "am i allowed", "are we allowed", "can we use",
                "may we use", "allowed to use", "permitted to use", "ok to use", "okay to use", "can use",
                "may use", "allowed in", "approved in", "approved for", "allowed for") or (
            q.model and q.first in ("is", "are", "can", "may") and q.has(CATALOG)):
        return "catalog"
    if q.has({"catalog", "catalogue"}) or (q.has(CATALOG) and (q.has({"model", "models"}) or q.model)):
        return "catalog"
    if q.has(CARD):
        return "spend_card"
    if q.has(ANOMALY):
        return "anomalies"
    if q.has(SAVINGS) or q.phrase("spend less", "bring down", "lower my", "lower our", "save money"):
        return "recommendations"
    if q.has(QUOTA) or (q.has({"which", "who", "products"}) and q.has({"over", "exceeded", "exceeding", "exceed",
                                                                         "above", "near"})
                        and q.has({"estimate", "estimates", "budget", "budgets"})):
        return "quota"
    if q.has(ESTIMATE) or q.phrase("on track", "how am i doing", "how are we doing", "am i over", "are we over",
                                   "how am i", "how are we", "how are my", "how is my",
                                   # the estimate status carries the cache hit rate against the healthy level
                                   "hit rate", "cache hit", "cache hits", "cache rate", "cache ratio"):
        return "estimate_status"
    if q.has(BREAKDOWN) or q.phrase("how much") or q.top() is not None or _dimension(q):
        return "breakdown"
    if q.has(SOFT_STATUS) and (q.name_targets or q.portfolios):
        return "estimate_status"
    if q.products or (q.unknown_names and not q.model):
        return "estimate_status"
    if q.portfolios or q.departments:
        return "breakdown"
    if q.model:
        return "catalog"
    return "unknown"


_DIMENSIONS = [
    ("model", {"model", "models", "llm", "llms"}), ("region", {"region", "regions"}),
    ("account", {"account", "accounts"}), ("portfolio", {"portfolio", "portfolios"}),
    ("department", {"department", "departments", "dept", "depts"}),
    ("principal", {"principal", "principals", "role", "roles", "user", "users", "identity", "identities"}),
    ("day", {"day", "daily", "trend"}), ("kind", {"kind", "kinds"}),
    ("product", {"product", "products", "workload", "workloads", "app", "apps", "application", "applications",
                 "team", "teams"}),
]


def _dimension(q: Question) -> str | None:
    """What to group spend by, from the words ('by region', 'top 3 models', 'which of my products')."""
    if q.phrase("business unit", "business units", "bu"):
        return "business_unit"
    if q.phrase("token type", "token types", "token kind", "input vs output", "input and output",
                "input versus output"):
        return "kind"
    if q.phrase("per day", "each day", "by day", "over time", "day by day"):
        return "day"
    best: tuple[int, int, str] | None = None
    for i, w in enumerate(q.words):
        for dim, words in _DIMENSIONS:
            if w in words:
                before = q.words[i - 1] if i else ""
                weight = 2 if before in ("by", "per", "each", "which", "what", "top", "across", "every") \
                    or number_word(before) else 1
                if best is None or weight > best[0]:
                    best = (weight, -i, dim)
    return best[2] if best else None


# ------------------------------------------------------------------------------ builders


def _can(ctx: ToolContext, tool: str) -> bool:
    return any(t.name == tool for t in toolset.tools_for(ctx))


def _gate(q: Question, family_name: str, tool: str) -> Plan | None:
    """A write the caller's personas may not make: say who can, before asking for any parameter."""
    return None if _can(q.ctx, tool) else Plan(family_name, reply=_not_allowed(q.ctx, tool))


def _own(ctx: ToolContext) -> list[str]:
    return sorted(ctx.caller.owned_products)


def _product_or_ask(q: Question, what: str, example: str) -> tuple[str | None, str | None]:
    """The product a write is for: the one named, else the caller's only product; else a question back."""
    if q.name_targets:
        return q.name_targets[0], None
    own = _own(q.ctx)
    if len(own) == 1:
        return own[0], None
    if own:
        return None, (f"Which product {what}? You own {', '.join(own)}. For example: "
                      f"'{example.format(p=own[0])}'.")
    return None, f"Which product {what}? Name it, for example: '{example.format(p='<product>')}'."


def _build_estimate(q: Question) -> Plan:
    month = q.period().month
    base = {"month": month} if month else {}
    if q.name_targets:
        return Plan("estimate_status", [Step("estimate_status", {**base, "product": p}) for p in q.name_targets[:5]])
    if q.portfolios:
        return _build_breakdown(q, family="estimate_status")
    own = _own(q.ctx)
    if 1 <= len(own) <= 5:
        return Plan("estimate_status", [Step("estimate_status", {**base, "product": p}) for p in own])
    return Plan("estimate_status", [Step("quota_status", dict(base))])


def _build_quota(q: Question) -> Plan:
    month = q.period().month
    args: dict[str, Any] = {"month": month} if month else {}
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("quota", [Step("quota_status", args)])


def _build_breakdown(q: Question, family: str = "breakdown") -> Plan:
    period = q.period()
    dim = _dimension(q)
    if dim is None and q.regions:
        dim = "region"
    elif dim is None and q.accounts:
        dim = "account"
    model = q.model
    base: dict[str, Any] = period.args()
    top = q.top()
    if top:
        base["top"] = top
    if model is not None:
        if model.ambiguous:
            return Plan(family, reply=_which_model(q, model))
        base["model"] = model.model_id or model.text
    if q.portfolios:
        base["portfolio"] = q.portfolios[0]
    elif q.unknown_names and q.has({"portfolio", "portfolios"}) and not q.products:
        base["portfolio"] = q.unknown_names[0]
    targets = [] if "portfolio" in base else q.name_targets
    if dim in (None, "product") and targets:
        dim = "model"
    if dim is None:
        visible = q.ctx.caller.products
        dim = "product" if "model" in base or q.ctx.caller.all_access or len(visible) != 1 else "model"
    if targets:
        return Plan(family, [Step("spend_breakdown", {**base, "by": dim, "product": p}) for p in targets[:3]])
    return Plan(family, [Step("spend_breakdown", {**base, "by": dim})])


def _build_unattributed(q: Question) -> Plan:
    return Plan("unattributed", [Step("unattributed_spend", q.period().args())])


def _build_drift(q: Question) -> Plan:
    args: dict[str, Any] = q.period().args()
    if q.name_targets:
        args["product"] = q.name_targets[0]
    model = q.model
    if model is not None and not model.ambiguous:
        args["model"] = model.model_id or model.text
    return Plan("drift", [Step("model_drift", args)])


_STATES = {"approved": "approved", "allowed": "approved", "permitted": "approved", "available": "approved",
           "blocked": "blocked", "restricted": "restricted", "unreviewed": "unreviewed", "unmapped": "unmapped"}


def _build_catalog(q: Question) -> Plan:
    model = q.model
    can_use = q.phrase("can i use", "may i use", "could i use", "am i allowed", "are we allowed", "can we use",
                       "may we use", "allowed to use", "permitted to use", "ok to use", "okay to use", "can use",
                       "may use") or (model is not None and q.first in ("is", "are", "can", "may"))
    if model is not None and can_use:
        if model.ambiguous:
            return Plan("catalog", reply=_which_model(q, model))
        c = q.ctx.caller
        accounts = q.accounts or (sorted(c.accounts | c.work_accounts)
                                  if len(c.accounts | c.work_accounts) == 1 else [])
        if accounts and q.regions:
            args = {"model": model.model_id or model.text, "account": accounts[0], "region": q.regions[0]}
            product = q.name_targets[0] if q.name_targets else (_own(q.ctx)[0] if len(_own(q.ctx)) == 1 else None)
            if product:
                args["product"] = product
            return Plan("catalog", [Step("model_status", args)])
        missing = " and ".join(x for x, ok in (("account", accounts), ("region", q.regions)) if not ok)
        return Plan("catalog", [Step("model_catalog", {"model": _catalog_filter(model)})],
                    note=f"For a yes or no, name the {missing}: e.g. 'can I use {model.text} in "
                         f"{q.accounts[0] if q.accounts else '<account>'} "
                         f"{q.regions[0] if q.regions else 'us-east-1'}'.")
    args: dict[str, Any] = {}
    states = [_STATES[w] for w in q.words if w in _STATES]
    if states:
        args["state"] = states[0]
    if model is not None:
        args["model"] = _catalog_filter(model)
    return Plan("catalog", [Step("model_catalog", args)])


def _catalog_filter(model: ModelRef) -> str:
    if model.model_id:
        return model.model_id
    words = [w for w in model_tokens(model.text) if w.isalpha() and w not in GENERIC_MODEL_WORDS]
    return words[0] if words else model.text


def _which_model(q: Question, model: ModelRef) -> str:
    labels = q.index.labels if q.index else {}
    names = ", ".join(f"{labels.get(m, m)} ({m})" for m in (model.options or model.related)[:8])
    return f"Which model do you mean by '{model.text}'? " + (f"I know: {names}." if names else
                                                             "Give its Bedrock model id.")


def _build_card(q: Question) -> Plan:
    period = q.period()
    week = period.week
    if q.verb in ("approve", "sign"):
        return _build_approve_card(q, week)
    args: dict[str, Any] = {"week_start": week} if week else {}
    c = q.ctx.caller
    targets = q.name_targets or _own(q.ctx)[:3] or (sorted(c.products)[:3] if len(c.products) <= 3 else [])
    if not targets:
        return Plan("spend_card", reply="Which product's spend card? Name one, e.g. 'this week's spend card for "
                                        f"{min(c.products) if c.products else '<product>'}'.")
    return Plan("spend_card", [Step("spend_card", {**args, "product": p}) for p in targets])


def _build_approve_card(q: Question, week: date | None) -> Plan:
    if (gate := _gate(q, "spend_card", "approve_spend_card")) is not None:
        return gate
    product, ask = _product_or_ask(q, "should I approve the spend card for", "approve my {p} spend card for last week")
    if ask:
        return Plan("spend_card", reply=ask)
    args: dict[str, Any] = {"product": product}
    if week:
        args["week_start"] = week - timedelta(days=week.weekday())
    if q.reason:
        args["note"] = q.reason
    return Plan("spend_card", [Step("approve_spend_card", args)])


def _build_anomalies(q: Question) -> Plan:
    args: dict[str, Any] = q.period().args()
    if q.has({"principal", "principals", "role", "roles", "user", "users", "identity", "identities"}):
        args["level"] = "principal"
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("anomalies", [Step("anomalies", args)])


def _build_recommendations(q: Question) -> Plan:
    args = {"product": q.name_targets[0]} if q.name_targets else {}
    return Plan("recommendations", [Step("recommendations", args)])


def _build_tasks(q: Question) -> Plan:
    if q.task_ids or q.verb in ("mark", "complete", "close", "finish"):
        if (gate := _gate(q, "tasks", "complete_task")) is not None:
            return gate
        if not q.task_ids:
            return Plan("tasks", reply="Which task? Give its id, e.g. 'mark T-000012 done, note: applied in "
                                       "change CHG-1'. Ask 'what do I need to implement' for the open ones.")
        args: dict[str, Any] = {"task_id": q.task_ids[0]}
        if q.reason:
            args["note"] = q.reason
        return Plan("tasks", [Step("complete_task", args)])
    status = "done" if q.has({"done", "completed", "finished", "implemented"}) else \
        "all" if q.phrase("all tasks", "every task") else "open"
    args = {"status": status}
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("tasks", [Step("task_queue", args)])


def _build_iam(q: Question) -> Plan:
    product, ask = _product_or_ask(q, "do you want the IAM policy for", "what IAM policy does {p} need")
    if ask:
        return Plan("iam_policy", reply=ask)
    return Plan("iam_policy", [Step("iam_policy", {"product": product})])


def _build_claim(q: Question) -> Plan:
    if (gate := _gate(q, "claims", "claim_principal")) is not None:
        return gate
    if not q.arns:
        return Plan("claims", reply="Which principal? Give its full ARN, e.g. 'claim arn:aws:iam::<account>:role/"
                                    "<role> for <product>'. Ask 'what spend is unattributed' to see unclaimed "
                                    "roles in your accounts.")
    if len(q.arns) > 1:
        return Plan("claims", reply="One principal at a time, please: 'claim <ARN> for <product>'.")
    if q.ctx.caller.all_access and not q.name_targets:
        return Plan("claims", reply=f"Which product should {q.arns[0]} belong to? Say 'claim {q.arns[0]} for "
                                    "<product>'.")
    product, ask = _product_or_ask(q, f"should {q.arns[0]} belong to", "claim " + q.arns[0] + " for {p}")
    if ask:
        return Plan("claims", reply=ask)
    args: dict[str, Any] = {"principal": q.arns[0], "product": product}
    if q.days:
        args["claimed_on"] = q.days[0]
    if q.reason:
        args["note"] = q.reason
    return Plan("claims", [Step("claim_principal", args)])


def _build_set_estimate(q: Question) -> Plan:
    if (gate := _gate(q, "set_estimate", "set_estimate")) is not None:
        return gate
    amount = q.amount()
    product, ask = _product_or_ask(q, "is the estimate for", "set my estimate for {p} to <amount> for December")
    if ask:
        return Plan("set_estimate", reply=ask)
    if amount is None:
        return Plan("set_estimate", reply=f"What amount? Say it in USD, e.g. 'set my estimate for {product} to "
                                          "<amount> for December'.")
    period = q.period(future=True)
    args: dict[str, Any] = {"product": product, "usd": amount, **q.token_estimates()}
    if period.month:
        args["month"] = period.month
    if q.reason:
        args["reason"] = q.reason
    return Plan("set_estimate", [Step("set_estimate", args)])


def _build_access_request(q: Question) -> Plan:
    if q.verb != "request" and not q.phrase("need access", "want access", "get access", "like access",
                                            "ask for access", "apply for access", "request access",
                                            "requesting access"):
        args = {"status": "closed" if q.has({"closed", "decided"}) else "all" if q.has({"all"}) else "open"}
        return Plan("access_requests", [Step("access_requests", args)])
    if (gate := _gate(q, "access_requests", "request_model_access")) is not None:
        return gate
    model = q.model
    if model is None or not model.model_id:
        known = f" I don't know '{model.text}'." if model is not None and not model.ambiguous else ""
        if model is not None and model.ambiguous:
            return Plan("access_requests", reply=_which_model(q, model))
        return Plan("access_requests", reply=f"Which model?{known} Give its name or Bedrock model id, e.g. "
                                             "'request access to anthropic.claude-opus-4-6-v1 for <product> in "
                                             "us-east-1 because <why>'.")
    product, ask = _product_or_ask(q, "is the request for",
                                   f"request access to {model.text} for {{p}} in us-east-1 because <why>")
    if ask:
        return Plan("access_requests", reply=ask)
    if not q.reason:
        return Plan("access_requests", reply=f"Why does {product} need {model.text}? The FinOps Lead decides on the "
                                             f"reason: say 'request access to {model.text} for {product} because "
                                             "<why>'.")
    args: dict[str, Any] = {"product": product, "model_id": model.model_id, "reason": q.reason}
    if q.accounts:
        args["accounts"] = q.accounts
    if q.regions:
        args["regions"] = q.regions
    return Plan("access_requests", [Step("request_model_access", args)])


def _build_decision(q: Question) -> Plan:
    if (gate := _gate(q, "model_decisions", "decide_model")) is not None:
        return gate
    verb = q.verb or ""
    state = DECIDE_VERBS.get(verb, "approved")
    if state == "approved" and (q.phrase("only for", "restricted to", "limited to") and q.products):
        state = "restricted"
    model = q.model
    if model is None or (not model.model_id and "." not in model.text):
        if model is not None and model.ambiguous:
            return Plan("model_decisions", reply=_which_model(q, model))
        return Plan("model_decisions", reply=f"Which model should I record as {state}? Give its Bedrock model id, "
                                             "e.g. 'approve anthropic.claude-opus-4-6-v1 in <account> us-east-1 "
                                             "inference only because <why>'.")
    model_id = model.model_id or model.text
    if not q.reason:
        return Plan("model_decisions", reply=f"A catalog decision needs a written rationale: say '{verb} {model_id} "
                                             "... because <why>'.")
    everywhere = q.phrase("everywhere", "all accounts", "every account", "any account", "all regions",
                          "every region", "any region", "across the board")
    if state == "approved" and not everywhere and not (q.accounts and q.regions):
        return Plan("model_decisions", reply=f"In which accounts and regions? Approvals don't carry across "
                                             f"environments: e.g. '{verb} {model_id} in <account> us-east-1 because "
                                             "...', or say 'in all accounts and regions'.")
    if state == "restricted" and not q.products:
        return Plan("model_decisions", reply=f"Restricted to which products? e.g. 'restrict {model_id} to <product> "
                                             "because ...'.")
    scope = "inference_only"
    if q.phrase("read write", "readwrite", "full agentic"):
        scope = "agentic_read_write"
    elif q.phrase("read only", "readonly", "agentic read", "agentic") and not q.phrase("inference only"):
        scope = "agentic_read_only"
    args: dict[str, Any] = {"model_id": model_id, "state": state, "rationale": q.reason, "action_scope": scope,
                            "accounts": q.accounts, "regions": q.regions}
    if state == "restricted":
        args["products"] = q.products
    if q.request_ids:
        args["request_id"] = q.request_ids[0]
    return Plan("model_decisions", [Step("decide_model", args)])


def _build_pause(q: Question) -> Plan:
    if (gate := _gate(q, "pause", "pause_product")) is not None:
        return gate
    tool = "resume_product" if q.verb in RESUME_VERBS else "pause_product"
    word = "resume" if tool == "resume_product" else "pause"
    product = q.name_targets[0]
    if not q.reason:
        return Plan("pause", reply=f"A {word} needs a reason for the audit log: say '{word} {product} because <why>'.")
    return Plan("pause", [Step(tool, {"product": product, "rationale": q.reason})])


def _build_scope(q: Question) -> Plan:
    return Plan("scope", [Step("my_scope", {})], note=help_text(q.ctx, intro=False))


BUILDERS = {
    "estimate_status": _build_estimate, "quota": _build_quota, "breakdown": _build_breakdown,
    "unattributed": _build_unattributed, "drift": _build_drift, "catalog": _build_catalog,
    "spend_card": _build_card, "anomalies": _build_anomalies, "recommendations": _build_recommendations,
    "tasks": _build_tasks, "iam_policy": _build_iam, "claims": _build_claim, "set_estimate": _build_set_estimate,
    "access_requests": _build_access_request, "model_decisions": _build_decision, "pause": _build_pause,
    "scope": _build_scope,
}

# ------------------------------------------------------------------------------ help

EXAMPLES = [
    ("estimate_status", "Am I within my estimate this month?"),
    ("spend_breakdown", "Which of my products spends most this month?"),
    ("spend_breakdown", "Top 3 models last month"),
    ("quota_status", "Which products are over their estimate?"),
    ("spend_card", "Show last week's spend card for {p}"),
    ("unattributed_spend", "What spend is unattributed?"),
    ("model_drift", "Are we using any unapproved models?"),
    ("model_catalog", "Which models are approved?"),
    ("model_status", "Can I use Claude Sonnet 4.6 in us-east-1?"),
    ("anomalies", "Any spending spikes this month?"),
    ("recommendations", "How can I save on Bedrock?"),
    ("task_queue", "What do I need to implement?"),
    ("complete_task", "Mark <task id> done, note: <what you did>"),
    ("iam_policy", "What IAM policy does {p} need?"),
    ("claim_principal", "Claim <role ARN> for {p}"),
    ("set_estimate", "Set my estimate for {p} to <amount> for December"),
    ("request_model_access", "Request access to <model> for {p} in us-east-1 because <why>"),
    ("access_requests", "Show open access requests"),
    ("approve_spend_card", "Approve my {p} spend card for last week"),
    ("decide_model", "Approve <model id> in <account> us-east-1 inference only because <why>"),
    ("pause_product", "Pause <product> because <why>"),
    ("my_scope", "Who am I, and what can I see?"),
]


def help_text(ctx: ToolContext, *, intro: bool = True) -> str:
    """What this caller can ask, by the tools their personas may call, with examples."""
    c = ctx.caller
    names = {t.name for t in toolset.tools_for(ctx)}
    product = (_own(ctx) or sorted(c.products) or ["<product>"])[0]
    persona = " and ".join(render.PERSONA_NAMES.get(p, p) for p in sorted(c.personas))
    lines = [("I couldn't place that question, so I won't guess. " if intro else "")
             + f"As a {persona} you can ask me, for example:"]
    lines += [f"- {text.format(p=product)}" for tool, text in EXAMPLES if tool in names]
    lines.append("Ask in your own words: months ('last month', 'October'), products, models, accounts and "
                 "regions are understood, typos too.")
    return "\n".join(lines)


def _not_allowed(ctx: ToolContext, tool: str) -> str:
    t = toolset.get(tool)
    if t is not None and t.personas & ctx.caller.personas and t.action not in ctx.actions:
        return (f"That is a {t.action} action, and here (over {ctx.caller.channel}) you have read access only: "
                f"a FinOps Lead can grant the {t.action} scope with `steward mcp grant`.\n"
                + help_text(ctx, intro=False))
    names = [render.PERSONA_NAMES.get(p, p) for p in sorted(t.personas)] if t else ["someone else"]
    who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    me = " and ".join(render.PERSONA_NAMES.get(p, p) for p in sorted(ctx.caller.personas))
    return f"That is for a {who}, not a {me}.\n" + help_text(ctx, intro=False)


# ------------------------------------------------------------------------------ entry points


def plan(ctx: ToolContext, question: str) -> Plan:
    """The family and the tool calls for a question (or the reply, when no tool call fits)."""
    if not question.strip():
        return Plan("unknown", reply=help_text(ctx, intro=False))
    q = read(ctx, question)
    fam = family(q)
    builder = BUILDERS.get(fam)
    if builder is None:
        return Plan("unknown", reply=help_text(ctx))
    p = builder(q)
    for step in p.steps:
        if not _can(ctx, step.tool):
            return Plan(p.family, reply=_not_allowed(ctx, step.tool))
    return p


def call(ctx: ToolContext, step: Step) -> Fact:
    """One tool call through the registry; a tool error (scope, persona, arguments) becomes the fact's error."""
    try:
        result = toolset.call(ctx, step.tool, step.args)
    except ToolError as exc:
        return Fact(tool=step.tool, args=_jsonable(step.args), error=str(exc))
    except Exception:  # an internal failure must not crash the conversation
        log.exception("tool %s failed", step.tool)
        return Fact(tool=step.tool, args=_jsonable(step.args),
                    error=f"the tool {step.tool} failed with an internal error")
    return Fact(tool=step.tool, args=_jsonable(step.args), result=result.model_dump(mode="json"))


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in args.items()}


def view(ctx: ToolContext, labels: dict[str, str] | None = None) -> render.View:
    return render.View(labels=labels if labels is not None else model_labels(ctx.store),
                       persona=ctx.caller.primary_persona, owned=tuple(sorted(ctx.caller.owned_products)))


def answer(ctx: ToolContext, question: str) -> Answer:
    """Answer offline: plan, call the tools, render. Never raises for a question it cannot place."""
    try:
        p = plan(ctx, question)
    except Exception:  # a reading bug must not crash the conversation: say what can be asked
        log.exception("planning failed for %r", question[:200])
        p = Plan("unknown", reply=help_text(ctx))
    facts = [call(ctx, step) for step in p.steps]
    parts = [p.reply] if p.reply else []
    if facts:
        index = model_index(ctx.store)
        parts.append(render.render_facts(facts, view=view(ctx, index.labels)))
    if p.note:
        parts.append(p.note)
    text = "\n\n".join(x for x in parts if x) or help_text(ctx)
    return Answer(question=question, text=text, facts=facts, family=p.family, mode="offline")
