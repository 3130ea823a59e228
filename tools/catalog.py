"""The model catalog: what is approved, restricted or blocked where, what the CUR shows in use
without a review, and whether one model may be used in one account and region."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import NOT_A_MODEL_SQL, UNREVIEWED_SQL, ensure_views, per_snapshot
from ledger.model_names import clean_billing_name, effective_names
from ledger.prices import display_names
from ledger.store import Store
from tools.context import ToolContext
from tools.errors import ScopeError, ToolError
from tools.caller import Caller
from tools.scope import all_products, implements_everything, product_clause, require_product, text_about
from tools.declare import ALL_PERSONAS, tool

SEEN_DAYS = 90
Verdict = Literal["approved", "restricted_to_others", "blocked", "unreviewed", "approved_elsewhere"]
_ACCOUNT_ID = re.compile(r"^\d{12}$")


# ------------------------------------------------------------------------------ shared helpers

def model_labels(store: Store) -> dict[str, str]:
    """Model id -> a readable name ('Claude Opus 4.6', 'Amazon Nova Micro'): the name prices.yaml
    gives it, else a spaced Marketplace name, else the first billing name."""
    return dict(per_snapshot(store, ("model_labels",), lambda: _model_labels(store)))


def _model_labels(store: Store) -> dict[str, str]:
    labels: dict[str, str] = {}
    for n in effective_names(store):
        current = labels.get(n.model_id)
        if current is None or (" " in n.billing_name and " " not in current):
            labels[n.model_id] = n.billing_name
    labels.update({k: v for k, v in display_names().items() if k in labels})
    return labels


@dataclass(frozen=True)
class Redactor:
    """What of the catalog a caller may see named. Product Owners and Portfolio Managers see the
    products in their scope and the accounts whose unattributed spend they see or their products'
    spend runs in; others are counted, and scrubbed from free text such as a rationale. FinOps
    Leads, and Cloud Engineers (who implement the catalog), see everything."""

    products: frozenset[str] | None = None  # None: all
    accounts: frozenset[str] | None = None
    hidden: tuple[tuple[str, str], ...] = ()  # (name, replacement) for free text
    caller: Caller | None = None  # None: free text is shown as written

    @classmethod
    def for_caller(cls, ctx: ToolContext) -> Redactor:
        caller = ctx.caller
        if implements_everything(caller):
            return cls()
        ensure_views(ctx.store)
        scope_sql, params = product_clause(caller)
        used = ctx.store.rows(
            f"SELECT DISTINCT account_id FROM attributed_daily WHERE product IS NOT NULL AND {scope_sql}", params)
        accounts = caller.accounts | {r[0] for r in used}
        hidden = [(n, "[another product]") for n in all_products(ctx.store) if n not in caller.products]
        for account_id, name in ctx.store.rows("SELECT account_id, name FROM accounts"):
            if account_id not in accounts:
                hidden += [(account_id, "[another account]")] + ([(name, "[another account]")] if name else [])
        hidden.sort(key=lambda h: -len(h[0]))  # longest first: 'HR Portal' before 'HR'
        return cls(products=caller.products, accounts=accounts, hidden=tuple(hidden), caller=caller)

    def split(self, names: list[str], kind: Literal["product", "account"]) -> tuple[list[str], int]:
        """The names the caller may see, and how many others there are."""
        visible = self.products if kind == "product" else self.accounts
        if visible is None:
            return list(names), 0
        shown = [n for n in names if n in visible]
        return shown, len(names) - len(shown)

    def rationale(self, value: str, products: list[str]) -> str:
        """A catalog entry's rationale: withheld when the entry concerns only products the caller cannot
        see, else with the names they may not see scrubbed."""
        return self.text(text_about(self.caller, products, value) or "") if self.caller else value

    def text(self, value: str) -> str:
        for name, replacement in self.hidden:
            value = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", replacement, value, flags=re.IGNORECASE)
        return value


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def names_text(shown: list[str], others: int, word: str) -> str:
    """'Fraud', 'Fraud and 1 other product', '2 other products'."""
    parts = list(shown)
    if others:
        parts.append(plural(others, f"other {word}"))
    if not parts:
        return f"no {word}s"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def where_text(accounts: list[str], other_accounts: int, regions: list[str]) -> str:
    """'accounts 111111111111 and 1 other account, region us-east-1'."""
    n = len(accounts) + other_accounts
    if not n:
        accts = "all accounts"
    elif not accounts:
        accts = plural(n, "other account")
    else:
        accts = ("account " if n == 1 else "accounts ") + names_text(accounts, other_accounts, "account")
    regs = "all regions" if not regions else ("region " if len(regions) == 1 else "regions ") + ", ".join(regions)
    return f"{accts}, {regs}"


# ------------------------------------------------------------------------------ model_catalog

class CatalogArgs(BaseModel):
    state: Literal["approved", "restricted", "blocked", "unreviewed", "unmapped"] | None = Field(
        None, description="Only this state (unreviewed, unmapped: models in the CUR without a "
                          "catalog entry, without a model id).")
    model: str | None = Field(None, description="Text in the model id, name or billing name.")


class CatalogEntry(BaseModel):
    model_id: str
    name: str = Field(description="Readable model name.")
    state: Literal["approved", "restricted", "blocked"]
    accounts: list[str] = Field(description="Accounts the decision covers; empty with other_accounts 0 = all.")
    other_accounts: int = Field(0, description="Accounts in the decision outside your scope, not named.")
    regions: list[str] = Field(description="Regions the decision covers; empty = all.")
    action_scope: str = Field(description="inference_only | agentic_read_only | agentic_read_write")
    products: list[str] = Field(description="Restricted models: the products allowed (those in your scope).")
    other_products: int = Field(0, description="Allowed products outside your scope, not named.")
    rationale: str
    decided_by: str
    decided_on: date | None


class SeenModel(BaseModel):
    model_id: str | None = Field(description="None for a billing name that maps to no model id.")
    name: str
    billing_names: list[str]
    usd: float | None = Field(None, description="FinOps Lead only: unblended usage cost in the window.")
    tokens: float | None = Field(None, description="FinOps Lead only.")
    accounts: list[str] | None = Field(None, description="FinOps Lead only.")
    first_seen: date | None = Field(None, description="FinOps Lead only.")
    last_seen: date | None = Field(None, description="FinOps Lead only.")


class ModelCatalog(BaseModel):
    entries: list[CatalogEntry]
    unreviewed: list[SeenModel] = Field(description="Models in the CUR with no catalog entry.")
    unmapped: list[SeenModel] = Field(description="Billing names in the CUR that map to no model id.")
    seen_start: date
    seen_end: date = Field(description="Exclusive.")
    summary: str


def _matches(text: str | None, *values: str | None) -> bool:
    if not text:
        return True
    wanted = text.strip().casefold()
    return any(v and wanted in v.casefold() for v in values)


def _seen_models(ctx: ToolContext, start: date, end: date) -> list[dict]:
    """Models in use org-wide with no catalog entry (or no model id), from the rollup. Straight
    from usage_daily: the rule needs only the catalog, not the attribution joins of usage_compliance.
    The same for every caller (figures are dropped afterwards for those who may not see them)."""
    return per_snapshot(ctx.store, ("seen_models", start, end), lambda: ctx.store.dicts(
        f"""SELECT d.model_id, list(DISTINCT d.billing_model ORDER BY d.billing_model)
                    FILTER (WHERE d.billing_model IS NOT NULL) AS billing_names,
                  sum(d.unblended_cost) AS usd, coalesce(sum(d.tokens), 0) AS tokens,
                  list(DISTINCT d.account_id ORDER BY d.account_id) AS accounts,
                  min(d.usage_date) AS first_seen, max(d.usage_date) AS last_seen
           FROM usage_daily d LEFT JOIN model_catalog mc ON mc.model_id = d.model_id
           WHERE NOT {NOT_A_MODEL_SQL} AND {UNREVIEWED_SQL} AND d.charge_class = 'usage'
             AND d.usage_date >= ? AND d.usage_date < ?
           GROUP BY d.model_id ORDER BY usd DESC, d.model_id""", [start, end]))


@tool(name="model_catalog", personas=ALL_PERSONAS, action="read", family="catalog")
def model_catalog(ctx: ToolContext, args: CatalogArgs) -> ModelCatalog:
    """The Bedrock model catalog (approved, restricted or blocked, for which accounts and regions, and why), plus
    models in the CUR it lacks.

    The Bedrock model catalog: every entry with its state (approved / restricted / blocked), the
    accounts and regions it covers (empty = all), its action scope (inference_only by default;
    agentic scopes are separate approvals), rationale, who decided and when, and for restricted models
    the products allowed. Also lists models seen in the CUR in the last 90 days up to today that have
    no catalog entry ('unreviewed'), and billing names that map to no model id ('unmapped').

    Product Owners and Portfolio Managers see product and account names in their scope only; others
    are counted (other_products, other_accounts). Cloud Engineers, who implement the catalog, see full
    entries. Usage figures (unblended usage cost in USD, tokens) of unreviewed models: FinOps Lead only.
    Optional filters: state, model (text in the id or name).
    """
    labels = model_labels(ctx.store)
    redactor = Redactor.for_caller(ctx)
    entries: list[CatalogEntry] = []
    if args.state in (None, "approved", "restricted", "blocked"):
        for mid, state, products, accounts, regions, scope, rationale, by, on in ctx.store.rows(
                "SELECT model_id, state, products, accounts, regions, action_scope, rationale, decided_by, "
                "decided_on FROM model_catalog WHERE ? IS NULL OR state = ? ORDER BY position",
                [args.state, args.state]):
            name = labels.get(mid, mid)
            if not _matches(args.model, mid, name):
                continue
            shown_p, other_p = redactor.split(products or [], "product")
            shown_a, other_a = redactor.split(accounts or [], "account")
            entries.append(CatalogEntry(model_id=mid, name=name, state=state, accounts=shown_a,
                                        other_accounts=other_a, regions=regions or [], action_scope=scope,
                                        products=shown_p, other_products=other_p,
                                        rationale=redactor.rationale(rationale, products or []), decided_by=by, decided_on=on))
    end = ctx.today + timedelta(days=1)
    start = end - timedelta(days=SEEN_DAYS)
    figures = ctx.caller.all_access
    unreviewed: list[SeenModel] = []
    unmapped: list[SeenModel] = []
    if args.state in (None, "unreviewed", "unmapped"):
        for r in _seen_models(ctx, start, end):
            billing = r["billing_names"] or []
            name = labels.get(r["model_id"]) or (billing or [r["model_id"]])[0]
            if not _matches(args.model, r["model_id"], name, *billing):
                continue
            seen = SeenModel(model_id=r["model_id"], name=name, billing_names=billing)
            if figures:
                seen = seen.model_copy(update={"usd": round(r["usd"], 2), "tokens": r["tokens"],
                                               "accounts": r["accounts"], "first_seen": r["first_seen"],
                                               "last_seen": r["last_seen"]})
            (unreviewed if r["model_id"] else unmapped).append(seen)
        if args.state == "unreviewed":
            unmapped = []
        elif args.state == "unmapped":
            unreviewed = []
    return ModelCatalog(entries=entries, unreviewed=unreviewed, unmapped=unmapped, seen_start=start,
                        seen_end=end, summary=_catalog_summary(entries, unreviewed, unmapped))


def _catalog_summary(entries: list[CatalogEntry], unreviewed: list[SeenModel],
                     unmapped: list[SeenModel]) -> str:
    counts = {s: sum(e.state == s for e in entries) for s in ("approved", "restricted", "blocked")}
    text = plural(len(entries), "catalog entry", "catalog entries")
    if entries:
        text += " (" + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + ")"
    if unreviewed:
        text += (f"; {plural(len(unreviewed), 'model')} seen in the last {SEEN_DAYS} days "
                 f"{'has' if len(unreviewed) == 1 else 'have'} no catalog entry (unreviewed): "
                 + ", ".join(m.name for m in unreviewed))
    if unmapped:
        text += (f"; {plural(len(unmapped), 'billing name')} {'maps' if len(unmapped) == 1 else 'map'} to "
                 "no model id (unmapped): "
                 + ", ".join(m.name for m in unmapped))
    return text + "."


# ------------------------------------------------------------------------------ model_status

class ModelStatusArgs(BaseModel):
    model: str = Field(description="Model id, name or billing name.")
    account: str = Field(description="12-digit account id or account name.")
    region: str
    product: str | None = Field(None, description="The product that would use it; needed for a restricted model.")


class ModelStatus(BaseModel):
    model_id: str | None = Field(description="None when the name maps to no model id (unmapped).")
    name: str
    account_id: str
    region: str
    product: str | None
    verdict: Verdict
    allowed: bool = Field(description="True only for 'approved'.")
    state: Literal["approved", "restricted", "blocked"] | None = Field(description="Catalog state; None: no entry.")
    action_scope: str | None
    approved_accounts: list[str] = Field(description="Accounts the entry covers (in your scope); empty "
                                                     "with other_accounts 0 = all.")
    other_accounts: int = 0
    approved_regions: list[str] = Field(description="Empty = all.")
    allowed_products: list[str] = Field(description="Restricted models: allowed products in your scope.")
    other_products: int = 0
    rationale: str | None
    decided_by: str | None
    decided_on: date | None
    answer: str


def resolve_model(ctx: ToolContext, text: str, labels: dict[str, str]) -> tuple[str | None, str]:
    """(model id, readable name) for an id, a readable name or a billing name."""
    wanted = text.strip().casefold()
    catalog_ids = [r[0] for r in ctx.store.rows("SELECT model_id FROM model_catalog")]
    for mid in [*catalog_ids, *labels]:
        if mid.casefold() == wanted:
            return mid, labels.get(mid, mid)
    for n in effective_names(ctx.store):
        if clean_billing_name(n.billing_name).casefold() == clean_billing_name(text).casefold():
            return n.model_id, labels.get(n.model_id, n.billing_name)
    if "." in wanted:  # looks like a model id Steward has no name for
        return text.strip(), text.strip()
    return None, text.strip()


def _resolve_account(ctx: ToolContext, text: str, visible: frozenset[str] | None) -> str:
    """An account id, from an id or an account name; a scoped caller may name only accounts in scope."""
    value = text.strip()
    ids = [value] if _ACCOUNT_ID.match(value) else [r[0] for r in ctx.store.rows(
        "SELECT account_id FROM accounts WHERE lower(name) = lower(?) ORDER BY position", [value])]
    if visible is None:
        if ids:
            return ids[0]
        raise ToolError(f"'{value}' is not a 12-digit account id or the name of an account in the registry")
    for account_id in ids:
        if account_id in visible:
            return account_id
    raise ScopeError("account", value)


@tool(name="model_status", personas=ALL_PERSONAS, action="read", family="catalog")
def model_status(ctx: ToolContext, args: ModelStatusArgs) -> ModelStatus:
    """Whether the catalog lets a model be used in an account and region (for a product), and why.

    Can model X be used in account A and region R (for product P)? Returns the verdict from the
    model catalog: approved; restricted_to_others (restricted to other products, or no product named);
    blocked; unreviewed (no catalog entry, or a billing name with no model id); approved_elsewhere
    (approved, but not for this account or region). With the entry's rationale, action scope
    (inference_only unless an agentic scope was approved) and who decided. The product, when given,
    must be in your scope; product and account names outside your scope are counted, not named.
    """
    labels = model_labels(ctx.store)
    product = require_product(ctx, args.product) if args.product else None
    redactor = Redactor.for_caller(ctx)
    account = _resolve_account(ctx, args.account, redactor.accounts)
    region = args.region.strip().lower()
    if not region:
        raise ToolError("give a region, e.g. us-east-1")
    model_id, name = resolve_model(ctx, args.model, labels)
    rows = ctx.store.rows(
        "SELECT state, products, accounts, regions, action_scope, rationale, decided_by, decided_on "
        "FROM model_catalog WHERE model_id = ?", [model_id]) if model_id else []
    base = {"model_id": model_id, "name": name, "account_id": account, "region": region, "product": product}
    if not rows:
        why = ("it is not a model id or billing name Steward knows" if model_id is None
               else "it has no entry in the model catalog")
        return ModelStatus(**base, verdict="unreviewed", allowed=False, state=None, action_scope=None,
                           approved_accounts=[], approved_regions=[], allowed_products=[], rationale=None,
                           decided_by=None, decided_on=None,
                           answer=f"No: {name} is unreviewed: {why}. Ask a FinOps Lead to review it "
                                  "before using it.")
    state, products, accounts, regions, scope, rationale, by, on = rows[0]
    products, accounts, regions = products or [], accounts or [], regions or []
    rationale = redactor.rationale(rationale, products)
    said = (rationale or "").rstrip(". ")  # in the answer's own sentence, which ends with its period
    shown_p, other_p = redactor.split(products, "product")
    shown_a, other_a = redactor.split(accounts, "account")
    where_ok = (not accounts or account in accounts) and (not regions or region in regions)
    if state == "blocked":
        verdict: Verdict = "blocked"
        answer = f"No: {name} is blocked in the catalog. Rationale: {said}."
    elif state == "restricted" and (product is None or product not in products):
        verdict = "restricted_to_others"
        tail = "; name your product to check whether it is one of them" if product is None else f", not {product}"
        answer = f"No: {name} is restricted to {names_text(shown_p, other_p, 'product')}{tail}. Rationale: {said}."
    elif not where_ok:
        verdict = "approved_elsewhere"
        answer = (f"Not here: {name} is approved only in {where_text(shown_a, other_a, regions)}, "
                  f"not in {account} {region}. Rationale: {said}.")
    else:
        verdict = "approved"
        answer = (f"Yes: {name} is approved in {account} {region}"
                  + (f" for {product}" if product else "") + f", action scope {scope}. Rationale: {said}.")
    return ModelStatus(**base, verdict=verdict, allowed=verdict == "approved", state=state, action_scope=scope,
                       approved_accounts=shown_a, other_accounts=other_a, approved_regions=regions,
                       allowed_products=shown_p, other_products=other_p, rationale=rationale,
                       decided_by=by, decided_on=on, answer=answer)
