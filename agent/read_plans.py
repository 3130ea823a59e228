"""Plans for the read families: estimates, quotas, breakdowns, unattributed spend, drift, the catalog,
spend cards, anomalies, savings, IAM policies and the caller's scope."""

from __future__ import annotations

import re

from typing import Any

from agent.families import CAN_USE_PHRASES
from agent.grouping import grouping_of
from agent.help import help_text
from agent.plan import Plan, Step, catalog_filter, owned_products, product_or_ask, which_model
from agent.qualifiers import FILTER_LABELS, reading, spend_filters, unsupported
from agent.question import Question
from agent.spend_plans import plan_breakdown
from agent.spoken_periods import Period
from tools.scope import product_of_role
from agent.write_plans import plan_approve_card


def plan_estimate(q: Question) -> Plan:
    period = q.period()
    base = {"month": period.month} if period.month else {}
    if q.portfolios and not q.name_targets:
        return plan_breakdown(q, family="estimate_status")
    own = owned_products(q.ctx)
    products = q.name_targets[:5] or (own if 1 <= len(own) <= 5 else [])
    month_text = Period(month=period.month).describe(q.ctx.today)
    extra = unsupported(q, month_only=True) + _beyond_month_end(q)
    if products:
        return Plan("estimate_status", [Step("estimate_status", {**base, "product": p}) for p in products],
                    reading=reading(q, month_text, {"product": ", ".join(products)}), not_honoured=extra)
    return Plan("estimate_status", [Step("quota_status", dict(base))], reading=reading(q, month_text, {}),
                not_honoured=extra)


def _beyond_month_end(q: Question) -> list[str]:
    """'Forecast our 2027 spend': a later year named is beyond what Steward forecasts (this month's end, from
    the month so far), so it is named as not answered rather than answered with this month's forecast."""
    later = sorted({w for w in q.words if re.fullmatch(r"20\d\d", w) and int(w) > q.ctx.today.year})
    return [f"a forecast for {year} (Steward forecasts only to the end of the current month)" for year in later]


def plan_quota(q: Question) -> Plan:
    period = q.period()
    args: dict[str, Any] = {"month": period.month} if period.month else {}
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("quota", [Step("quota_status", args)],
                reading=reading(q, Period(month=period.month).describe(q.ctx.today), args),
                not_honoured=unsupported(q, month_only=True))


def plan_unattributed(q: Question) -> Plan:
    """Unattributed spend, of one account and region when the question names them; any other filter it
    carries is named as not honoured (the tool lists unattributed spend by principal, not by those)."""
    filters, extra = spend_filters(q)
    period = q.period()
    args: dict[str, Any] = {**period.args(), **{k: filters[k] for k in ("account", "region") if k in filters}}
    not_honoured = [f"{FILTER_LABELS.get(k, k)} {v} (unattributed spend is listed by account and principal)"
                    for k, v in filters.items() if k not in ("cost", "account", "region")]
    model = q.model
    if model is not None:
        not_honoured.append(f"model {model.text} (unattributed spend is listed for every model)")
    return Plan("unattributed", [Step("unattributed_spend", args)],
                reading=reading(q, period.describe(q.ctx.today), args, subject="unattributed spend"),
                not_honoured=not_honoured + [x for x in extra if not x.startswith("principal")])


def plan_drift(q: Question) -> Plan:
    args: dict[str, Any] = q.period().args()
    if q.name_targets:
        args["product"] = q.name_targets[0]
    model = q.model
    if model is not None and not model.ambiguous:
        args["model"] = model.model_id or model.text
    return Plan("drift", [Step("model_drift", args)])


CATALOG_STATES = {"approved": "approved", "allowed": "approved", "permitted": "approved", "available": "approved",
                  "blocked": "blocked", "restricted": "restricted", "unreviewed": "unreviewed", "unmapped": "unmapped"}


