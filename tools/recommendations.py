"""Savings recommendations per product: right-sizing, batch, prompt caching, provisioned throughput."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger import lifecycle as lc
from ledger.attribution import COMPLIANCE_SQL, ensure_views
from ledger.model_names import effective_names
from ledger.prices import load_prices
from tools.context import ToolContext
from tools.display import money
from tools.errors import ToolError
from tools.periods import data_through
from tools.scope import product_clause, require_product
from tools.declare import tool

RECOMMEND_PERSONAS = frozenset({"product_owner", "portfolio_manager", "finops_lead"})
LOOKBACK_DAYS = 30
HOURS_PER_MONTH = 730  # 24 x 365 / 12
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
PT_PRICE_KEYS = ("provisioned_hourly_usd", "provisioned_hourly")  # per model unit per hour, if ever listed


class RecommendationsArgs(BaseModel):
    product: str | None = None
    rightsizing_share: float = Field(0.3, gt=0, le=1, description="Assumed share of traffic movable to a cheaper "
                                                                  "model.")
    batch_share: float = Field(0.2, gt=0, le=1, description="Assumed share of on-demand spend movable to batch.")
    batch_min_monthly_usd: float = Field(100.0, ge=0, description="Monthly on-demand USD a batch suggestion needs.")
    cache_min_monthly_tokens: float = Field(10_000_000, ge=0, description="Monthly input-side tokens a cache suggestion "
                                                                          "needs.")
    min_saving_usd: float = Field(1.0, ge=0, description="Smallest monthly saving listed.")
    top: int = Field(25, ge=1, le=200, description="Most to list.")


class Recommendation(BaseModel):
    product: str
    kind: Literal["right_size", "batch", "cache", "provisioned_throughput"]
    model: str = Field(description="The model the traffic runs on now.")
    target_model: str | None = Field(description="For right_size: the cheaper model of the same family, or the "
                                                 "step down listed for it in prices.yaml.")
    target_approved: bool | None = Field(None, description="For right_size: whether the catalog approves the target "
                                                           "for this product everywhere it uses the model now "
                                                           "(false: request access first).")
    monthly_saving_usd: float = Field(description="Estimated saving per month (30 days) in USD.")
    basis_monthly_usd: float = Field(description="Current monthly spend the recommendation concerns.")
    assumption: str = Field(description="How the saving was estimated and what it assumes.")


class Recommendations(BaseModel):
    start: date
    end: date = Field(description="Exclusive.")
    data_through: date | None
    days_of_data: int = Field(description="Days of data in the window; figures are scaled to 30 days.")
    prices_as_of: str = Field(description="Date of the list prices in ledger/data/prices.yaml.")
    notes: list[str]
    recommendations: list[Recommendation] = Field(description="Largest monthly saving first.")
    more: int = Field(description="Recommendations beyond `top`, not listed.")


class _Usage:
    """One product's use of one model over the window (tokens and USD by kind and tier)."""

    def __init__(self, product: str, model_id: str | None, billing_model: str | None) -> None:
        self.product, self.model_id, self.billing_model = product, model_id, billing_model
        self.tokens: dict[tuple[str, str], float] = {}
        self.regions: set[str] = set()  # where the traffic runs: a move's target must be current there
        self.usd: dict[tuple[str, str], float] = {}

    @property
    def label(self) -> str:
        return self.model_id or self.billing_model or "(no model)"

    def tok(self, kind: str, tier: str | None = None) -> float:
        return sum(v for (k, t), v in self.tokens.items() if k == kind and (tier is None or t == tier))

    def spend(self, kinds: tuple[str, ...], tier: str | None = None) -> float:
        return sum(v for (k, t), v in self.usd.items() if k in kinds and (tier is None or t == tier))


def _price(entry: dict, kind: str) -> float | None:
    """Price per 1K tokens of a kind; a model without a prompt cache bills cache tokens as input."""
    value = entry.get(kind)
    if value is None and kind in ("cache_read", "cache_write"):
        value = entry.get("input")
    return float(value) if value is not None else None


