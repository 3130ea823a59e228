"""Monthly chargeback statements in Slack: on the first working day of a month each Portfolio Manager and
FinOps Lead gets the closed month's statement as a file, once; a restated month is sent again, marked.

The statement is the `chargeback_statement` tool called as the recipient (so a Portfolio Manager's
file holds only their portfolio's products, exactly as `steward report chargeback --as` scopes it);
the file itself is made by the `render` function the composition root hands in (csv or html). Each
delivery is recorded in the audit log with the statement's figures: a later run sends nothing while
they are unchanged, and a restated statement (a re-ingest changed the month) with the total before
and after. A recipient Slack did not take is audited as an error and alone retried on the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from slack_sdk import WebClient

from ledger import registry
from ledger.org_schema import Person
from ledger.store import Store
from slack_app.runtime import ContextFactory
from slack_app.schedule import ACTOR, Pacer, Post, Posts, deliver, recipient_context, record_delivery
from tools import toolset
from tools.errors import ToolError, UnknownCaller

log = logging.getLogger("steward.schedule")
ACTION = "slack.statement"
RECIPIENT_PERSONAS = ("portfolio_manager", "finops_lead")
Render = Callable[[Any, str], tuple[bytes, str]]  # (statement, format) -> (content, file name)


def first_working_day(year: int, month: int) -> date:
    """The month's first Monday-to-Friday day (public holidays are not known here)."""
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def closed_month_due(today: date) -> str | None:
    """The closed month (YYYY-MM) whose statements are due on `today`: the previous month, from this
    month's first working day on; None before it."""
    if today < first_working_day(today.year, today.month):
        return None
    return f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"


def _figures(statement: Any) -> str:
    """A digest of every line's money columns: it changes when the statement's figures change."""
    lines = [ln.model_dump(mode="json") for ln in [*statement.lines, statement.total]]
    return hashlib.sha256(json.dumps(lines, sort_keys=True).encode()).hexdigest()[:16]


def _last_sent(store: Store, subject: str) -> dict | None:
    """The details of the last delivery of `subject` Slack took, or None."""
    rows = store.rows("SELECT details FROM audit_log WHERE action = ? AND subject = ? AND actor = ? "
                      "AND outcome = 'ok' ORDER BY seq DESC LIMIT 1", [ACTION, subject, ACTOR])
    if not rows:
        return None
    return rows[0][0] if isinstance(rows[0][0], dict) else json.loads(rows[0][0])


def _recipients(store: Store) -> list[Person]:
    seen: dict[str, Person] = {}
    for persona in RECIPIENT_PERSONAS:
        for person in registry.people_with_persona(store, persona):
            if not person.slack_id:
                log.info("statements: %s has no slack_id in the org file; skipped", person.email)
                continue
            seen.setdefault(person.email, person)
    return list(seen.values())


def statement_text(statement: Any, before: dict | None) -> str:
    """The message beside the file; a restatement says the total before and after."""
    month = date.fromisoformat(f"{statement.period}-01").strftime("%B %Y")
    by = statement.by.replace("_", " ")
    total = f"${statement.total.total_usd:,.2f}"
    if before is None:
        return f"Your Bedrock chargeback statement for {month}, by {by}: total {total} (attached)."
    why = "the month's CUR was delivered again" if statement.restated else "its attribution changed"
    return (f"Restated: your Bedrock chargeback statement for {month} changed since it was sent "
            f"({why}): total ${before['total_usd']:,.2f} -> {total}. The restated statement is attached.")


def _send(client: WebClient, slack_id: str, content: bytes, name: str, title: str, text: str) -> None:
    """A file in the recipient's DM (files_upload_v2 shares into a conversation id, so open the DM)."""
    channel = client.conversations_open(users=slack_id)["channel"]["id"]
    client.files_upload_v2(channel=channel, content=content, filename=name, title=title, initial_comment=text)


def monthly_statements(store: Store, contexts: ContextFactory, client: WebClient, today: date, *,
                       render: Render, fmt: str = "html", by: str = "product",
                       pacer: Pacer | None = None) -> Posts:
    """Send the closed month's statement to each recipient who has not had these figures yet."""
    posts = Posts(pacer)
    period = closed_month_due(today)
    if period is None:
        return posts
    for person in _recipients(store):
        try:
            ctx = recipient_context(store, contexts, person.email, today)
            statement = toolset.call(ctx, "chargeback_statement", {"month": period, "by": by})
        except (ToolError, UnknownCaller) as exc:
            log.info("statement for %s: %s", person.email, exc)
            continue
        if statement.ingested_at is None:
            log.info("statements for %s: no CUR ingested for the month yet", period)
            return posts
        subject, figures = f"chargeback {period} to {person.email}", _figures(statement)
        before = _last_sent(store, subject)
        if before is not None and before.get("figures") == figures:
            continue
        text = statement_text(statement, before)
        if before is not None:  # the file itself says it is restated (its title, and its name)
            statement = statement.model_copy(update={"restated": True})
        content, name = render(statement, fmt)
        title = f"Bedrock chargeback {period}" + (" (restated)" if before is not None else "")
        if before is not None:
            name = name.replace(period, f"{period}-restated", 1)
        if deliver(store, person.slack_id, lambda: _send(client, person.slack_id, content, name, title, text),
                   posts, action=ACTION, subject=subject):
            record_delivery(store, ACTION, subject, {
                "to": person.email, "period": period, "by": by, "format": fmt, "file": name, "figures": figures,
                "total_usd": statement.total.total_usd, "restated": before is not None,
                **({"total_before_usd": before["total_usd"]} if before is not None else {})})
            posts.append(Post("statement", person.slack_id, subject, person.email))
    return posts
