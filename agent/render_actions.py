"""Answers to actions and to 'who am I': the task queue, a task done, a write's message, a pause, the
caller's scope."""

from __future__ import annotations

from typing import Any

from agent.render_words import View, day
from ledger.personas import persona_names
from tools.catalog import names_text, plural


def task_queue(t: Any, v: View, args: dict) -> str:
    if not t.count:
        return f"No {t.status} tasks." + (" Nothing to implement right now." if t.status == "open" else "")
    lines = [f"{plural(t.count, t.status + ' task')}, oldest first:"]
    for x in t.tasks[:5]:
        why = f" Decided by {x.decided_by}" + (f": {x.why}" if x.why else "") + "." if x.decided_by else ""
        lines.append(f"- {x.task_id}: {x.title}.{why}")
        if x.status == "open":
            lines.append(f"  Run in account {x.account or 'the role account'}:\n  {x.command}")
    if t.count > 5:
        lines.append(f"- and {t.count - 5} more.")
    if t.status == "open":
        lines.append("Run each command as given, then mark it done: 'mark <task id> done'.")
    return "\n".join(lines)


def complete_task(c: Any, v: View, args: dict) -> str:
    note = f" Note: {c.note}." if c.note else ""
    return f"{c.task_id} marked done by {c.completed_by} at {c.completed_at:%Y-%m-%d %H:%M}: {c.title}.{note}"


def message(r: Any, v: View, args: dict) -> str:
    return r.message


def pause(p: Any, v: View, args: dict) -> str:
    text = p.message
    if p.tasks:
        text += " Tasks: " + ", ".join(t.task_id for t in p.tasks) + "."
    return text


def my_scope(s: Any, v: View, args: dict) -> str:
    personas = persona_names(s.personas)
    text = f"You are {s.name or s.email} ({s.email}), {personas}."
    if s.all_access:
        text += f" You see the whole organisation: {plural(len(s.products), 'product')}."
    else:
        if s.owned_products:
            text += f" Product Owner of {names_text(s.owned_products, 0, 'product')}."
        if s.products:
            text += f" Products you can see: {', '.join(s.products)}."
        if s.accounts:
            text += f" Accounts whose unattributed spend you see: {', '.join(s.accounts)}."
    if s.data_through:
        text += f" CUR data runs through {day(s.data_through, year=True)}."
    return text