def _mix_cost(u: _Usage, entry: dict, mods: dict) -> float | None:
    """List cost of u's token mix at this model's prices; None if a used kind has no price."""
    total = 0.0
    for (kind, tier), tokens in u.tokens.items():
        if kind not in TOKEN_KINDS or not tokens:
            continue
        price = _price(entry, kind)
        if price is None:
            return None
        total += tokens / 1000 * price * float(mods.get(tier, 1.0) if tier in ("batch", "flex") else 1.0)
    return total


@dataclass(frozen=True)
class _Move:
    """A right-sizing recommendation (found[index]) and the text around its approval note."""

    index: int
    usage: _Usage
    target: str
    head: str
    tail: str
    recommendation: Recommendation

    def placed_at(self, index: int) -> _Move:
        return replace(self, index=index)


def _not_approved_for(ctx: ToolContext, moves: list[_Move], start: date, end: date) -> list[list[str]]:
    """For each move: the 'account region' pairs where the product uses the model now and the catalog
    does not approve the target for it (the compliance view's rule, applied to the target model).
    One query for all the moves."""
    if not moves:
        return []
    rows = ctx.store.rows(
        f"""WITH c AS (SELECT unnest(?::VARCHAR[]) AS product, unnest(?::VARCHAR[]) AS src_id,
                              unnest(?::VARCHAR[]) AS src_billing, unnest(?::VARCHAR[]) AS target,
                              unnest(?::INTEGER[]) AS move),
            d AS (SELECT DISTINCT c.move, c.product, a.account_id, a.region,
                         c.target AS model_id, c.target AS billing_model, 'input' AS kind
                  FROM c JOIN attributed_daily a ON a.product = c.product
                   AND a.model_id IS NOT DISTINCT FROM c.src_id AND a.billing_model IS NOT DISTINCT FROM c.src_billing
                  WHERE a.charge_class = 'usage' AND a.usage_date >= ? AND a.usage_date < ?)
            SELECT d.move, d.account_id || ' ' || d.region
            FROM d LEFT JOIN model_catalog mc ON mc.model_id = d.model_id
            WHERE {COMPLIANCE_SQL} <> 'approved' ORDER BY ALL""",
        [[m.usage.product for m in moves], [m.usage.model_id for m in moves],
         [m.usage.billing_model for m in moves], [m.target for m in moves], list(range(len(moves))), start, end])
    out: list[list[str]] = [[] for _ in moves]
    for move, where in rows:
        out[move].append(where)
    return out


