"""Unattributed spend: principals nobody has claimed, and spend from before a claim's date, in the
accounts a caller can see, so the right Product Owner can find and claim them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from ledger.principals import principal_type
from tools.catalog import model_labels, plural
from tools.context import ToolContext
from tools.periods import WindowArgs, data_through, upto, window
from tools.scope import account_clause, product_clause, require_account
from tools.display import look_alike, money
from tools.spend import SPEND_PERSONAS
from tools.declare import tool

Reason = Literal["unclaimed", "before_claim", "no_principal"]


class UnattributedArgs(WindowArgs):
    top_models: int = Field(3, ge=1, le=20, description="Models to list per principal.")
    account: str | None = Field(None, description="12-digit account id: only this account's unattributed spend.")
    region: str | None = Field(None, description="e.g. us-east-1: only this region's unattributed spend.")


class ModelSpend(BaseModel):
    model: str = Field(description="Model id, or the billing name when it maps to no model id.")
    name: str
    usd: float


class UnattributedLine(BaseModel):
    principal: str = Field(description="Role or user ARN; 'unknown' for usage with no principal in the CUR.")
    principal_type: str
    look_alike: bool = Field(False, description="The principal carries hidden characters (controls, bidirectional "
                                                "overrides, zero-width): it may pass for another; shown escaped.")
    account_id: str
    account_name: str | None
    reason: Reason = Field(description="unclaimed: nobody claimed it; before_claim: spend before the claim "
                                       "date; no_principal: the CUR names no principal (cannot be claimed).")
    claimed_on: date | None = Field(description="before_claim: the claim date.")
    claimed_for: str | None = Field(description="before_claim: the product it was later claimed for, "
                                                "when that product is in your scope.")
    usd: float
    tokens: float
    days_seen: int
    first_day: date
    last_day: date
    top_models: list[ModelSpend]
    shared: bool = Field(False, description="Part of this principal's spend is attributed by inference profile "
                                            "or tag claims: this line is its untagged rest.")


class OwnerGroup(BaseModel):
    owner: str | None = Field(description="The hierarchy node that owns the accounts; None if not in the registry.")
    owner_kind: str | None
    usd: float
    lines: list[UnattributedLine]


class UnattributedSpend(BaseModel):
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    data_through: date | None
    total_usd: float = Field(description="All unattributed unblended usage cost in the accounts you see.")
    tokens: float
    principals: int = Field(description="Principals that could be claimed (no_principal lines excluded).")
    unclaimed: int
    before_claim: int
    no_principal_usd: float
    groups: list[OwnerGroup] = Field(description="By owning node, largest first; lines largest first.")
    tag_keys: list[str] = Field([], description="Resource and principal tag keys present on the unattributed "
                                                "rows: what a claim by tag could name.")
    summary: str


def _owner_groups(rows: list[dict], models: dict[tuple[str, str], list[tuple[str, float]]], labels: dict[str, str],
                  top_models: int, shared: set[tuple[str, str]]) -> dict[str | None, OwnerGroup]:
    """The lines grouped by the node that owns their account, each group with its total."""
    groups: dict[str | None, OwnerGroup] = {}
    group_usd: dict[str | None, float] = defaultdict(float)
    for r in rows:
        reason: Reason = "no_principal" if r["principal"] == "unknown" else r["attribution"]
        line = UnattributedLine(
            principal=r["principal"], principal_type=principal_type(r["principal"]),
            look_alike=look_alike(r["principal"]), account_id=r["account_id"],
            account_name=r["account_name"], reason=reason, claimed_on=r["claimed_on"],
            claimed_for=r["claimed_for"], usd=round(r["usd"], 2), tokens=r["tokens"], days_seen=r["days"],
            first_day=r["first_day"], last_day=r["last_day"],
            top_models=[ModelSpend(model=m, name=labels.get(m, m), usd=round(u, 2))
                        for m, u in models[(r["account_id"], r["principal"])][: top_models]],
            shared=(r["account_id"], r["principal"]) in shared)
        group = groups.setdefault(r["owner"], OwnerGroup(owner=r["owner"], owner_kind=r["owner_kind"], usd=0,
                                                         lines=[]))
        group.lines.append(line)
        group_usd[r["owner"]] += r["usd"]
        group.usd = round(group_usd[r["owner"]], 2)
    return groups


@tool(name="unattributed_spend", personas=SPEND_PERSONAS, action="read", family="unattributed")
def unattributed_spend(ctx: ToolContext, args: UnattributedArgs) -> UnattributedSpend:
    """Bedrock spend nobody is accountable for yet (unclaimed principals, spend before a claim's date) in the
    accounts you see: the roles to claim.

    Bedrock spend nobody is accountable for yet, in the accounts you can see: principals (IAM roles,
    users, API keys) with spend and no claim ('unclaimed'), and spend by a claimed principal before its
    claim date ('before_claim': claims count only from their date). Grouped by the hierarchy node that
    owns the account, then by principal, with account, tokens, first and last day seen and the top
    models. Use it to find the roles a Product Owner should claim. `account` and `region` narrow it to one
    account (one you see, else a scope error) and one region.

    Defaults: the current month; unblended usage cost in USD (credits, refunds and taxes excluded);
    end date exclusive. You see the accounts owned by your hierarchy node or below it (a FinOps Lead:
    all). Usage whose CUR row names no principal is its own 'no_principal' line per account, shown
    under the same account rule: it cannot be claimed, but the account's owners should know of it.
    The product a principal was later claimed for is named only when it is in your scope.
    """
    ensure_views(ctx.store)
    w = window(args.start, args.end, args.month, ctx.today)
    through = data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1)))
    claimed_sql, claimed_params = product_clause(ctx.caller, "d.claimed_product")
    acct_sql, acct_params = account_clause(ctx.caller, "d.account_id")
    in_scope = f"d.charge_class = 'usage' AND {acct_sql} AND d.usage_date >= ? AND d.usage_date < ?"
    narrow, narrow_params = _filters(ctx, args)
    in_scope += narrow
    params = [*acct_params, w.start, upto(w, ctx.today), *narrow_params]
    where = f"d.attribution <> 'claimed' AND {in_scope}"
    rows = ctx.store.dicts(
        f"""SELECT d.account_owner AS owner, acct.owner_kind, d.account_id, d.account_name, d.principal,
                   d.attribution, d.claimed_on, CASE WHEN {claimed_sql} THEN d.claimed_product END AS claimed_for,
                   sum(d.unblended_cost) AS usd, coalesce(sum(d.tokens), 0) AS tokens,
                   count(DISTINCT d.usage_date) AS days, min(d.usage_date) AS first_day,
                   max(d.usage_date) AS last_day
            FROM attributed_daily d LEFT JOIN accounts acct ON acct.account_id = d.account_id
            WHERE {where}
            GROUP BY ALL ORDER BY usd DESC, d.principal""",
        [*claimed_params, *params])
    models: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for account_id, principal, model, usd in ctx.store.rows(
            f"""SELECT d.account_id, d.principal,
                       coalesce(d.model_id, d.billing_model, '(no model: ' || d.kind || ')') AS model,
                       sum(d.unblended_cost) AS usd
                FROM attributed_daily d WHERE {where}
                GROUP BY ALL ORDER BY usd DESC, model""", params):
        models[(account_id, principal)].append((model, usd))
    shared, tag_keys = _shared_principals_and_tag_keys(ctx, in_scope, params)
    groups = _owner_groups(rows, models, model_labels(ctx.store), args.top_models, shared)
    lines = [line for g in groups.values() for line in g.lines]
    counts = {k: sum(line.reason == k for line in lines) for k in ("unclaimed", "before_claim")}
    result = UnattributedSpend(
        period=w.label, start=w.start, end=w.end, data_through=through,
        total_usd=round(sum(r["usd"] for r in rows), 2), tokens=sum(r["tokens"] for r in rows),
        principals=counts["unclaimed"] + counts["before_claim"], unclaimed=counts["unclaimed"],
        before_claim=counts["before_claim"],
        no_principal_usd=round(sum(r["usd"] for r in rows if r["principal"] == "unknown"), 2),
        groups=sorted(groups.values(), key=lambda g: (-g.usd, g.owner or "")), tag_keys=tag_keys, summary="")
    result.summary = _summary(ctx, result, args)
    return result


def _filters(ctx: ToolContext, args: UnattributedArgs) -> tuple[str, list]:
    """The account and region filters, narrowing the caller's account scope (an account outside it is
    refused, not emptied)."""
    sql, params = "", []
    if args.account:
        sql += " AND d.account_id = ?"
        params.append(require_account(ctx, args.account))
    if args.region:
        sql += " AND lower(d.region) = lower(?)"
        params.append(args.region.strip())
    return sql, params


def _shared_principals_and_tag_keys(ctx: ToolContext, in_scope: str,
                                    params: list) -> tuple[set[tuple[str, str]], list[str]]:
    """(account, principal) pairs whose spend in the window (`in_scope`: window and account scope) is
    partly attributed by a profile or tag claim, and the tag keys on the unattributed rows."""
    where = f"d.attribution <> 'claimed' AND {in_scope}"
    shared = {(a, p) for a, p in ctx.store.rows(
        f"""SELECT DISTINCT d.account_id, d.principal FROM attributed_daily d
            WHERE {in_scope} AND d.attributed_by IN ('inference_profile', 'tag', 'principal_tag')""", params)}
    keys = [r[0] for r in ctx.store.rows(
        f"""SELECT DISTINCT key FROM (
                SELECT unnest(map_keys(coalesce(d.resource_tags, MAP {{}}))) AS key FROM attributed_daily d
                WHERE {where}
                UNION ALL
                SELECT unnest(map_keys(coalesce(d.principal_tags, MAP {{}}))) FROM attributed_daily d WHERE {where})
            ORDER BY key""", [*params, *params])]
    return shared, keys


def _summary(ctx: ToolContext, s: UnattributedSpend, args: UnattributedArgs) -> str:
    where = "across all accounts" if ctx.caller.all_access else "in accounts you own"
    if args.account:
        where = f"in account {args.account}"
    if args.region:
        where += f" in {args.region}"
    if not ctx.caller.all_access and not ctx.caller.accounts:
        return ("You own no AWS accounts, so no unattributed spend is shown to you: it goes to the owners "
                "of each account and to FinOps.")
    if not s.groups:
        return f"No unattributed Bedrock spend {where} in {s.period}."
    parts = []
    if s.unclaimed:
        parts.append(plural(s.unclaimed, "unclaimed principal"))
    if s.before_claim:
        parts.append(plural(s.before_claim, "principal") + " with spend before "
                     + ("its claim date" if s.before_claim == 1 else "their claim dates"))
    text = " and ".join(parts)
    if text:
        text += f" totalling {money(s.total_usd - s.no_principal_usd)} {where} in {s.period}"
    if s.no_principal_usd:
        extra = f"{money(s.no_principal_usd)} of usage with no principal in the CUR"
        text = f"{text}; plus {extra}, {money(s.total_usd)} in all" if text else f"{extra} {where} in {s.period}"
    if s.unclaimed:
        text += ". Unclaimed principals need a Product Owner to claim them"
    return text[0].upper() + text[1:] + "."
