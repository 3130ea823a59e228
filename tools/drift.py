"""Model drift: Bedrock usage of models the catalog has not approved for that account, region and
product, with who used them and who owns that product."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger.attribution import ensure_views
from ledger.principals import principal_type, role_name
from tools.catalog import Redactor, model_labels, names_text, resolve_model, where_text
from tools.context import ToolContext
from tools.periods import Window, WindowArgs, data_through, upto, window
from tools.scope import account_clause, product_clause, require_product
from tools.display import look_alike, money
from tools.lifecycle import LifecycleLine, lifecycle_lines, line_text
from tools.spend import SPEND_PERSONAS
from tools.declare import tool

Compliance = Literal["unreviewed", "blocked", "restricted_to_others", "approved_elsewhere"]
DRIFT = ("unreviewed", "blocked", "restricted_to_others", "approved_elsewhere")
_SHORT = {"unreviewed": "unreviewed", "blocked": "blocked", "restricted_to_others": "restricted to other products",
          "approved_elsewhere": "not approved in this account or region"}
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


class DriftArgs(WindowArgs):
    product: str | None = Field(None, description="Also covers its principals' spend before their claim.")
    model: str | None = Field(None, description="Model id, name or billing name.")


class DriftLine(BaseModel):
    principal: str
    principal_type: str
    look_alike: bool = Field(False, description="The principal carries hidden characters (controls, bidirectional "
                                                "overrides, zero-width): it may pass for another; shown escaped.")
    model: str = Field(description="Model id, or the billing name when it maps to no model id.")
    model_name: str
    model_id: str | None
    catalog_state: str | None = Field(description="approved | restricted | blocked; None: no catalog entry.")
    compliance: Compliance
    reason: str = Field(description="Why this use is outside the catalog, in words.")
    account_id: str
    account_name: str | None
    region: str
    tokens: float
    usd: float
    days_seen: int
    first_day: date
    last_day: date


class ClaimedDrift(DriftLine):
    product: str
    product_owners: list[str] = Field(description="The product's Product Owners (names).")


class UnattributedDrift(DriftLine):
    attribution: Literal["unclaimed", "before_claim", "no_principal"]
    claimed_on: date | None
    claimed_for: str | None = Field(description="before_claim: the product it was later claimed for, "
                                                "when that product is in your scope.")


class ModelDrift(BaseModel):
    period: str
    start: date
    end: date = Field(description="Exclusive.")
    data_through: date | None
    claimed: list[ClaimedDrift] = Field(description="Drift attributed to products in your scope, largest first.")
    unattributed: list[UnattributedDrift] = Field(
        description="Drift by unclaimed principals, or before a claim's date, in accounts you see.")
    models: int = Field(description="Distinct models with drift.")
    total_usd: float
    past_eol: list[LifecycleLine] = Field(
        default_factory=list, description="Use of models past end of life where they ran: drift even where the "
                                          "catalog approved them (calls fail). Not counted in models / total_usd.")
    past_eol_usd: float = 0.0
    summary: str


_COLUMNS = """d.principal, coalesce(d.model_id, d.billing_model) AS model, d.model_id, min(d.billing_model) AS billing,
              d.catalog_state, d.compliance, d.account_id, d.account_name, d.region,
              coalesce(sum(d.tokens), 0) AS tokens, sum(d.unblended_cost) AS usd,
              count(DISTINCT d.usage_date) AS days, min(d.usage_date) AS first_day, max(d.usage_date) AS last_day"""


def _drift_rows(ctx: ToolContext, args: DriftArgs, w: Window, labels: dict[str, str]) -> list[dict]:
    """One scan for both lists: claimed use within the caller's products, and unattributed use in the
    accounts the caller can see (each list scoped by its own clause)."""
    base = "d.charge_class = 'usage' AND list_contains(?::VARCHAR[], d.compliance) AND d.usage_date >= ? " \
           "AND d.usage_date < ?"
    base_params: list = [list(DRIFT), w.start, upto(w, ctx.today)]
    if args.model:
        model_id, _ = resolve_model(ctx, args.model, labels)
        base += " AND (d.model_id = ? OR d.billing_model = ?)"
        base_params += [model_id or args.model.strip(), args.model.strip()]
    product = require_product(ctx, args.product) if args.product else None
    scope_sql, scope_params = product_clause(ctx.caller, "d.product")
    acct_sql, acct_params = account_clause(ctx.caller, "d.account_id")
    later_sql, later_params = product_clause(ctx.caller, "d.claimed_product")
    return ctx.store.dicts(
        f"""SELECT d.attribution, d.product, d.claimed_on,
                   CASE WHEN d.attribution <> 'claimed' AND {later_sql} THEN d.claimed_product END AS claimed_for,
                   {_COLUMNS} FROM usage_compliance d
            WHERE {base}
              AND ((d.attribution = 'claimed' AND {scope_sql} {"AND d.product = ?" if product else ""})
                OR (d.attribution <> 'claimed' AND {acct_sql} {"AND d.claimed_product = ?" if product else ""}))
            GROUP BY ALL ORDER BY usd DESC, d.principal, model""",
        [*later_params, *base_params, *scope_params, *([product] if product else []),
         *acct_params, *([product] if product else [])])


@tool(name="model_drift", personas=SPEND_PERSONAS, action="read", family="drift")
def model_drift(ctx: ToolContext, args: DriftArgs) -> ModelDrift:
    """Bedrock use of models the catalog has not approved for that account, region and product, per principal and
    product, with cost.

    Are Bedrock models in use that the catalog has not approved for that account, region and
    product? Lists each use: principal, product and its Product Owner(s), model, catalog state, the
    reason in words (unreviewed: no catalog entry or an unmapped billing name; blocked; restricted to
    other products; approved_elsewhere: approved but not in this account or region), account, region,
    tokens, cost, days seen, first and last day. Usage by unclaimed principals, or before a claim's
    date, is a separate list.

    Defaults: the current month; unblended usage cost in USD (credits, refunds and taxes excluded);
    end date exclusive. Product Owners see drift of their products, Portfolio Managers of their
    portfolios' products, a FinOps Lead all; the unattributed list covers the accounts you own (FinOps:
    all). Product and account names outside your scope are counted, not named.
    """
    ensure_views(ctx.store)
    w = window(args.start, args.end, args.month, ctx.today)
    through = data_through(ctx.store, min(ctx.today, w.end - timedelta(days=1)))
    labels = model_labels(ctx.store)
    rows = _drift_rows(ctx, args, w, labels)
    claimed_rows = [r for r in rows if r["attribution"] == "claimed"]
    loose_rows = [r for r in rows if r["attribution"] != "claimed"]

    redactor = Redactor.for_caller(ctx)
    catalog = {r[0]: r[1:] for r in ctx.store.rows(
        "SELECT model_id, products, accounts, regions, rationale FROM model_catalog")}
    owners = _owners(ctx, sorted({r["product"] for r in claimed_rows}))

    def common(r: dict, product: str | None) -> dict:
        return dict(principal=r["principal"], principal_type=principal_type(r["principal"]),
                    look_alike=look_alike(r["principal"]), model=r["model"],
                    model_name=labels.get(r["model_id"]) or r["model"], model_id=r["model_id"],
                    catalog_state=r["catalog_state"], compliance=r["compliance"],
                    reason=_reason(r, product, catalog.get(r["model_id"]), redactor),
                    account_id=r["account_id"], account_name=r["account_name"], region=r["region"],
                    tokens=r["tokens"], usd=round(r["usd"], 2), days_seen=r["days"], first_day=r["first_day"],
                    last_day=r["last_day"])

    claimed = [ClaimedDrift(**common(r, r["product"]), product=r["product"],
                            product_owners=owners.get(r["product"], [])) for r in claimed_rows]
    loose = [UnattributedDrift(**common(r, None), claimed_on=r["claimed_on"], claimed_for=r["claimed_for"],
                               attribution="no_principal" if r["principal"] == "unknown" else r["attribution"])
             for r in loose_rows]
    result = ModelDrift(period=w.label, start=w.start, end=w.end, data_through=through, claimed=claimed,
                        unattributed=loose, models=len({x.model for x in [*claimed, *loose]}),
                        total_usd=round(sum(r["usd"] for r in [*claimed_rows, *loose_rows]), 2), summary="")
    product = require_product(ctx, args.product) if args.product else None
    wanted = resolve_model(ctx, args.model, labels)[0] if args.model else None
    result.past_eol = [x for x in lifecycle_lines(ctx, w.start, upto(w, ctx.today), product)
                       if x.status == "eol" and (args.model is None or x.model_id == wanted)]
    result.past_eol_usd = round(sum(x.usd for x in result.past_eol), 2)
    result.summary = _summary(ctx, result) + _eol_sentence(result)
    return result


def _eol_sentence(d: ModelDrift) -> str:
    if not d.past_eol:
        return ""
    lead = " Also in use" if d.models else " But in use"
    return (f"{lead}, past end of life (drift even where approved, {money(d.past_eol_usd)}): "
            + "; ".join(line_text(x) for x in d.past_eol) + ".")


def _owners(ctx: ToolContext, products: list[str]) -> dict[str, list[str]]:
    """Product -> the names of its Product Owners (only for products already in scope)."""
    out: dict[str, list[str]] = defaultdict(list)
    for product, name in ctx.store.rows(
            """SELECT r.node_name, coalesce(p.name, p.email) FROM person_roles r JOIN people p ON p.email = r.email
               WHERE r.persona = 'product_owner' AND r.node_kind = 'product'
                 AND list_contains(?::VARCHAR[], r.node_name)
               ORDER BY p.position, r.scope_index""", [products]):
        out[product].append(name)
    return out


def _reason(r: dict, product: str | None, entry: tuple | None, redactor: Redactor) -> str:
    if r["compliance"] == "unreviewed":
        if r["model_id"] is None:
            return f"billing name {r['billing']} maps to no model id, so it has not been reviewed"
        return "not in the model catalog (unreviewed)"
    products, accounts, regions, rationale = entry if entry else ([], [], [], "")
    rationale = redactor.rationale(rationale, products or [])
    if r["compliance"] == "blocked":
        return f"blocked in the catalog: {rationale}"
    if r["compliance"] == "restricted_to_others":
        allowed = names_text(*redactor.split(products or [], "product"), "product")
        who = f"not {product}" if product else "this usage is attributed to no product"
        return f"restricted to {allowed}; {who}"
    shown, others = redactor.split(accounts or [], "account")
    return f"approved only in {where_text(shown, others, regions or [])}; used in {r['account_id']} {r['region']}"


def _who(line: DriftLine) -> str:
    short = {"role": f"{role_name(line.principal)} role",
             "user": f"{line.principal.rsplit('/', 1)[-1]} user",
             "api_key": f"API key {line.principal.rsplit('/', 1)[-1]}"}.get(line.principal_type, line.principal)
    if isinstance(line, ClaimedDrift):
        owners = " and ".join(line.product_owners) or "no Product Owner"
        return f"the {short} ({line.product}, {owners})"
    if line.attribution == "no_principal":
        return "usage with no principal in the CUR"
    if line.attribution == "before_claim":
        return f"the {short} before its claim on {line.claimed_on:%d %b %Y}"
    return f"an unclaimed {short}"


def _summary(ctx: ToolContext, d: ModelDrift) -> str:
    where = "" if ctx.caller.all_access else " in your scope"
    if not d.models:
        return f"No: no model use outside the catalog's approvals{where} in {d.period}."
    by_model: dict[str, list[DriftLine]] = defaultdict(list)
    for line in sorted([*d.claimed, *d.unattributed], key=lambda x: -x.usd):
        by_model[line.model].append(line)
    count = _WORDS[d.models] if d.models < len(_WORDS) else str(d.models)
    head = (f"Yes: {count} model{' is' if d.models == 1 else 's are'} in use outside "
            f"{'its approval' if d.models == 1 else 'their approvals'}{where} in {d.period}")
    parts = []
    for lines in sorted(by_model.values(), key=lambda ls: -sum(x.usd for x in ls)):
        uses = "; ".join(f"{_who(x)}, account {x.account_name or x.account_id} ({x.account_id}) {x.region}, "
                         f"{money(x.usd)}" for x in lines)
        parts.append(f"{lines[0].model_name} ({_SHORT[lines[0].compliance]}): {uses}")
    return head + ". " + ". ".join(parts) + "."
