"""Scheduled Slack posts. Each job is a plain function `job(store, contexts, client, today)`.

- weekly_spend_cards: each Product Owner gets a DM per product: last complete week's actual against
  the pro-rated estimate, with an Approve button.
- drift_digest: the FinOps Leads' channel gets the night's model drift, with decision buttons.
- quota_alerts: a product's Product Owners (and the FinOps channel) are told when it crosses the
  soft (80%) or hard (100%) threshold of its month's estimate.

Figures come from the tools (spend_card, model_drift, quota_status) called as the recipient, so a
Product Owner's card holds only what they may see. Every post is recorded in the audit log
(actor system:scheduler); a post already recorded is not sent again, so a job can run twice (or
after a restart) without repeating itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from ledger import audit, registry
from ledger.org_schema import Person
from ledger.store import Store
from slack_app import blocks as kit
from slack_app.config import SlackSettings
from slack_app.runtime import ContextFactory
from tools import toolset
from tools.caller import Caller, resolve_caller
from tools.context import ToolContext
from tools.errors import ToolError, UnknownCaller

log = logging.getLogger("steward.schedule")
ACTOR = "system:scheduler"


@dataclass(frozen=True)
class Post:
    kind: str          # spend_card | drift_digest | quota_alert
    channel: str       # a Slack user id (DM) or channel id
    subject: str       # what the audit entry records
    to: str | None = None  # recipient email for a DM


class Pacer:
    """At most one post per channel per `interval` seconds (Slack's chat.postMessage limit is about
    one message per second per channel): a post to a channel posted to less than `interval` ago
    waits for the rest of it. Channels are paced apart, so a burst to many DMs is not slowed."""

    def __init__(self, interval: float = 1.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval, self.clock, self.sleep = interval, clock, sleep
        self._last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        last = self._last.get(channel)
        if last is not None and (left := self.interval - (self.clock() - last)) > 0:
            self.sleep(left)
        self._last[channel] = self.clock()


class Posts(list):
    """The posts a job sent; `failed` counts the ones Slack did not take (each is audited with
    outcome error, and retried on the next run: only a delivered post is recorded as sent)."""

    failed = 0

    def __init__(self, pacer: Pacer | None = None) -> None:
        super().__init__()
        self.pacer = pacer or Pacer()


def recipient_context(store: Store, contexts: ContextFactory, email: str, today: date) -> ToolContext:
    """The ToolContext of a scheduled post's recipient: their own scope, as if they had asked in Slack."""
    return replace(contexts(store, resolve_caller(store, email, channel="slack")), today=today)


def _sent(store: Store, action: str, subject: str) -> bool:
    """Delivered before (an audited post with outcome ok): failed deliveries do not count."""
    return bool(store.scalar("SELECT count(*) FROM audit_log WHERE action = ? AND subject = ? AND actor = ? "
                             "AND outcome = 'ok'", [action, subject, ACTOR]))


def record_delivery(store: Store, action: str, subject: str, details: dict) -> None:
    """Record a delivery Slack took (outcome ok): what `_sent` finds, so it is not sent again."""
    audit.append(store, actor=ACTOR, action=action, subject=subject, details=details)


def _post(store: Store, client: WebClient, channel: str, text: str, blocks: list[dict], posts: Posts, *,
          action: str, subject: str) -> bool:
    """Post (paced per channel; the client retries a 429 after its Retry-After)."""
    return deliver(store, channel, lambda: client.chat_postMessage(channel=channel, text=kit.escape(text)[:3000],
                                                                   blocks=blocks),
                   posts, action=action, subject=subject)


def deliver(store: Store, channel: str, send: Callable[[], object], posts: Posts, *, action: str,
            subject: str) -> bool:
    """Send one delivery to `channel` (paced); one Slack did not take is audited with outcome error and
    counted, so the job fails and runs again (deliveries already recorded as sent are not repeated)."""
    posts.pacer.wait(channel)
    try:
        send()
        return True
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
    except (SlackClientError, OSError) as exc:  # Slack unreachable: the delivery is retried next run
        error = f"{type(exc).__name__}: {exc}"
    log.warning("could not deliver %s to %s: %s", subject, channel, error)
    audit.append(store, actor=ACTOR, action=action, subject=subject, details={"channel": channel, "error": error},
                 outcome="error")
    posts.failed += 1
    return False


def _lead(store: Store) -> Person | None:
    leads = registry.people_with_persona(store, "finops_lead")
    return leads[0] if leads else None


def _caller_or_none(store: Store, email: str) -> Caller | None:
    try:
        return resolve_caller(store, email, channel="slack")
    except UnknownCaller:
        return None


# ============================================================================ jobs