@tool(name="recommendations", personas=RECOMMEND_PERSONAS, action="read", family="recommendations")
def recommendations(ctx: ToolContext, args: RecommendationsArgs) -> Recommendations:
    """Ways to spend less on Bedrock per product (right-sizing, batch, prompt caching), each with an estimated
    monthly saving and its assumption.

    Ways to spend less on Bedrock, per product in your scope, each with an estimated monthly saving
    in USD and its assumption spelled out. Based on the last 30 days of CUR data (scaled to 30 days if
    there is less) and list prices from ledger/data/prices.yaml (their as_of date is in the result).

    - right_size: if 30% (rightsizing_share) of a product's tokens on a model moved to the cheapest
      of: priced models of the same family (families from the model-name map) and the model's listed
      step down (prices.yaml rightsize_to, e.g. Opus -> Sonnet); saving = share x sum over token
      kinds of tokens x (current price - target price).
    - batch: a model with at least $100/month of on-demand (standard tier) input+output spend that
      batch inference supports; saving = batch discount (50%) x 20% (batch_share, an assumption) of it.
    - cache: prompt-cache hit rate (cache reads / input-side tokens) below the healthy 30% with more
      than 10M input-side tokens a month; saving = (30% - current rate) x input-side tokens x
      (input price - cache-read price). Ignores the extra cost of cache writes: an upper bound.
    - provisioned_throughput: only if prices.yaml lists a model-unit hourly price; otherwise not assessed.

    Costs are unblended usage cost; spend counts from each claim's date; unclaimed spend is not included.
    """
    ensure_views(ctx.store)
    book = _price_book(ctx)
    lookback = _lookback(ctx)
    found: list[Recommendation] = []
    moves: list[_Move] = []  # right-sizing targets, checked against the catalog in one query after the loop
    unpriced: set[str] = set()
    pt_priced = False
    for u in sorted(_usage(ctx, args, lookback).values(), key=lambda u: (u.product, u.label)):
        entry = book.entry(u)
        if entry is None:
            unpriced.add(u.label)
            continue
        move = _right_size(u, entry, book, args)
        if move is not None:
            moves.append(move.placed_at(len(found)))
            found.append(move.recommendation)
        healthy = ctx.thresholds.cache_hit_healthy
        found += [r for r in (_batch(u, entry, book, args), _cache(u, entry, book, args, healthy)) if r is not None]
        priced, pt = _provisioned(u, entry, book)
        pt_priced |= priced
        if pt is not None:
            found.append(pt)
    _mark_unapproved_targets(ctx, found, moves, lookback)
    found = [r for r in found if r.monthly_saving_usd >= args.min_saving_usd]
    found.sort(key=lambda r: (-r.monthly_saving_usd, r.product, r.kind, r.model))
    return Recommendations(start=lookback.start, end=lookback.end, data_through=lookback.through,
                           days_of_data=lookback.days, prices_as_of=book.as_of,
                           notes=_notes(book, unpriced, pt_priced, lookback.days),
                           recommendations=found[: args.top], more=max(len(found) - args.top, 0))


# ------------------------------------------------------------------------------ the steps


@dataclass(frozen=True)
class _PriceBook:
    """The shipped list prices, indexed for lookup, and the model families of the name map."""

    models: list[dict]
    modifiers: dict
    as_of: str
    by_id: dict[str, dict]
    by_billing_name: dict[str, dict]
    family_of: dict[str, str | None]
    lifecycle: lc.Lifecycle
    today: date

    def is_current(self, model_id: str, regions: set[str]) -> bool:
        """Active in every Region of the traffic: advice never points at a Legacy or retired model."""
        return self.lifecycle.is_current(model_id, sorted(regions), self.today)

    def entry(self, u: _Usage) -> dict | None:
        return self.by_id.get(u.model_id or "") or self.by_billing_name.get(u.billing_model or "")

    def family(self, entry: dict) -> str | None:
        return self.family_of.get(entry.get("model_id") or "") or entry.get("family")

    @property
    def batch_discount(self) -> float | None:
        return 1 - float(self.modifiers["batch"]) if "batch" in self.modifiers else None


def _price_book(ctx: ToolContext) -> _PriceBook:
    prices = load_prices()
    models = prices.get("models", [])
    return _PriceBook(models=models, modifiers=prices.get("modifiers") or {}, as_of=str(prices.get("as_of", "unknown")),
                      by_id={m["model_id"]: m for m in models if m.get("model_id")},
                      by_billing_name={m["billing_name"]: m for m in models if m.get("billing_name")},
                      family_of={n.model_id: n.family for n in effective_names(ctx.store)},
                      lifecycle=lc.load(ctx.store), today=ctx.today)


@dataclass(frozen=True)
class _Lookback:
    """The last 30 days of data ([start, end)), how many of them have data, and the scale to 30 days."""

    through: date
    start: date
    end: date
    days: int

    @property
    def scale(self) -> float:
        return LOOKBACK_DAYS / self.days


def _lookback(ctx: ToolContext) -> _Lookback:
    through = data_through(ctx.store, ctx.today)
    if through is None:
        raise ToolError("there is no Bedrock usage in the store yet")
    start = through - timedelta(days=LOOKBACK_DAYS - 1)
    end = through + timedelta(days=1)
    first = ctx.store.scalar("SELECT min(usage_date) FROM usage_daily WHERE charge_class = 'usage'")
    return _Lookback(through=through, start=start, end=end, days=(end - max(start, first)).days)


