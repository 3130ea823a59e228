"""Plans for the write families: tasks, claims, estimates, access requests, model decisions, pausing
and spend-card approval. A write needs its parameters in the question; otherwise the plan asks for them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from agent.plan import Plan, Step, product_or_ask, refuse_unless_allowed, which_model
from agent.question import Question
from agent.vocabulary import DECIDE_VERBS, RESUME_VERBS


def plan_approve_card(q: Question, week: date | None) -> Plan:
    if (refusal := refuse_unless_allowed(q, "spend_card", "approve_spend_card")) is not None:
        return refusal
    product, ask = product_or_ask(q, "should I approve the spend card for", "approve my {p} spend card for last week")
    if ask:
        return Plan("spend_card", reply=ask)
    args: dict[str, Any] = {"product": product}
    if week:
        args["week_start"] = week - timedelta(days=week.weekday())
    if q.reason:
        args["note"] = q.reason
    return Plan("spend_card", [Step("approve_spend_card", args)])


def plan_tasks(q: Question) -> Plan:
    if q.task_ids or q.verb in ("mark", "complete", "close", "finish"):
        if (refusal := refuse_unless_allowed(q, "tasks", "complete_task")) is not None:
            return refusal
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


def plan_claim(q: Question) -> Plan:
    if (refusal := refuse_unless_allowed(q, "claims", "claim_principal")) is not None:
        return refusal
    if not q.arns:
        return Plan("claims", reply="Which principal? Give its full ARN, e.g. 'claim arn:aws:iam::<account>:role/"
                                    "<role> for <product>'. Ask 'what spend is unattributed' to see unclaimed "
                                    "roles in your accounts.")
    if len(q.arns) > 1:
        return Plan("claims", reply="One principal at a time, please: 'claim <ARN> for <product>'.")
    if q.ctx.caller.all_access and not q.name_targets:
        return Plan("claims", reply=f"Which product should {q.arns[0]} belong to? Say 'claim {q.arns[0]} for "
                                    "<product>'.")
    product, ask = product_or_ask(q, f"should {q.arns[0]} belong to", "claim " + q.arns[0] + " for {p}")
    if ask:
        return Plan("claims", reply=ask)
    args: dict[str, Any] = {"principal": q.arns[0], "product": product}
    if q.days:
        args["claimed_on"] = q.days[0]
    if q.reason:
        args["note"] = q.reason
    return Plan("claims", [Step("claim_principal", args)])


def plan_set_estimate(q: Question) -> Plan:
    if (refusal := refuse_unless_allowed(q, "set_estimate", "set_estimate")) is not None:
        return refusal
    amount = q.amount()
    product, ask = product_or_ask(q, "is the estimate for", "set my estimate for {p} to <amount> for December")
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


def plan_access_request(q: Question) -> Plan:
    if q.verb != "request" and not q.phrase("need access", "want access", "get access", "like access",
                                            "ask for access", "apply for access", "request access",
                                            "requesting access"):
        args = {"status": "closed" if q.has({"closed", "decided"}) else "all" if q.has({"all"}) else "open"}
        return Plan("access_requests", [Step("access_requests", args)])
    if (refusal := refuse_unless_allowed(q, "access_requests", "request_model_access")) is not None:
        return refusal
    model = q.model
    if model is None or not model.model_id:
        known = f" I don't know '{model.text}'." if model is not None and not model.ambiguous else ""
        if model is not None and model.ambiguous:
            return Plan("access_requests", reply=which_model(q, model))
        return Plan("access_requests", reply=f"Which model?{known} Give its name or Bedrock model id, e.g. "
                                             "'request access to anthropic.claude-opus-4-6-v1 for <product> in "
                                             "us-east-1 because <why>'.")
    product, ask = product_or_ask(q, "is the request for",
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


def plan_decision(q: Question) -> Plan:
    if (refusal := refuse_unless_allowed(q, "model_decisions", "decide_model")) is not None:
        return refusal
    verb = q.verb or ""
    state = DECIDE_VERBS.get(verb, "approved")
    if state == "approved" and (q.phrase("only for", "restricted to", "limited to") and q.products):
        state = "restricted"
    model = q.model
    if model is None or (not model.model_id and "." not in model.text):
        if model is not None and model.ambiguous:
            return Plan("model_decisions", reply=which_model(q, model))
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


def plan_pause(q: Question) -> Plan:
    if (refusal := refuse_unless_allowed(q, "pause", "pause_product")) is not None:
        return refusal
    tool = "resume_product" if q.verb in RESUME_VERBS else "pause_product"
    word = "resume" if tool == "resume_product" else "pause"
    product = q.name_targets[0]
    if not q.reason:
        return Plan("pause", reply=f"A {word} needs a reason for the audit log: say '{word} {product} because <why>'.")
    return Plan("pause", [Step(tool, {"product": product, "rationale": q.reason})])