def weekly_spend_cards(store: Store, contexts: ContextFactory, client: WebClient, today: date, *,
                       pacer: Pacer | None = None) -> Posts:
    """Each Product Owner with a Slack id: one DM per owned product with last week's card."""
    posts = Posts(pacer)
    for person in registry.people_with_persona(store, "product_owner"):
        if not person.slack_id:
            log.info("spend cards: %s has no slack_id in the org file; skipped", person.email)
            continue
        ctx = recipient_context(store, contexts, person.email, today)
        for product in sorted(ctx.caller.owned_products):
            try:
                card = toolset.call(ctx, "spend_card", {"product": product}).model_dump(mode="json")
            except ToolError as exc:
                log.info("spend card for %s: %s", product, exc)
                continue
            subject = f"{product} week of {card['week_start']} to {person.email}"
            if _sent(store, "slack.spend_card", subject):
                continue
            if _post(store, client, person.slack_id, card["summary"], kit.spend_card_blocks(card, ctx.caller), posts,
                     action="slack.spend_card", subject=subject):
                record_delivery(store, "slack.spend_card", subject,
                        {"to": person.email, "product": product, "week_start": card["week_start"],
                         "actual_usd": card["actual_usd"], "estimate_usd": card["estimate_usd"]})
                posts.append(Post("spend_card", person.slack_id, subject, person.email))
    return posts


def drift_digest(store: Store, contexts: ContextFactory, client: WebClient, today: date, *,
                 slack: SlackSettings, pacer: Pacer | None = None) -> Posts:
    """The month's model drift, as a FinOps Lead sees it, to the FinOps Leads' channel; once a day."""
    channel, lead = slack.finops_channel, _lead(store)
    if not channel or lead is None:
        log.info("drift digest skipped: %s", "STEWARD_SLACK_FINOPS_CHANNEL is not set" if not channel
                 else "no FinOps Lead in the registry")
        return Posts()
    posts = Posts(pacer)
    subject = f"drift digest {today}"
    if _sent(store, "slack.drift_digest", subject):
        return posts
    ctx = recipient_context(store, contexts, lead.email, today)
    drift = toolset.call(ctx, "model_drift", {}).model_dump(mode="json")
    if _post(store, client, channel, drift["summary"], kit.drift_digest_blocks(drift, ctx.caller), posts,
             action="slack.drift_digest", subject=subject):
        record_delivery(store, "slack.drift_digest", subject,
                {"channel": channel, "models": drift["models"], "total_usd": drift["total_usd"]})
        posts.append(Post("drift_digest", channel, subject))
    return posts


def _owners(store: Store) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = {}
    for person in registry.people_with_persona(store, "product_owner"):
        for role in person.roles:
            if role.persona == "product_owner":
                for product in role.products:
                    out.setdefault(product, []).append(person)
    return out


def quota_alerts(store: Store, contexts: ContextFactory, client: WebClient, today: date, *,
                 slack: SlackSettings, pacer: Pacer | None = None) -> Posts:
    """Alert each product's Product Owners (and the FinOps channel) once per month and level when
    its month to date reaches the soft (warning) or hard (exceeded) share of its estimate. Delivery
    is recorded per recipient: one whose DM failed is retried on the next run, the others are not."""
    lead = _lead(store)
    if lead is None:
        log.info("quota alerts skipped: no FinOps Lead in the registry")
        return Posts()
    ctx = recipient_context(store, contexts, lead.email, today)
    quota = toolset.call(ctx, "quota_status", {}).model_dump(mode="json")
    owners = _owners(store)
    posts = Posts(pacer)
    for q in quota["products"]:
        if q["state"] not in ("warning", "exceeded"):
            continue
        alert = f"{q['product']} {quota['month']} {q['state']}"
        blocks = kit.quota_alert_blocks(q, quota["month"], quota["data_through"])
        text = f"{q['product']}: {q['state']} ({kit.pct(q['share_used'])} of the {quota['month']} estimate)"
        recipients = [(person.slack_id, person.email) for person in owners.get(q["product"], [])
                      if person.slack_id and _caller_or_none(store, person.email) is not None]
        if slack.finops_channel:
            recipients.append((slack.finops_channel, None))
        for channel, email in recipients:
            subject = f"{alert} to {email or channel}"
            if _sent(store, "slack.quota_alert", subject):
                continue
            if _post(store, client, channel, text, blocks, posts, action="slack.quota_alert", subject=subject):
                record_delivery(store, "slack.quota_alert", subject,
                        {"to": email or channel, "actual_usd": q["actual_usd"], "estimate_usd": q["estimate_usd"],
                         "share_used": q["share_used"]})
                posts.append(Post("quota_alert", channel, subject, email))
    return posts
