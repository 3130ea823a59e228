"""Model migrations: a FinOps Lead approves moving a product off a Legacy or retired model, and each
role that calls it gets a Cloud Engineer task saying what to change and the exact check to run."""

from __future__ import annotations

import json
import shlex
from datetime import timedelta

from pydantic import BaseModel, Field, field_validator

from ledger import lifecycle as lc
from ledger import routing as rt
from ledger.attribution import ensure_views
from ledger.principals import role_name
from tools import iam_policy as iam
from tools.catalog import model_labels, resolve_model
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.lifecycle import LifecycleLine, lifecycle_lines
from tools.scope import require_product
from tools.tasks import TaskSummary, create_task, next_audit_ref
from tools.write_checks import FINOPS_LEAD, not_blank

LOOKBACK_DAYS = 30  # the traffic a migration moves: what the product ran in the last 30 days
PING = json.dumps([{"role": "user", "content": [{"text": "Reply with OK."}]}], separators=(",", ":"))


class MigrationArgs(BaseModel):
    product: str = Field(description="The product to move.")
    rationale: str = Field(description="Why: required, kept with the tasks and the audit log.")
    to_model: str | None = Field(None, description="The model to move to; default: each old model's successor.")
    from_model: str | None = Field(None, description="Only this old model; default: every Legacy or retired one.")

    _v_rationale = field_validator("rationale")(not_blank)


class MigrationStep(BaseModel):
    account_id: str
    region: str
    from_model: str
    to_model: str
    invoke_id: str = Field(description="The id the application calls after the move (a profile id or model id).")
    principals: list[str]
    usd: float = Field(description="What the old model cost in the look-back window here.")


class MigrationApproved(BaseModel):
    subject: str
    product: str
    steps: list[MigrationStep]
    tasks: list[TaskSummary]
    superseded_tasks: list[str]
    skipped_principals: list[str] = Field(description="IAM users / API keys: their owners change the calls.")
    message: str


def invoke_id(model_id: str, region: str, routing_now: str, routing: rt.Routing) -> str:
    """What to call after the move, keeping the path the traffic takes now: a global profile stays
    global; a geographic profile, or an in-Region call, takes the geographic profile when the new model
    has one from this Region (newer models are often served only through profiles), else the model id."""
    if routing_now == "global" and routing.has_profile(rt.GLOBAL, model_id, region):
        return f"{rt.GLOBAL}.{model_id}"
    for family in routing.families_from(region):
        if routing.has_profile(family, model_id, region):
            return f"{family}.{model_id}"
    return model_id


def _target(line: LifecycleLine, wanted: str | None) -> str:
    target = wanted or line.successor
    if not target:
        raise ToolError(f"{line.model_name} has no successor in Steward's lifecycle data: name the model to move "
                        "to (to_model)")
    return target


def _check_target(ctx: ToolContext, product: str, target: str, line: LifecycleLine, labels: dict[str, str]) -> None:
    """The new model must be Active where the traffic runs and approved for the product there."""
    name = labels.get(target, target)
    standing = lc.load(ctx.store).standing(target, line.region, ctx.today)
    if standing.status != "active":
        raise ToolError(f"{name} is {standing.status} in {line.region}, not Active: pick a current model (to_model)")
    entry = next((e for e in iam.catalog(ctx.store) if e.id == target), None)
    approved = entry is not None and iam.allowed_for(entry, line.account_id, product) and (
        not entry.regions or line.region in entry.regions)
    if not approved:
        raise ToolError(f"{name} is not approved for {product} in account {line.account_id}, {line.region}: "
                        f"approve it there first (decide_model {target}), then approve the migration")


def _callers(ctx: ToolContext, product: str, line: LifecycleLine) -> list[tuple[str, str]]:
    """(principal, routing) pairs that called the old model for the product, most spend first."""
    rows = ctx.store.rows(
        "SELECT principal, routing FROM attributed_daily WHERE product = ? AND account_id = ? AND region = ? "
        "AND model_id = ? AND usage_date >= ? AND charge_class = 'usage' GROUP BY ALL ORDER BY sum(unblended_cost) DESC",
        [product, line.account_id, line.region, line.model_id, ctx.today - timedelta(days=LOOKBACK_DAYS)])
    return [(p, r) for p, r in rows]


def task_command(step: MigrationStep, old_id: str, principal: str, policy_tasks: list[str]) -> str:
    role = role_name(principal) or principal
    allow = (f"run open task {', '.join(policy_tasks)} first" if policy_tasks
             else "its Steward-Bedrock policy already allows it (steward tools call iam_policy)")
    return "\n".join([
        f"# 1. Role {role} must be allowed to call {step.invoke_id}: {allow}.",
        f"# 2. In the application, replace the model id {old_id} with {step.invoke_id}.",
        f"# 3. Check the call works with the role's credentials in account {step.account_id}:",
        f"aws bedrock-runtime converse --region {step.region} --model-id {shlex.quote(step.invoke_id)} "
        f"--messages {shlex.quote(PING)} --inference-config maxTokens=16",
    ])


