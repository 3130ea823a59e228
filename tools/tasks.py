"""Engineer tasks: decisions turned into exact commands a Cloud Engineer runs, and marks done.

A FinOps Lead's agentic decision (decide_model, pause_product, resume_product, approve_migration) creates one task
per claimed role; `source_ref` links each task to the audit entry of that decision ("audit:<seq>")
and, when it closed one, the access request ("request:<id>").
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ledger.principals import account_of, role_name
from ledger.store import Store
from tools.context import ToolContext
from tools.errors import ToolError
from tools.declare import tool

TASK_PERSONAS = frozenset({"cloud_engineer", "finops_lead"})


# ------------------------------------------------------------------------------ helpers for writers


def next_audit_ref(store: Store) -> str:
    """The audit entry the running write will get: toolset.call appends it in the same
    transaction right after the tool returns, so it is the next sequence number."""
    seq = store.scalar("SELECT coalesce(max(seq), 0) + 1 FROM audit_log")
    return f"audit:{seq}"


def _next_task_number(store: Store) -> int:
    last = store.scalar("SELECT max(TRY_CAST(substr(task_id, 3) AS INTEGER)) FROM engineer_tasks "
                        "WHERE task_id LIKE 'T-%'")
    return (last or 0) + 1


class TaskSummary(BaseModel):
    task_id: str
    kind: str
    title: str
    product: str | None
    principal: str | None
    command: str
    undo_command: str | None = None
    status: str = "open"


def create_task(store: Store, *, created_at: datetime, kind: str, title: str, product: str | None,
                principal: str | None, command: str, undo_command: str | None,
                policy_json: str | None, created_by: str, source_ref: str) -> TaskSummary:
    """Insert one open task (ids T-000001, T-000002 ... sort in creation order)."""
    task_id = f"T-{_next_task_number(store):06d}"
    store.con.execute(
        "INSERT INTO engineer_tasks (task_id, created_at, kind, title, product, principal, command, "
        "undo_command, policy_json, status, created_by, source_ref) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        [task_id, created_at, kind, title, product, principal, command, undo_command, policy_json,
         created_by, source_ref])
    return TaskSummary(task_id=task_id, kind=kind, title=title, product=product, principal=principal,
                       command=command, undo_command=undo_command)


def supersede_open_tasks(store: Store, *, principal: str | None = None, product: str | None = None,
                         kinds: tuple[str, ...], by: str, exclude: str | None = None) -> list[str]:
    """Mark open tasks of these kinds (for a principal or a product) superseded; their ids."""
    where, params = ["status = 'open'", "list_contains(?::VARCHAR[], kind)", "task_id <> ?"], \
        [list(kinds), exclude or ""]
    if principal is not None:
        where.append("principal = ?")
        params.append(principal)
    if product is not None:
        where.append("product = ?")
        params.append(product)
    ids = [r[0] for r in store.rows(
        f"SELECT task_id FROM engineer_tasks WHERE {' AND '.join(where)} ORDER BY task_id", params)]
    if ids:
        store.con.execute(
            "UPDATE engineer_tasks SET status = 'superseded', note = ? "
            "WHERE list_contains(?::VARCHAR[], task_id)", [f"superseded by {by}: do not run", ids])
    return ids


# ------------------------------------------------------------------------------ task_queue


class TaskQueueArgs(BaseModel):
    status: Literal["open", "done", "superseded", "all"] = Field(
        "open", description="Which tasks: open (default: still to do), done, superseded, or all.")
    product: str | None = Field(None, description="Only tasks for this product.")


class Task(BaseModel):
    task_id: str
    kind: str = Field(description="role_policy (model decision), pause, resume or migration (approve_migration).")
    title: str
    product: str | None
    principal: str | None
    account: str | None = Field(description="The AWS account to run the command in.")
    role_name: str | None
    command: str = Field(description="The exact command to run.")
    undo_command: str | None = Field(description="The command that reverses it, if one is needed.")
    policy_json: str | None
    status: str
    created_at: datetime | None
    decided_by: str | None = Field(description="Who made the decision behind this task.")
    why: str | None = Field(description="The decision's rationale (or the access request's reason).")
    source_ref: str | None = Field(description="audit:<seq> of the decision; request:<id> if it closed one.")
    completed_by: str | None
    completed_at: datetime | None
    note: str | None


class TaskQueue(BaseModel):
    status: str
    count: int
    tasks: list[Task]


def _refs(source_ref: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (source_ref or "").split():
        kind, _, value = part.partition(":")
        out[kind] = value
    return out


def _decision(store: Store, source_ref: str | None) -> tuple[str | None, str | None]:
    refs = _refs(source_ref)
    by = why = None
    if refs.get("audit", "").isdigit():
        rows = store.rows("SELECT actor, why FROM audit_log WHERE seq = ?", [int(refs["audit"])])
        if rows:
            by, why = rows[0]
    if "request" in refs and why is None:
        rows = store.rows("SELECT reason FROM access_requests WHERE request_id = ?", [refs["request"]])
        why = rows[0][0] if rows else None
    return by, why


def _task(store: Store, r: dict[str, Any]) -> Task:
    by, why = _decision(store, r["source_ref"])
    principal = r["principal"]
    return Task(task_id=r["task_id"], kind=r["kind"], title=r["title"], product=r["product"],
                principal=principal, account=account_of(principal) if principal else None,
                role_name=role_name(principal) if principal else None, command=r["command"],
                undo_command=r["undo_command"], policy_json=r["policy_json"], status=r["status"],
                created_at=r["created_at"], decided_by=by or r["created_by"], why=why,
                source_ref=r["source_ref"], completed_by=r["completed_by"],
                completed_at=r["completed_at"], note=r["note"])


@tool(name="task_queue", personas=TASK_PERSONAS, action="read", family="tasks")
def task_queue(ctx: ToolContext, args: TaskQueueArgs) -> TaskQueue:
    """Cloud Engineer tasks from FinOps Lead decisions, oldest first, each with the exact command to run and the
    command that undoes it.

    Cloud Engineer work queue: the tasks FinOps Lead decisions created, oldest first, each with
    the exact command to run (in the role's account), the policy JSON, the command that undoes it,
    who decided and why (source_ref points at the audit entry of the decision). Default: open tasks.
    Run the command as given: no policy interpretation needed. Mark it done with complete_task."""
    where, params = [], []
    if args.status != "all":
        where.append("status = ?")
        params.append(args.status)
    if args.product:
        where.append("lower(product) = lower(?)")
        params.append(args.product.strip())
    sql = "SELECT * FROM engineer_tasks" + (f" WHERE {' AND '.join(where)}" if where else "")
    rows = ctx.store.dicts(sql + " ORDER BY task_id", params)
    tasks = [_task(ctx.store, r) for r in rows]
    return TaskQueue(status=args.status, count=len(tasks), tasks=tasks)


# ------------------------------------------------------------------------------ complete_task


class CompleteTaskArgs(BaseModel):
    task_id: str = Field(description="The task id, e.g. T-000012.")
    note: str | None = Field(None, description="What was done (e.g. the change ticket); kept with the task.")


class TaskCompleted(BaseModel):
    subject: str
    task_id: str
    title: str
    status: str
    completed_by: str
    completed_at: datetime
    note: str | None


@tool(name="complete_task", personas={"cloud_engineer"}, action="write", family="tasks")
def complete_task(ctx: ToolContext, args: CompleteTaskArgs) -> TaskCompleted:
    """Mark an open engineer task done after running its command.

    Mark an open engineer task done after running its command: records who completed it and
    when, which is the audit record that the decision was implemented. Only open tasks can be
    completed (a superseded task must not be run: a newer task replaced it)."""
    task_id = args.task_id.strip().upper()
    rows = ctx.store.dicts("SELECT task_id, title, status, completed_by, completed_at, note "
                           "FROM engineer_tasks WHERE task_id = ?", [task_id])
    if not rows:
        raise ToolError(f"there is no task {args.task_id}; see task_queue for open tasks")
    t = rows[0]
    if t["status"] == "done":
        raise ToolError(f"{task_id} was already completed by {t['completed_by']} at {t['completed_at']:%Y-%m-%d %H:%M}")
    if t["status"] != "open":
        raise ToolError(f"{task_id} is {t['status']} ({t['note'] or 'no note'}); do not run it")
    at = ctx.now()
    note = args.note.strip() if args.note and args.note.strip() else None
    ctx.store.con.execute(
        "UPDATE engineer_tasks SET status = 'done', completed_by = ?, completed_at = ?, note = ? "
        "WHERE task_id = ?", [ctx.caller.email, at, note, task_id])
    return TaskCompleted(subject=task_id, task_id=task_id, title=t["title"], status="done",
                         completed_by=ctx.caller.email, completed_at=at, note=note)


def task_policy(task: Task) -> dict[str, Any] | None:
    return json.loads(task.policy_json) if task.policy_json else None
