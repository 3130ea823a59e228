"""Scheduled posts: each job is called directly with (store, contexts, client, today); the figures are
checked against independent sums over the fixture rows."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk import WebClient

from ledger import audit
from slack_app import blocks as kit
from slack_app.config import SlackSettings
from slack_app.runtime import ContextFactory
from tests.fake_slack import FakeSlack
from slack_app.schedule import Pacer, drift_digest, quota_alerts, weekly_spend_cards
from steward.settings import Settings
from steward.wiring import context_for
from tests.figures import usd
from tests.orgfixture import (
    CHECKOUT,
    DRIFT_STREAMS,
    ROWS,
    TODAY,
    day,
    principal_of,
    product_of,
)

WEEK = (date(2026, 11, 9), date(2026, 11, 16))   # the last complete week before Sat 21 Nov
NOV = (date(2026, 11, 1), date(2026, 12, 1))
CHANNEL = "C0FINOPS01"
SLACK = SlackSettings(finops_channel=CHANNEL)


def spent(product: str, start: date, end: date) -> float:
    return round(sum(r["line_item_unblended_cost"] for r in ROWS if r["line_item_line_item_type"] == "Usage"
                     and start <= day(r) < end and product_of(r) == product), 2)


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


@pytest.fixture
def client(fake) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


@pytest.fixture
def contexts(fresh_org_store) -> ContextFactory:
    return context_for(Settings(store={"db": fresh_org_store.path}, as_of=TODAY))


def dms(fake: FakeSlack) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for c in fake.of("chat.postMessage"):
        out.setdefault(c.args["channel"], []).append(c.args)
    return out


# ------------------------------------------------------------------ weekly spend cards

def test_each_product_owner_gets_a_card_per_product_with_the_right_figures(fresh_org_store, contexts, client,
                                                                           fake) -> None:
    posts = weekly_spend_cards(fresh_org_store, contexts, client, TODAY)
    got = dms(fake)
    assert {p.to for p in posts} == {"maria@example.com", "hana@example.com", "omar@example.com"}
    assert sorted(got) == ["U0HANA001", "U0MARIA01", "U0OMAR001"]
    assert len(got["U0MARIA01"]) == 2 and len(got["U0HANA001"]) == 1

    expected = {"Checkout": 300 * 7 / 30, "Fraud": 200 * 7 / 30, "HR Portal": 900 * 7 / 30, "App": None}
    for cards in got.values():
        for card in cards:
            head = card["blocks"][0]["text"]["text"]
            product = head.split(" · ")[0]
            actual = spent(product, *WEEK)
            assert head.startswith(f"{product} · week of 9 Nov 2026: {usd(actual)}")
            if expected[product] is not None:
                assert head.endswith(f"vs {usd(expected[product])} estimate")
            assert kit.APPROVE_CARD in json.dumps(card["blocks"])  # complete week awaiting approval
    maria = json.dumps(got["U0MARIA01"])
    assert "Checkout" in maria and "Fraud" in maria
    assert "HR Portal" not in maria and "hr-bedrock" not in maria and "222222222222" not in maria
    assert "Checkout" not in json.dumps(got["U0HANA001"])


def test_spend_cards_are_sent_once_per_week_and_an_approved_card_has_no_button(fresh_org_store, contexts, client,
                                                                                fake) -> None:
    from tests.conftest import make_ctx
    from tools import toolset

    toolset.call(make_ctx(fresh_org_store, "maria@example.com"), "approve_spend_card",
                 {"product": "Checkout", "week_start": "2026-11-09"})
    weekly_spend_cards(fresh_org_store, contexts, client, TODAY)
    cards = {c["blocks"][0]["text"]["text"].split(" · ")[0]: c for c in dms(fake)["U0MARIA01"]}
    assert kit.APPROVE_CARD not in json.dumps(cards["Checkout"]["blocks"])
    assert "approved by maria@example.com" in json.dumps(cards["Checkout"]["blocks"])
    assert kit.APPROVE_CARD in json.dumps(cards["Fraud"]["blocks"])

    fake.clear()
    assert weekly_spend_cards(fresh_org_store, contexts, client, TODAY) == []
    assert fake.of("chat.postMessage") == []
    entries = audit.entries(fresh_org_store, action="slack.spend_card")
    assert len(entries) == 4 and all(e.actor == "system:scheduler" for e in entries)


# ------------------------------------------------------------------ drift digest

def drift_total() -> float:
    keys = {(p, f"{prefix}-{billing}-") for p, _a, prefix, billing, *_ in DRIFT_STREAMS}
    return round(sum(r["line_item_unblended_cost"] for r in ROWS if r["line_item_line_item_type"] == "Usage"
                     and NOV[0] <= day(r) < NOV[1]
                     and any(principal_of(r) == p and r["line_item_usage_type"].startswith(u) for p, u in keys)), 2)


def test_the_nightly_drift_digest_goes_to_the_finops_channel_once_a_day(fresh_org_store, contexts, client,
                                                                        fake) -> None:
    posts = drift_digest(fresh_org_store, contexts, client, TODAY, slack=SLACK)
    assert [p.channel for p in posts] == [CHANNEL]
    [post] = fake.of("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    blocks = post.args["blocks"]
    assert blocks[0]["text"]["text"] == ("Nightly drift digest · Model drift November 2026: 4 model(s) outside "
                                         f"the catalog, {usd(drift_total())}")
    opus = round(sum(r["line_item_unblended_cost"] for r in ROWS if principal_of(r) == CHECKOUT
                     and r["line_item_usage_type"].startswith("USE1-Claude4.6Opus-")), 2)
    assert f"*Claude Opus 4.6* · Checkout · 111111111111 us-east-1 · {usd(opus)}" in json.dumps(blocks,
                                                                                             ensure_ascii=False)
    decided = [json.loads(e["value"])["m"] for b in blocks if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == kit.DECIDE["approved"]]
    assert sorted(decided) == sorted({m for *_, m, _k, _t, _p in DRIFT_STREAMS})
    fake.clear()
    assert drift_digest(fresh_org_store, contexts, client, TODAY, slack=SLACK) == []
    assert fake.calls == []


def test_no_channel_no_digest(fresh_org_store, contexts, client, fake) -> None:
    assert drift_digest(fresh_org_store, contexts, client, TODAY, slack=SlackSettings(finops_channel=None)) == []
    assert fake.calls == []


# ------------------------------------------------------------------ quota alerts

def test_a_product_over_its_estimate_alerts_its_owner_and_the_finops_channel(fresh_org_store, contexts, client,
                                                                              fake) -> None:
    checkout = spent("Checkout", *NOV)
    assert checkout >= 300  # the fixture is built so that Checkout has exceeded its 300 USD estimate
    posts = quota_alerts(fresh_org_store, contexts, client, TODAY, slack=SLACK)
    assert {(p.channel, p.subject) for p in posts} == {("U0MARIA01", "Checkout 2026-11 exceeded to maria@example.com"),
                                                       (CHANNEL, f"Checkout 2026-11 exceeded to {CHANNEL}")}
    text = fake.of("chat.postMessage")[0].args["blocks"][0]["text"]["text"]
    assert f"{usd(checkout)} of $300 ({checkout / 300:.0%})" in text and "hard threshold" in text
    assert "HR Portal" not in json.dumps(dms(fake)["U0MARIA01"])

    # crossing the soft threshold of another product alerts once; nothing repeats
    fraud = spent("Fraud", *NOV)
    fresh_org_store.con.execute("UPDATE estimates SET usd = ? WHERE product = 'Fraud' AND month = '2026-11'",
                                [round(fraud / 0.9, 2)])
    fake.clear()
    posts = quota_alerts(fresh_org_store, contexts, client, TODAY, slack=SLACK)
    assert {(p.channel, p.subject) for p in posts} == {("U0MARIA01", "Fraud 2026-11 warning to maria@example.com"),
                                                       (CHANNEL, f"Fraud 2026-11 warning to {CHANNEL}")}
    assert "soft threshold" in fake.of("chat.postMessage")[0].args["blocks"][0]["text"]["text"]
    fake.clear()
    assert quota_alerts(fresh_org_store, contexts, client, TODAY, slack=SLACK) == []
    assert fake.calls == []
    assert len(audit.entries(fresh_org_store, action="slack.quota_alert")) == 4  # one per recipient and alert


def test_a_recipient_slack_refused_is_audited_and_alone_retried(fresh_org_store, contexts, client, fake) -> None:
    """Delivery is per recipient: Maria's DM fails, the FinOps channel gets the alert; the next run
    sends it to Maria only."""
    fake.fail_channel["U0MARIA01"] = "channel_not_found"
    first = quota_alerts(fresh_org_store, contexts, client, TODAY, slack=SLACK)
    assert [p.channel for p in first] == [CHANNEL] and first.failed == 1
    failed = [e for e in audit.entries(fresh_org_store, action="slack.quota_alert") if e.outcome == "error"]
    assert [(e.subject, e.details["error"]) for e in failed] == [
        ("Checkout 2026-11 exceeded to maria@example.com", "channel_not_found")]
    del fake.fail_channel["U0MARIA01"]
    fake.clear()
    second = quota_alerts(fresh_org_store, contexts, client, TODAY, slack=SLACK)
    assert [(p.channel, p.to) for p in second] == [("U0MARIA01", "maria@example.com")] and second.failed == 0
    assert [c.args["channel"] for c in fake.of("chat.postMessage")] == ["U0MARIA01"]


def test_a_rate_limited_post_is_retried_after_retry_after(fresh_org_store, contexts, fake) -> None:
    """HTTP 429 with Retry-After: the client waits and posts again (slack_sdk's handler, which
    build_app and serve install); the digest is delivered and recorded once."""
    from slack_app.app import honour_rate_limits

    fake.rate_limited["chat.postMessage"] = 1
    client = honour_rate_limits(WebClient(token="xoxb-test", base_url=fake.api_url))
    posts = drift_digest(fresh_org_store, contexts, client, TODAY, slack=SLACK)
    assert [p.channel for p in posts] == [CHANNEL] and posts.failed == 0
    assert [c.status for c in fake.calls if c.method == "chat.postMessage"] == [429, 200]
    assert [e.outcome for e in audit.entries(fresh_org_store, action="slack.drift_digest")] == ["ok"]


def test_posts_to_one_channel_are_paced_and_other_channels_are_not() -> None:
    """Slack allows about one message per second per channel: a second post to the same channel
    waits for the rest of the second; a post to another channel does not wait."""
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    pacer = Pacer(1.0, clock=lambda: now[0], sleep=sleep)
    pacer.wait("U0MARIA01")
    now[0] += 0.25
    pacer.wait("U0MARIA01")
    pacer.wait("U0HANA001")
    now[0] += 2.0
    pacer.wait("U0MARIA01")
    assert slept == [0.75]


def test_the_weekly_cards_pace_the_second_dm_to_the_same_person(fresh_org_store, contexts, client, fake) -> None:
    waits: list[str] = []

    class Recording(Pacer):
        def wait(self, channel: str) -> None:
            waits.append(channel)
            super().wait(channel)

    slept: list[float] = []
    weekly_spend_cards(fresh_org_store, contexts, client, TODAY, pacer=Recording(sleep=slept.append))
    assert sorted(waits) == ["U0HANA001", "U0MARIA01", "U0MARIA01", "U0OMAR001"]
    assert len(slept) == 1 and 0 < slept[0] <= 1.0  # Maria's second card waited; nobody else did