def _usage(ctx: ToolContext, args: RecommendationsArgs, lookback: _Lookback) -> dict[tuple, _Usage]:
    """Each product's use of each model in the caller's scope, scaled to 30 days."""
    scope_sql, params = product_clause(ctx.caller)
    where = f"{scope_sql} AND product IS NOT NULL AND charge_class = 'usage'"
    if args.product:
        where += " AND product = ?"
        params = [*params, require_product(ctx, args.product)]
    rows = ctx.store.rows(
        f"""SELECT product, model_id, billing_model, kind, tier, region, coalesce(sum(tokens), 0), sum(unblended_cost)
            FROM attributed_daily WHERE {where} AND usage_date >= ? AND usage_date < ?
              AND (model_id IS NOT NULL OR billing_model IS NOT NULL)
            GROUP BY ALL""",
        [*params, lookback.start, lookback.end])
    usages: dict[tuple, _Usage] = {}
    for product, model_id, billing, kind, tier, region, tokens, usd in rows:
        u = usages.setdefault((product, model_id, billing), _Usage(product, model_id, billing))
        u.regions.add(region)
        u.tokens[(kind, tier)] = u.tokens.get((kind, tier), 0.0) + tokens * lookback.scale
        u.usd[(kind, tier)] = u.usd.get((kind, tier), 0.0) + usd * lookback.scale
    return usages


def _right_size(u: _Usage, entry: dict, book: _PriceBook, args: RecommendationsArgs) -> _Move | None:
    """The cheapest priced model of the same family, or the curated step down (prices.yaml
    rightsize_to), for this token mix."""
    family, step_down = book.family_of.get(u.model_id or "") or entry.get("family"), entry.get("rightsize_to")
    current = _mix_cost(u, entry, book.modifiers)
    if not (family or step_down) or not current:
        return None
    options = [(cost, m) for m in book.models
               if m.get("model_id") != entry.get("model_id")
               and ((family and book.family(m) == family) or (step_down and m.get("model_id") == step_down))
               and book.is_current(m.get("model_id") or "", u.regions)
               and (cost := _mix_cost(u, m, book.modifiers)) is not None]
    if not options:
        return None
    cost, target = min(options, key=lambda o: o[0])
    saving = args.rightsizing_share * (current - cost)
    if saving <= 0:
        return None
    why = ("the step down listed for it in prices.yaml" if target.get("model_id") == step_down
           else f"the cheapest priced model of the {family} family")
    head = f"If {args.rightsizing_share:.0%} of this model's tokens moved to {target.get('name', target['model_id'])}, {why}"
    tail = (f": {args.rightsizing_share:.0%} x ({money(current)} - {money(cost)}) a month at list "
            f"prices as of {book.as_of}. Assumes the smaller model handles that traffic at the same token counts.")
    recommendation = Recommendation(
        product=u.product, kind="right_size", model=u.label, target_model=target["model_id"],
        target_approved=True,  # unless the catalog check after the loop finds otherwise
        monthly_saving_usd=round(saving, 2), basis_monthly_usd=round(u.spend(TOKEN_KINDS), 2),
        assumption=head + tail)
    return _Move(-1, u, target["model_id"], head, tail, recommendation)


def _batch(u: _Usage, entry: dict, book: _PriceBook, args: RecommendationsArgs) -> Recommendation | None:
    """On-demand input/output spend that could tolerate asynchronous processing."""
    on_demand = u.spend(("input", "output"), tier="standard")
    discount = book.batch_discount
    if not discount or entry.get("batch", True) is False or on_demand < args.batch_min_monthly_usd:
        return None
    return Recommendation(
        product=u.product, kind="batch", model=u.label, target_model=None,
        monthly_saving_usd=round(discount * args.batch_share * on_demand, 2), basis_monthly_usd=round(on_demand, 2),
        assumption=(f"Assumes {args.batch_share:.0%} of {money(on_demand)} monthly on-demand input+output "
                    f"spend could run as batch inference at a {discount:.0%} discount "
                    f"(prices.yaml modifiers.batch): {discount:.0%} x {args.batch_share:.0%} x "
                    f"{money(on_demand)}. The {args.batch_share:.0%} share is an assumption, not measured; "
                    "batch suits work that can wait up to 24 hours."))