@tool(name="approve_migration", personas=FINOPS_LEAD, action="agentic", family="lifecycle")
def approve_migration(ctx: ToolContext, args: MigrationArgs) -> MigrationApproved:
    """Approve moving a product off a Legacy or retired model, with a rationale: creates a Cloud Engineer task per
    role that called it, with the new model id and a check command.

    Approve moving a product off a Legacy or retired (EOL) model: for each account and Region
    where it ran one in the last 30 days, the new model (default: the successor in Steward's
    lifecycle data) must be Active there and approved for the product in the catalog (else approve it
    first with decide_model). Creates one Cloud Engineer task per IAM role that made those calls: the
    id to put in the application (keeping the path: global, geographic profile or in-Region) and the
    exact `aws bedrock-runtime converse` check. A REQUIRED rationale is kept in the audit log."""
    ensure_views(ctx.store)
    product = require_product(ctx, args.product)
    labels = model_labels(ctx.store)
    wanted = _resolved(ctx, args.to_model, labels, "to_model")
    only = _resolved(ctx, args.from_model, labels, "from_model")
    lines = [x for x in lifecycle_lines(ctx, ctx.today - timedelta(days=LOOKBACK_DAYS), ctx.today + timedelta(days=1),
                                        product) if only is None or x.model_id == only]
    if not lines:
        what = labels.get(only, only) if only else "a Legacy or retired model"
        raise ToolError(f"{product} has not run {what} in the last {LOOKBACK_DAYS} days: nothing to migrate")
    routing = rt.load(ctx.store)
    steps: list[MigrationStep] = []
    for line in lines:
        target = _target(line, wanted)
        _check_target(ctx, product, target, line, labels)
        callers = _callers(ctx, product, line)
        steps.append(MigrationStep(
            account_id=line.account_id, region=line.region, from_model=line.model_id, to_model=target,
            invoke_id=invoke_id(target, line.region, callers[0][1] if callers else "in-region", routing),
            principals=[p for p, _ in callers], usd=line.usd))
    tasks, superseded, skipped = _tasks(ctx, product, steps, args.rationale, labels)
    moves = "; ".join(f"{labels.get(s.from_model, s.from_model)} -> {labels.get(s.to_model, s.to_model)} in "
                      f"{s.region} ({s.account_id})" for s in steps)
    return MigrationApproved(subject=f"product {product}", product=product, steps=steps, tasks=tasks,
                             superseded_tasks=superseded, skipped_principals=skipped,
                             message=f"{product}: migration approved, {moves}. {len(tasks)} engineer task(s) created.")


def _resolved(ctx: ToolContext, text: str | None, labels: dict[str, str], field: str) -> str | None:
    if text is None or not text.strip():
        return None
    model_id, name = resolve_model(ctx, text, labels)
    if model_id is None:
        raise ToolError(f"{field}: no model named '{name}'; use a model id such as anthropic.claude-haiku-4-5-20251001-v1:0")
    return model_id


def _tasks(ctx: ToolContext, product: str, steps: list[MigrationStep], why: str,
           labels: dict[str, str]) -> tuple[list[TaskSummary], list[str], list[str]]:
    source_ref = next_audit_ref(ctx.store)
    tasks: list[TaskSummary] = []
    superseded: list[str] = []
    skipped: list[str] = []
    for step in steps:
        for principal in step.principals:
            if role_name(principal) is None:
                skipped.append(principal)
                continue
            policy_tasks = [r[0] for r in ctx.store.rows(
                "SELECT task_id FROM engineer_tasks WHERE status = 'open' AND kind = 'role_policy' AND principal = ? "
                "ORDER BY task_id", [principal])]
            title = (f"Move {product} from {labels.get(step.from_model, step.from_model)} to "
                     f"{labels.get(step.to_model, step.to_model)} in {step.region} (role {role_name(principal)}, "
                     f"account {step.account_id})")
            task = create_task(ctx.store, created_at=ctx.now(), kind="migration", title=title, product=product,
                               principal=principal, command=task_command(step, step.from_model, principal, policy_tasks),
                               undo_command=None, policy_json=None, created_by=ctx.caller.email, source_ref=source_ref)
            superseded += _supersede_same_move(ctx, task, principal, step)
            tasks.append(task)
    return tasks, superseded, sorted(set(skipped))


def _supersede_same_move(ctx: ToolContext, task: TaskSummary, principal: str, step: MigrationStep) -> list[str]:
    """An open migration task for the same role, Region and old model is replaced by the new one."""
    like = f"%in {step.region} (role {role_name(principal)},%"
    stale = [r[0] for r in ctx.store.rows(
        "SELECT task_id FROM engineer_tasks WHERE status = 'open' AND kind = 'migration' AND principal = ? "
        "AND task_id <> ? AND title LIKE ? AND command LIKE ?",
        [principal, task.task_id, like, f"%replace the model id {step.from_model} %"])]
    if stale:
        ctx.store.con.execute("UPDATE engineer_tasks SET status = 'superseded', note = ? "
                              "WHERE list_contains(?::VARCHAR[], task_id)", [f"superseded by {task.task_id}: do not run", stale])
    return stale
