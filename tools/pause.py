"""Pause and resume: a FinOps Lead stops a product's Bedrock use (and restores it) through engineer tasks."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ledger.principals import account_of, principal_type, role_name
from ledger.store import Store
from tools import iam_policy as iam
from tools.context import ToolContext
from tools.declare import tool
from tools.errors import ToolError
from tools.pause_shared import policy_name, shared_role_pauses
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
    skipped_principals: list[str] = Field(description="Claimed principals, and principals calling through the "
                                                      "product's profiles or tags, that are not IAM roles.")
    limits: list[str] = Field([], description="What the pause does not stop: on a shared role reached through a "
                                              "profile or tag, only the product's own calls are denied.")
    message: str


def _pause_batch(store: Store, product: str) -> list[dict[str, Any]]:
    """The pause tasks in force: those after the last resume, unless superseded. Empty: not paused."""
    rows = store.dicts("SELECT task_id, kind, status, principal, policy_json FROM engineer_tasks WHERE product = ? "
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
    A product reached through an application inference profile or tag on a role it does not claim (a
    shared role) is not paused by pausing the role: that role gets a narrower Deny (invocation through
    the product's profiles, or by sessions with its principal tag), and `limits` says what keeps running.
    Rationale required."""
    product = require_product(ctx, args.product)
    if _pause_batch(ctx.store, product):
        raise ToolError(f"{product} is already paused; use resume_product to lift it")
    roles = iam.claimed_roles(ctx.store, product)
    shared, shared_skipped, limits = shared_role_pauses(ctx.store, product, {p for p, _ in roles})
    if not roles and not shared:
        raise ToolError(f"{product} has no claimed IAM roles to pause, and no role calls it through a claimed "
                        "profile or principal tag" + (f" ({limits[0]})" if limits else ""))
    source_ref = next_audit_ref(ctx.store)
    stale = supersede_open_tasks(ctx.store, product=product, kinds=("resume",), by="a new pause")
    tasks = [_pause_task(ctx, product, principal, iam.PAUSE_POLICY_NAME, iam.pause_policy(),
                         "deny Bedrock invocation", source_ref) for principal, _ in roles]
    tasks += [_pause_task(ctx, product, p.principal, policy_name(product), p.policy(),
                          f"deny Bedrock invocation {p.what()} only (a shared role: its other calls keep "
                          "running)", source_ref) for p in shared]
    message = f"{product} is paused once the Cloud Engineer runs {len(tasks)} task(s)."
    if limits:
        message += f" Not covered: {'; '.join(limits)}."
    return PauseResult(subject=product, product=product, paused=True, tasks=tasks, superseded_tasks=stale,
                       skipped_principals=sorted({*_non_roles(ctx.store, product), *shared_skipped}),
                       limits=limits, message=message)


def _pause_task(ctx: ToolContext, product: str, principal: str, name: str, policy: dict[str, Any], what: str,
                source_ref: str) -> TaskSummary:
    """One pause task: put the inline Deny `name` on the role; its undo deletes it."""
    role = role_name(principal) or principal
    return create_task(
        ctx.store, created_at=ctx.now(), kind="pause",
        title=f"Pause {product}: {what} on role {role} in account {account_of(principal)}",
        product=product, principal=principal, command=iam.put_role_policy_command(role, name, policy),
        undo_command=iam.delete_role_policy_command(role, name), policy_json=iam.policy_json(policy),
        created_by=ctx.caller.email, source_ref=source_ref)


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
    whole_role = iam.policy_json(iam.pause_policy())
    for r in batch:
        if r["status"] != "done":
            continue
        principal = r["principal"]
        name = role_name(principal) or principal
        # A shared role's pause is the product's own narrower policy, beside any pause of the role itself.
        policy_in_force = iam.PAUSE_POLICY_NAME if r["policy_json"] == whole_role else policy_name(product)
        tasks.append(create_task(
            ctx.store, created_at=ctx.now(), kind="resume",
            title=f"Resume {product}: remove {policy_in_force} from role {name} in account "
                  f"{account_of(principal)}",
            product=product, principal=principal,
            command=iam.delete_role_policy_command(name, policy_in_force),
            undo_command=iam.put_role_policy_command(name, policy_in_force, json.loads(r["policy_json"])),
            policy_json=None, created_by=ctx.caller.email, source_ref=source_ref))
    msg = (f"{product} resumes once the Cloud Engineer runs {len(tasks)} task(s)" if tasks
           else f"{product} resumed: its pause had not been applied yet")
    if withdrawn:
        msg += f"; withdrew {len(withdrawn)} pause task(s) not yet run"
    return PauseResult(subject=product, product=product, paused=False, tasks=tasks,
                       superseded_tasks=withdrawn, skipped_principals=_non_roles(ctx.store, product),
                       message=msg + ".")
