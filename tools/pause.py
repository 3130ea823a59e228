"""Pause and resume: a FinOps Lead stops a product's Bedrock use (and restores it) through engineer tasks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from ledger.principals import account_of, principal_type, role_name
from ledger.store import Store
from tools import iam_policy as iam
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.scope import require_product
from tools.tasks import TaskSummary, create_task, next_audit_ref, supersede_open_tasks
from tools.write_checks import FINOPS_LEAD, not_blank


class PauseArgs(BaseModel):
    product: str = Field(description="The product to pause or resume.")
    rationale: str = Field(description="Why: required, kept in the audit log and shown with the tasks.")

    _v_rationale = field_validator("rationale")(not_blank)


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


@tool(name="pause_product", personas=FINOPS_LEAD, action="agentic", family="pause")
def pause_product(ctx: ToolContext, args: PauseArgs) -> PauseResult:
    """Stop a product's Bedrock use now: creates Cloud Engineer tasks that deny model invocation to its roles
    (resume_product lifts it).

    Stop a product's Bedrock use now: creates one Cloud Engineer task per claimed IAM role of the
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


@tool(name="resume_product", personas=FINOPS_LEAD, action="agentic", family="pause")
def resume_product(ctx: ToolContext, args: PauseArgs) -> PauseResult:
    """Lift a product's pause: creates Cloud Engineer tasks that remove the deny, and withdraws pause tasks not
    yet run.

    Lift a product's pause: creates one Cloud Engineer task per role whose pause was applied, with
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
