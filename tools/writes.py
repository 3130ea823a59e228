"""Write tools: the decisions people make through Steward, written straight into the registry.

Product Owners claim principals, set estimates, request model access and approve spend cards; the
FinOps Lead decides on models and pauses or resumes products (agentic: each creates engineer tasks
with the exact AWS CLI command). toolset.call runs each in one transaction with its audit entry.
The registry tables are the state: `steward org export` reads them back as an org file.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from ledger.attribution import ensure_views
from ledger.org_schema import ModelEntry
from ledger.principals import (
    UNKNOWN,
    account_of,
    normalise_principal,
    principal_type,
    role_name,
)
from ledger.store import Store
from tools import iam_policy as iam
from tools.context import ToolContext
from tools.errors import ScopeError, ToolError
from tools.periods import month_key, tool_month
from tools.scope import require_product
from tools.tasks import TaskSummary, create_task, next_audit_ref, supersede_open_tasks
from tools.toolset import tool

PO = frozenset({"product_owner"})
LEAD = frozenset({"finops_lead"})
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be blank: say why")
    return v.strip()


def _next_position(store: Store, table: str) -> int:
    return store.scalar(f"SELECT coalesce(max(position), -1) + 1 FROM {table}")


def _products(store: Store) -> list[str]:
    return [r[0] for r in store.rows("SELECT name FROM org_nodes WHERE kind = 'product' ORDER BY name")]


def _own_product(ctx: ToolContext, name: str | None, *, lead_ok: bool = False) -> str:
    """A product the caller is Product Owner of (any product for a FinOps Lead when lead_ok)."""
    caller = ctx.caller
    if lead_ok and caller.all_access:
        if not name:
            raise ToolError("name the product")
        return require_product(ctx, name)
    owned = sorted(caller.owned_products)
    if not name:
        if len(owned) == 1:
            return owned[0]
        if not owned:
            raise ToolError("you are not the Product Owner of any product")
        raise ToolError(f"which product? You own {len(owned)}: {', '.join(owned)}")
    found = next((p for p in owned if p.casefold() == name.strip().casefold()), None)
    if found is not None:
        return found
    seen = next((p for p in caller.products if p.casefold() == name.strip().casefold()), None)
    if seen is not None:
        raise ToolError(f"you can see {seen} but are not its Product Owner; ask its Product Owner")
    raise ScopeError("product", name)


def _check_accounts(store: Store, accounts: list[str]) -> list[str]:
    known = {r[0] for r in store.rows("SELECT account_id FROM accounts")}
    out = []
    for a in accounts:
        a = a.strip()
        if not _ACCOUNT.match(a):
            raise ToolError(f"'{a}' is not an AWS account id (12 digits)")
        if a not in known:
            raise ToolError(f"account {a} is not in the registry's accounts")
        if a not in out:
            out.append(a)
    return out


def _check_regions(regions: list[str]) -> list[str]:
    out = []
    for r in regions:
        r = r.strip()
        if not _REGION.match(r):
            raise ToolError(f"'{r}' is not an AWS region name such as us-east-1")
        if r not in out:
            out.append(r)
    return out


def _catalog_state(store: Store, model_id: str) -> str:
    return store.scalar("SELECT state FROM model_catalog WHERE model_id = ?", [model_id]) or "unreviewed"


# ============================================================================ claim_principal


class ClaimArgs(BaseModel):
    principal: str = Field(description="The IAM principal ARN as CUR shows it: a role ARN (an assumed-role "
                                       "session ARN is accepted and normalised to its role), or an IAM user "
                                       "/ Bedrock API-key user ARN.")
    product: str = Field(description="The product whose spend this principal is.")
    claimed_on: date | None = Field(None, description="Spend counts toward the product from this day "
                                                      "(YYYY-MM-DD); default today.")
    note: str | None = Field(None, description="What the principal is, e.g. 'checkout service prod role'.")


class ClaimResult(BaseModel):
    subject: str
    principal: str
    product: str
    claimed_by: str
    claimed_on: date
    already_claimed: bool = Field(description="True if it was already claimed by this product (nothing changed).")
    cur_first_seen: date | None
    cur_last_seen: date | None
    message: str


@tool(name="claim_principal", personas=PO | LEAD, action="write", family="claims")
def claim_principal(ctx: ToolContext, args: ClaimArgs) -> ClaimResult:
    """Claim an IAM principal for one of your products, so its Bedrock spend (from claimed_on, default
    today) is attributed to that product. The principal must appear in at least one CUR row (make a
    test invocation with the role and wait for the next CUR delivery if it does not yet). A principal
    belongs to one product at a time; claiming it again for the same product changes nothing.
    Product Owners claim for their own products; a FinOps Lead for any product."""
    product = _own_product(ctx, args.product, lead_ok=True)
    principal = normalise_principal(args.principal)
    if principal == UNKNOWN or not principal.startswith("arn:"):
        raise ToolError(f"'{args.principal}' is not an IAM principal ARN "
                        "(e.g. arn:aws:iam::111122223333:role/checkout-bedrock)")
    claimed_on = args.claimed_on or ctx.today
    if claimed_on > ctx.today:
        raise ToolError(f"claimed_on {claimed_on} is in the future (today is {ctx.today})")
    first, last = ctx.store.rows(
        "SELECT min(usage_date), max(usage_date) FROM usage_daily WHERE principal = ?", [principal])[0]
    if first is None:
        raise ToolError(
            f"no CUR row has principal {principal}: Steward can only claim principals it has seen "
            "in the Cost and Usage Report. Check the ARN, or make a test Bedrock invocation with it "
            "and claim it after the next CUR delivery is ingested.")
    existing = ctx.store.rows("SELECT product, claimed_by, claimed_on FROM claims WHERE principal = ?",
                              [principal])
    if existing:
        other, by, on = existing[0]
        if other == product:
            return ClaimResult(subject=principal, principal=principal, product=product, claimed_by=by,
                               claimed_on=on, already_claimed=True, cur_first_seen=first,
                               cur_last_seen=last,
                               message=f"Already claimed for {product} by {by} on {on}; nothing changed.")
        if ctx.caller.sees_product(other):
            raise ToolError(f"{principal} is already claimed by {other} (claimed by {by} on {on}); a "
                            "principal belongs to one product at a time")
        raise ToolError(f"{principal} is already claimed by another product; a principal belongs to "
                        "one product at a time. Ask your FinOps Lead if it should move to "
                        f"{product}.")
    ctx.store.con.execute(
        "INSERT INTO claims (principal, product, claimed_by, claimed_on, note, position) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [principal, product, ctx.caller.email, claimed_on, (args.note or "").strip() or None,
         _next_position(ctx.store, "claims")])
    before = " (earlier spend stays unattributed)" if first < claimed_on else ""
    return ClaimResult(subject=principal, principal=principal, product=product,
                       claimed_by=ctx.caller.email, claimed_on=claimed_on, already_claimed=False,
                       cur_first_seen=first, cur_last_seen=last,
                       message=f"{principal} now belongs to {product}; its Bedrock spend from "
                               f"{claimed_on} counts toward {product}{before}.")


# ============================================================================ set_estimate


class SetEstimateArgs(BaseModel):
    product: str | None = Field(None, description="Your product; default: your only product.")
    month: str | None = Field(None, description="YYYY-MM, the current or a future month; default the current month.")
    usd: float = Field(ge=0, description="Expected Bedrock spend for the month in USD (unblended usage cost).")
    input_tokens: int | None = Field(None, ge=0, description="Expected input tokens; omitted keeps the previous value.")
    output_tokens: int | None = Field(None, ge=0, description="Expected output tokens; omitted keeps the previous value.")
    reason: str | None = Field(None, description="Why this figure (kept in the audit log).")


class EstimateSet(BaseModel):
    subject: str
    product: str
    month: str
    usd: float
    input_tokens: int | None
    output_tokens: int | None
    created: bool = Field(description="True if the month had no estimate before.")
    previous_usd: float | None
    previous_input_tokens: int | None
    previous_output_tokens: int | None


@tool(name="set_estimate", personas=PO, action="write", family="estimate")
def set_estimate(ctx: ToolContext, args: SetEstimateArgs) -> EstimateSet:
    """Set (or change) your product's Bedrock consumption estimate for a month, in USD and optionally
    in input / output tokens. Steward tracks spend against it (estimate_status). Only the current or
    a future month; token figures you leave out keep their previous value. The result shows the
    previous estimate."""
    product = _own_product(ctx, args.product)
    month = month_key(tool_month(args.month, ctx.today)) if args.month else month_key(ctx.today)
    if month < f"{ctx.today:%Y-%m}":
        raise ToolError(f"{month} is over; estimates are set for the current or a future month "
                        "(a FinOps Lead can correct past months in the org file)")
    prev = ctx.store.rows("SELECT usd, input_tokens, output_tokens FROM estimates "
                          "WHERE product = ? AND month = ?", [product, month])
    p_usd, p_in, p_out = prev[0] if prev else (None, None, None)
    new_in = args.input_tokens if args.input_tokens is not None else p_in
    new_out = args.output_tokens if args.output_tokens is not None else p_out
    at = ctx.now()
    if prev:
        ctx.store.con.execute(
            "UPDATE estimates SET usd = ?, input_tokens = ?, output_tokens = ?, set_by = ?, set_at = ? "
            "WHERE product = ? AND month = ?",
            [float(args.usd), new_in, new_out, ctx.caller.email, at, product, month])
    else:
        ctx.store.con.execute(
            "INSERT INTO estimates (product, month, usd, input_tokens, output_tokens, set_by, set_at, "
            "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [product, month, float(args.usd), new_in, new_out, ctx.caller.email, at,
             _next_position(ctx.store, "estimates")])
    return EstimateSet(subject=f"{product} {month}", product=product, month=month, usd=float(args.usd),
                       input_tokens=new_in, output_tokens=new_out, created=not prev,
                       previous_usd=p_usd, previous_input_tokens=p_in, previous_output_tokens=p_out)


# ============================================================================ model access requests


class AccessRequestArgs(BaseModel):
    product: str | None = Field(None, description="Your product; default: your only product.")
    model_id: str = Field(min_length=1, description="Bedrock model id, e.g. anthropic.claude-sonnet-4-6.")
    accounts: list[str] = Field(default_factory=list, description="AWS account ids where you need it; "
                                "default: the accounts of your product's claimed principals.")
    regions: list[str] = Field(default_factory=list, description="Regions, e.g. us-east-1; empty = any region.")
    reason: str = Field(description="Why the product needs this model (the FinOps Lead decides on it).")

    _v_reason = field_validator("reason")(_not_blank)


class AccessRequested(BaseModel):
    subject: str
    request_id: str
    status: str
    product: str
    model_id: str
    accounts: list[str]
    regions: list[str]
    current_state: str = Field(description="The model's catalog state now: approved, restricted, blocked or unreviewed.")
    message: str


def _covers(store: Store, model_id: str, product: str, accounts: list[str], regions: list[str]) -> bool:
    entry = next((e for e in iam.catalog(store) if e.id == model_id), None)
    if entry is None or not accounts:
        return False
    regions_ok = not entry.regions or (bool(regions) and set(regions) <= set(entry.regions))
    return regions_ok and all(iam.allowed_for(entry, a, product) for a in accounts)


@tool(name="request_model_access", personas=PO, action="write", family="catalog")
def request_model_access(ctx: ToolContext, args: AccessRequestArgs) -> AccessRequested:
    """Ask the FinOps Lead to approve a Bedrock model for your product (in given accounts and regions),
    with the reason. Creates an open access request; the FinOps Lead sees it in access_requests and
    decides with decide_model. One open request per product and model."""
    product = _own_product(ctx, args.product)
    model_id = args.model_id.strip()
    accounts = _check_accounts(ctx.store, args.accounts)
    if not accounts:
        accounts = sorted({a for (p,) in ctx.store.rows("SELECT principal FROM claims WHERE product = ?",
                                                        [product]) if (a := account_of(p))})
    regions = _check_regions(args.regions)
    dup = ctx.store.scalar("SELECT request_id FROM access_requests WHERE product = ? AND model_id = ? "
                           "AND status = 'open'", [product, model_id])
    if dup:
        raise ToolError(f"{dup} already asks for {model_id} for {product} and is still open")
    if _covers(ctx.store, model_id, product, accounts, regions):
        raise ToolError(f"{model_id} is already approved for {product} in those accounts and regions; "
                        "no request is needed")
    n = ctx.store.scalar("SELECT max(TRY_CAST(substr(request_id, 4) AS INTEGER)) FROM access_requests "
                         "WHERE request_id LIKE 'AR-%'") or 0
    request_id = f"AR-{n + 1:06d}"
    ctx.store.con.execute(
        "INSERT INTO access_requests (request_id, created_at, requested_by, product, model_id, accounts, "
        "regions, reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
        [request_id, ctx.now(), ctx.caller.email, product, model_id, accounts, regions, args.reason])
    state = _catalog_state(ctx.store, model_id)
    return AccessRequested(
        subject=request_id, request_id=request_id, status="open", product=product, model_id=model_id,
        accounts=accounts, regions=regions, current_state=state,
        message=f"Request {request_id} is open: the FinOps Lead will see it in their access requests "
                f"and decide on {model_id} (currently {state}) for {product}.")


class AccessRequestsArgs(BaseModel):
    status: Literal["open", "closed", "all"] = Field("open", description="open (default), closed or all.")


class AccessRequestView(BaseModel):
    request_id: str
    created_at: datetime | None
    requested_by: str | None
    product: str | None
    model_id: str | None
    accounts: list[str]
    regions: list[str]
    reason: str | None
    status: str | None = Field(description="open, or the decision that closed it (approved/restricted/blocked).")
    decided_by: str | None
    decided_at: datetime | None
    current_state: str = Field(description="The model's catalog state now.")


class AccessRequestList(BaseModel):
    status: str
    count: int
    requests: list[AccessRequestView]


@tool(name="access_requests", personas=PO | LEAD, action="read", family="catalog")
def access_requests(ctx: ToolContext, args: AccessRequestsArgs) -> AccessRequestList:
    """Model access requests, oldest first: a FinOps Lead sees every request; a Product Owner sees the
    requests for their own products. Default: open requests (the FinOps Lead's queue). Decide one with
    decide_model(request_id=...)."""
    where, params = [], []
    if args.status == "open":
        where.append("status = 'open'")
    elif args.status == "closed":
        where.append("status <> 'open'")
    if not ctx.caller.all_access:
        where.append("(list_contains(?::VARCHAR[], product) OR requested_by = ?)")
        params += [sorted(ctx.caller.owned_products), ctx.caller.email]
    sql = "SELECT * FROM access_requests" + (f" WHERE {' AND '.join(where)}" if where else "")
    rows = ctx.store.dicts(sql + " ORDER BY request_id", params)
    out = [AccessRequestView(**{**r, "accounts": r["accounts"] or [], "regions": r["regions"] or []},
                             current_state=_catalog_state(ctx.store, r["model_id"])) for r in rows]
    return AccessRequestList(status=args.status, count=len(out), requests=out)


# ============================================================================ decide_model


class DecideModelArgs(BaseModel):
    model_id: str = Field(min_length=1, description="Bedrock model id, e.g. anthropic.claude-sonnet-4-6.")
    state: Literal["approved", "restricted", "blocked"] = Field(
        description="approved: any product in scope; restricted: only the listed products; blocked.")
    products: list[str] = Field(default_factory=list, description="For restricted only: the products allowed.")
    accounts: list[str] = Field(default_factory=list, description="Account ids the decision covers; empty = all "
                                "accounts. Approvals do not carry across accounts.")
    regions: list[str] = Field(default_factory=list, description="Regions the decision covers; empty = all regions.")
    action_scope: Literal["inference_only", "agentic_read_only", "agentic_read_write"] = Field(
        "inference_only", description="inference_only (default): agents acting through AWS-managed MCP "
        "servers are denied; agentic_read_only: they may only read; agentic_read_write: no MCP restriction.")
    rationale: str = Field(description="Why: required, kept with the catalog entry and the audit log.")
    request_id: str | None = Field(None, description="The access request this decision answers (closes it).")

    _v_rationale = field_validator("rationale")(_not_blank)


class ModelDecision(BaseModel):
    subject: str
    model_id: str
    state: str
    previous_state: str = Field(description="approved, restricted, blocked or unreviewed (no entry).")
    entry: dict[str, Any]
    tasks: list[TaskSummary] = Field(description="One per claimed role whose Steward-Bedrock policy changes.")
    superseded_tasks: list[str]
    skipped_principals: list[str] = Field(description="Claimed IAM users / API keys: no role policy to change.")
    request_closed: str | None
    warnings: list[str]
    message: str


def _entry_from_args(ctx: ToolContext, args: DecideModelArgs) -> ModelEntry:
    if args.state == "restricted" and not args.products:
        raise ToolError("state restricted needs products: the products allowed to use the model")
    if args.state != "restricted" and args.products:
        raise ToolError(f"products applies only to state restricted (this decision is {args.state})")
    every = _products(ctx.store)
    products = []
    for name in args.products:
        found = next((p for p in every if p.casefold() == name.strip().casefold()), None)
        if found is None:
            raise ToolError(f"there is no product named '{name}'. Products: {', '.join(every)}")
        if found not in products:
            products.append(found)
    try:
        return ModelEntry(id=args.model_id.strip(), state=args.state, products=products,
                          accounts=_check_accounts(ctx.store, args.accounts),
                          regions=_check_regions(args.regions), action_scope=args.action_scope,
                          rationale=args.rationale, decided_by=ctx.caller.email, decided_on=ctx.today)
    except ValidationError as exc:
        raise ToolError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None


def _upsert_model(store: Store, e: ModelEntry) -> None:
    values = [e.state, list(e.products), list(e.accounts), list(e.regions), e.action_scope, e.rationale,
              e.decided_by, e.decided_on]
    if store.scalar("SELECT count(*) FROM model_catalog WHERE model_id = ?", [e.id]):
        store.con.execute("UPDATE model_catalog SET state = ?, products = ?, accounts = ?, regions = ?, "
                          "action_scope = ?, rationale = ?, decided_by = ?, decided_on = ? WHERE model_id = ?",
                          [*values, e.id])
    else:
        store.con.execute("INSERT INTO model_catalog (model_id, state, products, accounts, regions, "
                          "action_scope, rationale, decided_by, decided_on, position) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [e.id, *values, _next_position(store, "model_catalog")])


def _known_model(store: Store, model_id: str) -> bool:
    if store.scalar("SELECT count(*) FROM usage_daily WHERE model_id = ?", [model_id]):
        return True
    has_discovered = store.scalar("SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_name = 'discovered_models'")
    return bool(has_discovered and store.scalar(
        "SELECT count(*) FROM discovered_models WHERE model_id = ?", [model_id]))


@tool(name="decide_model", personas=LEAD, action="agentic", family="catalog")
def decide_model(ctx: ToolContext, args: DecideModelArgs) -> ModelDecision:
    """Record a model catalog decision: approved, restricted (to listed products) or blocked, for
    accounts and regions (empty = all), with an action scope (inference_only by default; agentic
    access via MCP servers is a separate, explicit approval) and a REQUIRED written rationale. Creates
    one Cloud Engineer task per claimed IAM role whose Steward-Bedrock policy changes, with the exact
    `aws iam put-role-policy` command (and the command to undo it). Pass request_id to close the
    access request this answers. Replaces any earlier decision on the same model."""
    entry = _entry_from_args(ctx, args)
    request = None
    if args.request_id:
        rows = ctx.store.dicts("SELECT request_id, model_id, status, product FROM access_requests "
                               "WHERE request_id = ?", [args.request_id.strip().upper()])
        if not rows:
            raise ToolError(f"there is no access request {args.request_id}")
        request = rows[0]
        if request["status"] != "open":
            raise ToolError(f"{request['request_id']} is already closed ({request['status']})")
        if request["model_id"] != entry.id:
            raise ToolError(f"{request['request_id']} asks for {request['model_id']}, not {entry.id}")
    before = iam.catalog(ctx.store)
    previous = next((e for e in before if e.id == entry.id), None)
    warnings = []
    if previous is None and not _known_model(ctx.store, entry.id):
        warnings.append(f"{entry.id} has not been seen in CUR or in the discovered models: check the id")
    if request and entry.state == "restricted" and request["product"] not in entry.products:
        warnings.append(f"{request['request_id']} came from {request['product']}, which this decision "
                        "does not include")
    _upsert_model(ctx.store, entry)
    after = iam.catalog(ctx.store)
    source_ref = next_audit_ref(ctx.store) + (f" request:{request['request_id']}" if request else "")
    tasks, superseded = _policy_tasks(ctx, before, after, f"{entry.id} {entry.state}", source_ref)
    skipped = [p for (p,) in ctx.store.rows("SELECT principal FROM claims ORDER BY position")
               if principal_type(p) != "role"
               and any(e.accounts == [] or account_of(p) in e.accounts for e in (entry, previous) if e)]
    if request:
        ctx.store.con.execute("UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ? "
                              "WHERE request_id = ?",
                              [entry.state, ctx.caller.email, ctx.now(), request["request_id"]])
    over = [t.principal for t in tasks if "aws iam create-policy " in t.command]
    if over:
        warnings.append(f"the policy for {', '.join(over)} is over IAM's {iam.IAM_INLINE_LIMIT}-character inline "
                        "quota: its task creates and attaches managed policies instead")
    prev_state = previous.state if previous else "unreviewed"
    return ModelDecision(
        subject=f"model {entry.id}", model_id=entry.id, state=entry.state, previous_state=prev_state,
        entry=entry.model_dump(mode="json"), tasks=tasks, superseded_tasks=superseded,
        skipped_principals=skipped, request_closed=request["request_id"] if request else None,
        warnings=warnings,
        message=f"{entry.id}: {prev_state} -> {entry.state}. {len(tasks)} engineer task(s) created"
                + (f"; {request['request_id']} closed" if request else "") + ".")


def _policy_tasks(ctx: ToolContext, before: list[ModelEntry], after: list[ModelEntry], title: str,
                  source_ref: str) -> tuple[list[TaskSummary], list[str]]:
    regions = iam.configured_regions(ctx)
    tasks: list[TaskSummary] = []
    superseded: list[str] = []
    roles = iam.claimed_roles(ctx.store)
    inputs = iam.PolicyInputs(ctx.store, [p for p, _ in roles])
    for principal, product in roles:
        account = account_of(principal) or ""
        old = inputs.policy(principal, product, before, regions)
        new = inputs.policy(principal, product, after, regions)
        if old == new:
            continue
        name = role_name(principal) or principal
        task = create_task(
            ctx.store, created_at=ctx.now(), kind="role_policy",
            title=f"{title}: update {iam.POLICY_NAME} on role {name} in account {account} ({product})",
            product=product, principal=principal,
            command=iam.apply_command(principal, new), undo_command=iam.apply_command(principal, old),
            policy_json=iam.policy_json(new), created_by=ctx.caller.email, source_ref=source_ref)
        # An open task for the same role carries an older full policy: this one replaces it.
        stale = supersede_open_tasks(ctx.store, principal=principal, kinds=("role_policy",),
                                     by=task.task_id, exclude=task.task_id)
        superseded += stale
        tasks.append(task)
    return tasks, superseded


# ============================================================================ pause / resume


class PauseArgs(BaseModel):
    product: str = Field(description="The product to pause or resume.")
    rationale: str = Field(description="Why: required, kept in the audit log and shown with the tasks.")

    _v_rationale = field_validator("rationale")(_not_blank)


class PauseResult(BaseModel):
    subject: str
    product: str
    paused: bool = Field(description="Whether the product is paused after this decision.")
    tasks: list[TaskSummary]
    superseded_tasks: list[str]
    skipped_principals: list[str] = Field(description="Claimed principals that are not IAM roles.")
    message: str


def _pause_batch(store: Store, product: str) -> list[dict[str, Any]]:
    """The pause tasks in force: those after the last resume, unless superseded. Empty: not paused."""
    rows = store.dicts("SELECT task_id, kind, status, principal FROM engineer_tasks WHERE product = ? "
                       "AND kind IN ('pause', 'resume') AND status <> 'superseded' ORDER BY task_id",
                       [product])
    batch: list[dict[str, Any]] = []
    for r in rows:
        batch = batch + [r] if r["kind"] == "pause" else []
    return batch


def _non_roles(store: Store, product: str) -> list[str]:
    return [p for (p,) in store.rows("SELECT principal FROM claims WHERE product = ? ORDER BY position",
                                      [product]) if principal_type(p) != "role"]


@tool(name="pause_product", personas=LEAD, action="agentic", family="pause")
def pause_product(ctx: ToolContext, args: PauseArgs) -> PauseResult:
    """Stop a product's Bedrock use now: creates one Cloud Engineer task per claimed IAM role of the
    product whose command attaches an explicit Deny on model invocation (inline policy Steward-Pause:
    bedrock:InvokeModel*, which also covers Converse/ConverseStream and async invokes, and new batch jobs).
    A Deny overrides every Allow. The undo command removes it; resume_product lifts the pause.
    Rationale required."""
    product = require_product(ctx, args.product)
    if _pause_batch(ctx.store, product):
        raise ToolError(f"{product} is already paused; use resume_product to lift it")
    roles = iam.claimed_roles(ctx.store, product)
    if not roles:
        raise ToolError(f"{product} has no claimed IAM roles to pause")
    source_ref = next_audit_ref(ctx.store)
    tasks: list[TaskSummary] = []
    stale = supersede_open_tasks(ctx.store, product=product, kinds=("resume",), by="a new pause")
    policy = iam.pause_policy()
    for principal, _ in roles:
        name = role_name(principal) or principal
        tasks.append(create_task(
            ctx.store, created_at=ctx.now(), kind="pause",
            title=f"Pause {product}: deny Bedrock invocation on role {name} in account {account_of(principal)}",
            product=product, principal=principal,
            command=iam.put_role_policy_command(name, iam.PAUSE_POLICY_NAME, policy),
            undo_command=iam.delete_role_policy_command(name, iam.PAUSE_POLICY_NAME),
            policy_json=iam.policy_json(policy), created_by=ctx.caller.email, source_ref=source_ref))
    return PauseResult(subject=product, product=product, paused=True, tasks=tasks, superseded_tasks=stale,
                       skipped_principals=_non_roles(ctx.store, product),
                       message=f"{product} is paused once the Cloud Engineer runs {len(tasks)} task(s).")


@tool(name="resume_product", personas=LEAD, action="agentic", family="pause")
def resume_product(ctx: ToolContext, args: PauseArgs) -> PauseResult:
    """Lift a product's pause: creates one Cloud Engineer task per role whose pause was applied, with
    the command that removes the Steward-Pause policy (`aws iam delete-role-policy`). Pause tasks not
    yet run are withdrawn (superseded) instead. Rationale required: a resume is a decision too."""
    product = require_product(ctx, args.product)
    batch = _pause_batch(ctx.store, product)
    if not batch:
        raise ToolError(f"{product} is not paused")
    source_ref = next_audit_ref(ctx.store)
    withdrawn = [r["task_id"] for r in batch if r["status"] == "open"]
    if withdrawn:
        ctx.store.con.execute(
            "UPDATE engineer_tasks SET status = 'superseded', note = 'withdrawn: the product was resumed "
            "before the pause was applied' WHERE list_contains(?::VARCHAR[], task_id)", [withdrawn])
    tasks: list[TaskSummary] = []
    policy = iam.pause_policy()
    for r in batch:
        if r["status"] != "done":
            continue
        principal = r["principal"]
        name = role_name(principal) or principal
        tasks.append(create_task(
            ctx.store, created_at=ctx.now(), kind="resume",
            title=f"Resume {product}: remove {iam.PAUSE_POLICY_NAME} from role {name} in account "
                  f"{account_of(principal)}",
            product=product, principal=principal,
            command=iam.delete_role_policy_command(name, iam.PAUSE_POLICY_NAME),
            undo_command=iam.put_role_policy_command(name, iam.PAUSE_POLICY_NAME, policy),
            policy_json=None, created_by=ctx.caller.email, source_ref=source_ref))
    msg = (f"{product} resumes once the Cloud Engineer runs {len(tasks)} task(s)" if tasks
           else f"{product} resumed: its pause had not been applied yet")
    if withdrawn:
        msg += f"; withdrew {len(withdrawn)} pause task(s) not yet run"
    return PauseResult(subject=product, product=product, paused=False, tasks=tasks,
                       superseded_tasks=withdrawn, skipped_principals=_non_roles(ctx.store, product),
                       message=msg + ".")


# ============================================================================ approve_spend_card


class ApproveCardArgs(BaseModel):
    product: str | None = Field(None, description="Your product; default: your only product.")
    week_start: date | None = Field(None, description="The Monday the week starts (YYYY-MM-DD); default the "
                                                      "last complete week (Monday to Sunday).")
    note: str | None = Field(None, description="Comment kept with the approval.")


class CardApproval(BaseModel):
    subject: str
    product: str
    week_start: date
    week_end: date = Field(description="The Sunday the week ends (inclusive).")
    actual_usd: float = Field(description="Attributed unblended usage cost of the week.")
    approved_by: str
    approved_at: datetime
    already_approved: bool
    note: str | None


def last_complete_week(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7)


@tool(name="approve_spend_card", personas=PO, action="write", family="cards")
def approve_spend_card(ctx: ToolContext, args: ApproveCardArgs) -> CardApproval:
    """Approve your product's weekly spend card (actual vs estimate) for a complete week, Monday to
    Sunday; default the last complete week. Approving the same week again changes nothing."""
    product = _own_product(ctx, args.product)
    week = args.week_start or last_complete_week(ctx.today)
    if week.weekday() != 0:
        raise ToolError(f"{week} is a {week:%A}; a spend card week starts on a Monday "
                        f"(e.g. {week - timedelta(days=week.weekday())})")
    end = week + timedelta(days=6)
    if end >= ctx.today:
        raise ToolError(f"the week of {week} is not complete until {end} is over (today is {ctx.today})")
    ensure_views(ctx.store)
    actual = ctx.store.scalar(
        "SELECT coalesce(sum(unblended_cost), 0) FROM attributed_daily WHERE product = ? "
        "AND charge_class = 'usage' AND usage_date BETWEEN ? AND ?", [product, week, end])
    done = ctx.store.rows("SELECT approved_by, approved_at, note FROM spend_card_approvals "
                          "WHERE product = ? AND week_start = ?", [product, week])
    if done:
        by, at, note = done[0]
        return CardApproval(subject=f"{product} week of {week}", product=product, week_start=week,
                            week_end=end, actual_usd=round(actual, 2), approved_by=by, approved_at=at,
                            already_approved=True, note=note)
    at = ctx.now()
    note = (args.note or "").strip() or None
    ctx.store.con.execute("INSERT INTO spend_card_approvals VALUES (?, ?, ?, ?, ?)",
                          [product, week, ctx.caller.email, at, note])
    return CardApproval(subject=f"{product} week of {week}", product=product, week_start=week, week_end=end,
                        actual_usd=round(actual, 2), approved_by=ctx.caller.email, approved_at=at,
                        already_approved=False, note=note)