def _cache(u: _Usage, entry: dict, book: _PriceBook, args: RecommendationsArgs,
           healthy: float) -> Recommendation | None:
    """Input tokens moved to cache reads, up to the healthy hit rate."""
    side = u.tok("input") + u.tok("cache_read") + u.tok("cache_write")
    p_in, p_read = entry.get("input"), entry.get("cache_read")
    if side <= args.cache_min_monthly_tokens or p_in is None or p_read is None:
        return None
    rate = u.tok("cache_read") / side
    if rate >= healthy:
        return None
    saving = (healthy - rate) * side / 1000 * (float(p_in) - float(p_read))
    return Recommendation(
        product=u.product, kind="cache", model=u.label, target_model=None,
        monthly_saving_usd=round(saving, 2), basis_monthly_usd=round(u.spend(("input",)), 2),
        assumption=(f"Cache hit rate {rate:.1%} (cache reads / input-side tokens) against a healthy "
                    f"{healthy:.0%}: ({healthy:.0%} - {rate:.1%}) x {side / 1e6:,.1f}M input-side "
                    f"tokens a month x (input ${float(p_in) * 1000:g} - cache read "
                    f"${float(p_read) * 1000:g} per 1M) at list prices as of {book.as_of}. Ignores the "
                    "extra cost of cache writes, so it is an upper bound."))


def _provisioned(u: _Usage, entry: dict, book: _PriceBook) -> tuple[bool, Recommendation | None]:
    """Provisioned throughput break-even, only with a listed model-unit price: (priced, recommendation)."""
    hourly = next((entry[k] for k in PT_PRICE_KEYS if entry.get(k) is not None), None)
    if hourly is None:
        return False, None
    token_usd = u.spend(TOKEN_KINDS)
    pt_month = float(hourly) * HOURS_PER_MONTH
    if token_usd <= pt_month:
        return True, None
    return True, Recommendation(
        product=u.product, kind="provisioned_throughput", model=u.label, target_model=None,
        monthly_saving_usd=round(token_usd - pt_month, 2), basis_monthly_usd=round(token_usd, 2),
        assumption=(f"On-demand spend {money(token_usd)} a month exceeds one model unit at "
                    f"${float(hourly):g}/hour x {HOURS_PER_MONTH} hours = {money(pt_month)} "
                    f"(prices.yaml as of {book.as_of}). Assumes one model unit carries the traffic; check "
                    "the throughput and the commitment term before buying."))


def _mark_unapproved_targets(ctx: ToolContext, found: list[Recommendation], moves: list[_Move],
                             lookback: _Lookback) -> None:
    """A right-sizing target the catalog does not approve where the product runs says so."""
    for move, where in zip(moves, _not_approved_for(ctx, moves, lookback.start, lookback.end)):
        if where:
            found[move.index] = found[move.index].model_copy(update={
                "target_approved": False,
                "assumption": (f"{move.head}. Not approved for {move.usage.product} in {', '.join(where)} yet: "
                               f"request access first, or the move would be drift{move.tail}")})


def _notes(book: _PriceBook, unpriced: set[str], pt_priced: bool, days: int) -> list[str]:
    notes: list[str] = []
    if not pt_priced:
        notes.append(f"Provisioned throughput not assessed: no PT price data in prices.yaml (as of {book.as_of}).")
    if unpriced:
        notes.append("No list price for: " + ", ".join(sorted(unpriced)) + "; not assessed.")
    if days < LOOKBACK_DAYS:
        notes.append(f"Only {days} day(s) of data; monthly figures are scaled to 30 days.")
    return notes
