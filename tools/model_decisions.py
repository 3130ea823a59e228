"""Model decisions: a FinOps Lead approves, restricts or blocks a model, and Cloud Engineer tasks follow."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from ledger import lifecycle
from ledger.model_names import effective_names
from ledger.org_schema import ModelEntry
from ledger.principals import account_of, principal_type, role_name
from ledger.store import Store
from tools import iam_policy as iam
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.scope import all_products
from tools.tasks import TaskSummary, create_task, next_audit_ref, supersede_open_tasks
from tools.write_checks import FINOPS_LEAD, check_accounts, check_regions, next_position, not_blank


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
    unknown_model: bool = Field(False, description="Decide on a model id Steward has never seen (not in the shipped "
                                "name map, models sync, the catalog or the CUR): only when you are sure it "
                                "exists, e.g. announced but not yet synced; the rationale says so.")

    _v_rationale = field_validator("rationale")(not_blank)


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
    every = all_products(ctx.store)
    products = []
    for name in args.products:
        found = next((p for p in every if p.casefold() == name.strip().casefold()), None)
        if found is None:
            raise ToolError(f"there is no product named '{name}'. Products: {', '.join(every)}")
        if found not in products:
            products.append(found)
    try:
        return ModelEntry(id=args.model_id.strip(), state=args.state, products=products,
                          accounts=check_accounts(ctx.store, args.accounts),
                          regions=check_regions(args.regions), action_scope=args.action_scope,
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
                          [e.id, *values, next_position(store, "model_catalog")])


def _known_model(store: Store, model_id: str) -> bool:
    """Seen somewhere Steward trusts: the shipped model-name map (and its overrides), `models sync`, the
    catalog (the org file), or the CUR."""
    if model_id in {n.model_id for n in effective_names(store)}:
        return True
    return bool(store.scalar(
        """SELECT (SELECT count(*) FROM usage_daily WHERE model_id = ?) + (SELECT count(*) FROM model_catalog
           WHERE model_id = ?) + (SELECT count(*) FROM discovered_models WHERE model_id = ?)""",
        [model_id, model_id, model_id]))


def _open_request(ctx: ToolContext, request_id: str, model_id: str) -> dict[str, Any]:
    """The open access request a decision answers (it must ask for the model decided)."""
    rows = ctx.store.dicts("SELECT request_id, model_id, status, product FROM access_requests "
                           "WHERE request_id = ?", [request_id.strip().upper()])
    if not rows:
        raise ToolError(f"there is no access request {request_id}")
    request = rows[0]
    if request["status"] != "open":
        raise ToolError(f"{request['request_id']} is already closed ({request['status']})")
    if request["model_id"] != model_id:
        raise ToolError(f"{request['request_id']} asks for {request['model_id']}, not {model_id}")
    return request


@tool(name="decide_model", personas=FINOPS_LEAD, action="agentic", family="catalog")
def decide_model(ctx: ToolContext, args: DecideModelArgs) -> ModelDecision:
    """Approve, restrict (to listed products) or block a model for accounts and regions, with a rationale;
    creates the Cloud Engineer tasks that enforce it.

    Record a model catalog decision: approved, restricted (to listed products) or blocked, for
    accounts and regions (empty = all), with an action scope (inference_only by default; agentic
    access via MCP servers is a separate, explicit approval) and a REQUIRED written rationale. Creates
    one Cloud Engineer task per claimed IAM role whose Steward-Bedrock policy changes, with the exact
    `aws iam put-role-policy` command (and the command to undo it). Pass request_id to close the
    access request this answers. Replaces any earlier decision on the same model. Approving a model
    that is past end of life in a Region of the decision is refused; a Legacy one gets a warning with
    its end-of-life date."""
    entry = _entry_from_args(ctx, args)
    request = _open_request(ctx, args.request_id, entry.id) if args.request_id else None
    warnings: list[str] = []
    if entry.state != "blocked":  # approving a retired model would open a path that fails
        regions = list(entry.regions) or iam.configured_regions(ctx)
        warnings, refusal = lifecycle.decision_check(lifecycle.load(ctx.store), entry.id, regions, ctx.today)
        if refusal:
            raise ToolError(refusal)
    before = iam.catalog(ctx.store)
    previous = next((e for e in before if e.id == entry.id), None)
    if previous is None and not _known_model(ctx.store, entry.id):
        if not args.unknown_model:
            raise ToolError(f"{entry.id} is a model id Steward has never seen (not in the shipped name map, "
                            "`steward models sync`, the catalog or the CUR): check the id. If it is right (a new "
                            "model not yet synced), pass unknown_model=true and say so in the rationale.")
        warnings.append(f"{entry.id} has not been seen in CUR or in the discovered models: decided as unknown_model")
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