def plan_catalog(q: Question) -> Plan:
    model = q.model
    can_use = q.phrase(*CAN_USE_PHRASES) or (model is not None and q.first in ("is", "are", "can", "may"))
    if model is not None and can_use:
        if model.ambiguous:
            return Plan("catalog", reply=which_model(q, model))
        caller_accounts = q.ctx.caller.accounts | q.ctx.caller.work_accounts
        accounts = q.accounts or (sorted(caller_accounts) if len(caller_accounts) == 1 else [])
        if accounts and q.regions:
            args = {"model": model.model_id or model.text, "account": accounts[0], "region": q.regions[0]}
            own = owned_products(q.ctx)
            product = q.name_targets[0] if q.name_targets else (own[0] if len(own) == 1 else None)
            if product:
                args["product"] = product
            return Plan("catalog", [Step("model_status", args)])
        missing = " and ".join(x for x, ok in (("account", accounts), ("region", q.regions)) if not ok)
        return Plan("catalog", [Step("model_catalog", {"model": catalog_filter(model)})],
                    note=f"For a yes or no, name the {missing}: e.g. 'can I use {model.text} in "
                         f"{q.accounts[0] if q.accounts else '<account>'} "
                         f"{q.regions[0] if q.regions else 'us-east-1'}'.")
    args: dict[str, Any] = {}
    states = [CATALOG_STATES[w] for w in q.words if w in CATALOG_STATES]
    if states:
        args["state"] = states[0]
    if model is not None:
        args["model"] = catalog_filter(model)
    return Plan("catalog", [Step("model_catalog", args)])


def plan_card(q: Question) -> Plan:
    period = q.period()
    week = period.week
    if q.verb in ("approve", "sign"):
        return plan_approve_card(q, week)
    args: dict[str, Any] = {"week_start": week} if week else {}
    visible = q.ctx.caller.products
    targets = q.name_targets or owned_products(q.ctx)[:3] or (sorted(visible)[:3] if len(visible) <= 3 else [])
    if not targets:
        return Plan("spend_card", reply="Which product's spend card? Name one, e.g. 'this week's spend card for "
                                        f"{min(visible) if visible else '<product>'}'.")
    return Plan("spend_card", [Step("spend_card", {**args, "product": p}) for p in targets])


def plan_anomalies(q: Question) -> Plan:
    args: dict[str, Any] = q.period().args()
    if q.has({"principal", "principals", "role", "roles", "user", "users", "identity", "identities"}):
        args["level"] = "principal"
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("anomalies", [Step("anomalies", args)])


def plan_recommendations(q: Question) -> Plan:
    args = {"product": q.name_targets[0]} if q.name_targets else {}
    return Plan("recommendations", [Step("recommendations", args)])


def plan_iam(q: Question) -> Plan:
    role = next((p for r in [*q.arns, *q.principal_names] if (p := product_of_role(q.ctx, r))), None)
    if role is not None and not q.name_targets:  # 'the policy for the talent-match-bedrock role': its product's
        return Plan("iam_policy", [Step("iam_policy", {"product": role})])
    product, ask = product_or_ask(q, "do you want the IAM policy for", "what IAM policy does {p} need")
    if ask:
        return Plan("iam_policy", reply=ask)
    return Plan("iam_policy", [Step("iam_policy", {"product": product})])


def plan_lifecycle(q: Question) -> Plan:
    args: dict[str, Any] = q.period().args()
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("lifecycle", [Step("model_lifecycle", args)])


def plan_scope(q: Question) -> Plan:
    return Plan("scope", [Step("my_scope", {})], note=help_text(q.ctx, intro=False))


CACHE_FILTERS = ("account", "region")


def plan_cache(q: Question) -> Plan:
    """The cache hit rate, per model when a model is named or models are asked about, else per product;
    a product, a model, an org node, an account or a region named narrows it."""
    model = q.model
    if model is not None and model.ambiguous:
        return Plan("cache", reply=which_model(q, model))
    period = q.period()
    by = "model" if grouping_of(q) == "model" or q.has({"model", "models"}) or model is not None else "product"
    filters, _ = spend_filters(q)
    args: dict[str, Any] = {**period.args(), "by": by, **{k: v for k, v in filters.items() if k in CACHE_FILTERS}}
    if q.name_targets:
        args["product"] = q.name_targets[0]
    elif q.people:
        args["owner"] = q.people[0]
    elif q.portfolios:
        args["portfolio"] = q.portfolios[0]
    if model is not None:
        args["model"] = model.model_id or model.text
    return Plan("cache", [Step("cache_hit_rates", args)],
                reading=reading(q, period.describe(q.ctx.today), args, by),
                not_honoured=[x for x in unsupported(q, month_only=False)
                              if not x.startswith(tuple(FILTER_LABELS[k] + " " for k in CACHE_FILTERS))])


def plan_pause_status(q: Question) -> Plan:
    products = q.name_targets[:5] or owned_products(q.ctx)[:5]
    return Plan("pause_status", [Step("product_status", {"product": p}) for p in products])


def plan_claim_status(q: Question) -> Plan:
    principals = q.arns or q.principal_names
    return Plan("claim_status", [Step("principal_claim", {"principal": p}) for p in principals[:3]])
