"""One fact about spend or governance, asked directly: the cache hit rate per product or model, whether a
product is paused (and since when), and who claimed a principal. Scope in SQL, as every read tool."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from tools.context import ToolContext
from tools.errors import ScopeError, ToolError
from tools.periods import WindowArgs, data_through, upto, window
from tools.scope import account_clause, require_product
from tools.spend import SPEND_PERSONAS, cache_hit_rate
from tools.spend_filters import GROUP_SQL, SpendFilters, filter_sql
from tools.declare import ALL_PERSONAS, tool


class CacheArgs(WindowArgs):
    by: Literal["product", "model"] = "product"
    # Filters as spend_breakdown's (owner: a person's products); no descriptions, for the list's budget.
    product: str | None = None
    owner: str | None = None
    model: str | None = None
    portfolio: str | None = None
    account: str | None = None
    region: str | None = None


class CacheRow(BaseModel):
    key: str
    input_tokens: float
    cache_read_tokens: float
    cache_write_tokens: float
    hit_rate: float | None


class CacheRates(BaseModel):
    by: str
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    overall_hit_rate: float | None
    healthy: float
    rows: list[CacheRow]
    data_through: date | None


_CACHE_FILTERS = {"product", "owner", "model", "portfolio", "account", "region"}


@tool(name="cache_hit_rates", personas=SPEND_PERSONAS, action="read", family="estimate_status")
def cache_hit_rates(ctx: ToolContext, args: CacheArgs) -> CacheRates:
    """Prompt-cache hit rate (cache reads over input-side tokens) per product or model, against the healthy
    level.

    Prompt-cache hit rate within your scope, per product or per model: cache-read tokens over all
    input-side tokens (input + cache read + cache write), against the healthy level. Default: this month;
    the other arguments filter (a product, a person's products, a model, a portfolio, an account, a region)."""
    ensure_views(ctx.store)
    w = window(args.start, args.end, args.month, ctx.today)
    where, params = filter_sql(ctx, SpendFilters(**args.model_dump(include=_CACHE_FILTERS)))
    rows = ctx.store.rows(
        f"""SELECT {GROUP_SQL[args.by]} AS k,
                   coalesce(sum(tokens) FILTER (WHERE kind = 'input'), 0),
                   coalesce(sum(tokens) FILTER (WHERE kind = 'cache_read'), 0),
                   coalesce(sum(tokens) FILTER (WHERE kind = 'cache_write'), 0)
            FROM usage_compliance WHERE {where} AND usage_date >= ? AND usage_date < ?
              AND kind IN ('input', 'cache_read', 'cache_write')
            GROUP BY k ORDER BY k""", [*params, w.start, upto(w, ctx.today)])
    totals = [sum(r[i] for r in rows) for i in (1, 2, 3)]
    return CacheRates(
        by=args.by, period=w.label, start=w.start, end=w.end, healthy=ctx.thresholds.cache_hit_healthy,
        overall_hit_rate=cache_hit_rate(totals[1], totals[0], totals[2]),
        rows=[CacheRow(key=k, input_tokens=i, cache_read_tokens=r, cache_write_tokens=c,
                       hit_rate=cache_hit_rate(r, i, c)) for k, i, r, c in rows],
        data_through=data_through(ctx.store, min(ctx.today, w.end)))


class ProductStatusArgs(BaseModel):
    product: str


class ProductStatus(BaseModel):
    product: str
    paused: bool
    since: datetime | None = Field(description="When the pause in force was asked for (its first task).")
    pause_tasks_open: int = Field(description="Pause tasks a Cloud Engineer has not run yet.")
    resumed_at: datetime | None = Field(description="When the last resume was asked for, if not paused.")


@tool(name="product_status", personas=ALL_PERSONAS, action="read", family="pause")
def product_status(ctx: ToolContext, args: ProductStatusArgs) -> ProductStatus:
    """Whether a product is paused, and since when.

    Whether a product is paused (a pause in force: after the last resume, not superseded) and since when."""
    product = require_product(ctx, args.product)
    last = ctx.store.dicts(
        """SELECT kind, min(created_at) AS asked_at, count(*) FILTER (WHERE status = 'open') AS open_tasks
           FROM engineer_tasks WHERE product = ? AND kind IN ('pause', 'resume') AND status <> 'superseded'
           GROUP BY kind, source_ref ORDER BY asked_at DESC LIMIT 1""", [product])
    if not last:
        return ProductStatus(product=product, paused=False, since=None, pause_tasks_open=0, resumed_at=None)
    row = last[0]
    paused = row["kind"] == "pause"
    return ProductStatus(product=product, paused=paused, since=row["asked_at"] if paused else None,
                         pause_tasks_open=row["open_tasks"] if paused else 0,
                         resumed_at=None if paused else row["asked_at"])


class PrincipalArgs(BaseModel):
    principal: str = Field(description="An ARN, or a role or user name.")


class PrincipalClaim(BaseModel):
    principal: str
    product: str | None = Field(description="The product that claimed it; None: nobody has.")
    claimed_by: str | None
    claimed_on: date | None
    note: str | None


@tool(name="principal_claim", personas=SPEND_PERSONAS, action="read", family="claims")
def principal_claim(ctx: ToolContext, args: PrincipalArgs) -> PrincipalClaim:
    """Who claimed a principal for which product and when, or that nobody has.

    Who claimed a principal (role or user) for which product and when, or that nobody has. You see claims
    of your products, and unclaimed principals in the accounts you may see."""
    name = args.principal.strip()
    if not name:
        raise ToolError("name the principal: its ARN, or its role or user name")
    scope_sql, params = account_clause(ctx.caller, "p.account_id")
    found = ctx.store.dicts(
        f"""WITH principals AS (SELECT DISTINCT principal, account_id FROM usage_daily
                                UNION SELECT principal, NULL FROM claims)
            SELECT DISTINCT p.principal, c.product, c.claimed_by, c.claimed_on, c.note
            FROM principals p LEFT JOIN claims c ON c.principal = p.principal
            WHERE (p.principal = ? OR p.principal LIKE ?) AND (c.product IS NOT NULL OR {scope_sql})
            ORDER BY p.principal""", [name, f"%/{name}", *params])
    visible = [r for r in found if r["product"] is None or ctx.caller.sees_product(r["product"])]
    if not visible:
        raise ScopeError("principal", name)
    if len({r["principal"] for r in visible}) > 1:
        raise ToolError(f"'{name}' matches {len(visible)} principals: " +
                        ", ".join(sorted({r['principal'] for r in visible})) + "; give the full ARN")
    return PrincipalClaim(**visible[0])
