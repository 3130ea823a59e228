"""The Slack front door, driven through the real Bolt app with signed requests; Slack's Web API is a
loopback fake (port 0) that records every call."""

from __future__ import annotations

import json
import logging
import time
from datetime import date

import pytest
from slack_sdk import WebClient

from ledger import audit
from slack_app import blocks as kit
from slack_app.app import build_app
from slack_app.config import SlackSettings
from tests.fake_slack import (
    SECRET,
    FakeSlack,
    ScriptedAnswerer,
    bolt_request,
    command_body,
    dm,
    event_body,
    home_opened,
    mention,
)
from steward.settings import Settings
from steward.wiring import context_for
from tests.figures import usd
from tests.orgfixture import ROWS, TODAY, day, product_of

MARIA, HANA, PRIYA, LEAD, ENG = "U0MARIA01", "U0HANA001", "U0PRIYA01", "U0LEAD001", "U0ENG0001"
STRANGER = "U0STRANGE1"
# Every name of the fixture org a stranger must not learn.
ORG_NAMES = ["Checkout", "Fraud", "HR Portal", "Retail", "Corporate", "Digital", "Payments", "Mobile",
             "HR Tech", "Maria", "Hana", "Omar", "Priya", "Lee Adams", "111111111111", "222222222222",
             "333333333333", "bedrock", "$"]


def nov_actual(product: str) -> float:
    """Independent: November usage cost attributed to the product, from the fixture rows."""
    return round(sum(r["line_item_unblended_cost"] for r in ROWS if r["line_item_line_item_type"] == "Usage"
                     and date(2026, 11, 1) <= day(r) < date(2026, 12, 1) and product_of(r) == product), 2)


def make_app(store, fake: FakeSlack, answerer=None, **slack):
    settings = Settings(store={"db": store.path}, as_of=TODAY)
    conf = SlackSettings(signing_secret=SECRET, bot_token="xoxb-test-token", **slack)
    client = WebClient(token="xoxb-test-token", base_url=fake.api_url)
    return build_app(store, slack=conf, contexts=context_for(settings), client=client,
                     answerer=answerer or ScriptedAnswerer(),
                     process_before_response=True)


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


@pytest.fixture
def answerer() -> ScriptedAnswerer:
    return ScriptedAnswerer()


@pytest.fixture
def app(org_store, fake, answerer):
    a = make_app(org_store, fake, answerer)
    yield a
    a.steward.stores.close()


def everything(fake: FakeSlack) -> str:
    return "\n".join(c.text() for c in fake.calls)


def action_ids(blocks: list[dict]) -> set[str]:
    return {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


# ------------------------------------------------------------------ signatures

def test_requests_without_a_valid_fresh_signature_get_401_and_do_nothing(app, fake, answerer) -> None:
    body = event_body(mention(MARIA, "how are we doing against estimate?"))
    cases = {
        "unsigned": bolt_request(body, None),
        "wrong signature": bolt_request(body, signature="v0=" + "0" * 64),
        "other secret": bolt_request(body, "not-the-secret"),
        "stale (10 min old)": bolt_request(body, timestamp=int(time.time()) - 600),
        "from the future": bolt_request(body, timestamp=int(time.time()) + 600),
        "body changed after signing": bolt_request(body.replace("estimate", "estimates", 1), signature=
                                                   bolt_request(body).headers["x-slack-signature"][0]),
    }
    for name, req in cases.items():
        assert app.dispatch(req).status == 401, name
    assert answerer.asked == []
    assert fake.calls == []


def test_a_signed_request_is_accepted(app) -> None:
    assert app.dispatch(bolt_request(event_body(mention(MARIA, "estimate for Checkout")))).status == 200


# ------------------------------------------------------------------ questions

def test_mention_reacts_answers_in_the_thread_with_her_figures_and_a_burnup_chart(app, fake, answerer) -> None:
    resp = app.dispatch(bolt_request(event_body(mention(MARIA, "how is Checkout doing against estimate?",
                                                        ts="1700000001.000100"))))
    assert resp.status == 200
    methods = fake.methods()
    assert methods.index("reactions.add") < methods.index("chat.postMessage") < methods.index("reactions.remove")
    assert fake.of("reactions.add")[0].args["name"] == "hourglass_flowing_sand"
    post = fake.of("chat.postMessage")[0].args
    assert post["channel"] == "C0TEST001" and post["thread_ts"] == "1700000001.000100"
    blocks = post["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == (f"Checkout: {usd(nov_actual('Checkout'))} month to date of "
                                         f"$300 estimate ({nov_actual('Checkout') / 300:.0%})")
    assert blocks[-1]["type"] == "context" and "CUR data through 2026-11-20" in json.dumps(blocks[-1])
    assert "HR Portal" not in everything(fake) and "222222222222" not in everything(fake)
    # the burn-up chart goes to the same thread through files_upload_v2
    assert fake.of("upload")[0].args["_bytes"] > 1000
    complete = fake.of("files.completeUploadExternal")[0].args
    assert complete["channel_id"] == "C0TEST001" and complete["thread_ts"] == "1700000001.000100"
    # the agent got a thread id of this user's thread only (history never crosses people)
    assert answerer.asked == [("maria@example.com", "how is Checkout doing against estimate?",
                               f"slack:C0TEST001:1700000001.000100:{MARIA}")]


def test_a_reply_in_a_thread_stays_in_that_thread(app, fake) -> None:
    app.dispatch(bolt_request(event_body(mention(MARIA, "estimate for Fraud", ts="1700000005.000200",
                                                 thread_ts="1700000001.000100"))))
    assert fake.of("chat.postMessage")[0].args["thread_ts"] == "1700000001.000100"


def test_direct_message_is_answered_in_the_dm(app, fake, answerer) -> None:
    resp = app.dispatch(bolt_request(event_body(dm(HANA, "how are we doing against estimate?"))))
    assert resp.status == 200
    post = fake.of("chat.postMessage")[0].args
    assert post["channel"] == "D0TEST001" and "thread_ts" not in post
    assert "HR Portal" in post["blocks"][0]["text"]["text"]
    assert "Checkout" not in everything(fake) and "Fraud" not in everything(fake)
    assert answerer.asked[0][2] == f"slack:D0TEST001:dm:{HANA}"


def test_slash_command_acknowledges_at_once_then_responds_privately(app, fake) -> None:
    resp = app.dispatch(bolt_request(command_body(MARIA, "estimate for Fraud", fake.response_url())))
    assert resp.status == 200 and "Working on" in resp.body
    sent = fake.of("response_url")[0].args
    assert sent["response_type"] == "ephemeral"
    assert sent["blocks"][0]["text"]["text"].startswith(f"Fraud: {usd(nov_actual('Fraud'))} month to date")


def test_slash_command_help(app, fake, answerer) -> None:
    resp = app.dispatch(bolt_request(command_body(MARIA, "", fake.response_url())))
    assert resp.status == 200 and "/steward" in resp.body and answerer.asked == []


def test_breakdown_answer_has_a_small_table(app, fake) -> None:
    app.dispatch(bolt_request(event_body(mention(PRIYA, "spend breakdown by model"))))
    blocks = fake.of("chat.postMessage")[0].args["blocks"]
    table = next(b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("```"))
    assert "model" in table["text"]["text"] and "USD" in table["text"]["text"]
    assert "HR Portal" not in everything(fake)


def test_bot_messages_and_edits_are_ignored(app, fake, answerer) -> None:
    bot = {**dm(MARIA, "hello"), "bot_id": "B0OTHER01"}
    edit = {**dm(MARIA, "hello"), "subtype": "message_changed"}
    for e in (bot, edit):
        assert app.dispatch(bolt_request(event_body(e))).status == 200
    assert answerer.asked == [] and [m for m in fake.methods() if m != "auth.test"] == []


# ------------------------------------------------------------------ buttons by persona

def ask_drift(app, fake, user: str) -> list[dict]:
    fake.clear()
    app.dispatch(bolt_request(event_body(mention(user, "any model drift this month?"))))
    return fake.of("chat.postMessage")[0].args["blocks"]


def test_drift_buttons_appear_for_the_right_personas_only(app, fake) -> None:
    maria = ask_drift(app, fake, MARIA)
    assert action_ids(maria) == {kit.REQUEST_ACCESS}
    values = [json.loads(e["value"]) for b in maria if b["type"] == "actions" for e in b["elements"]]
    assert all(v["p"] in ("Checkout", "Fraud") for v in values)
    assert {"p": "Checkout", "m": "anthropic.claude-opus-4-6-v1"} in values  # a short key: the modal looks up the rest
    assert "HR Portal" not in json.dumps(maria) and "222222222222" not in json.dumps(maria)

    lead = ask_drift(app, fake, LEAD)
    assert action_ids(lead) == set(kit.DECIDE.values())
    assert "HR Portal" in json.dumps(lead)  # the FinOps Lead sees the whole org

    assert action_ids(ask_drift(app, fake, PRIYA)) == set()


def test_spend_card_answer_has_approve_for_its_product_owner_only(app, fake) -> None:
    app.dispatch(bolt_request(event_body(mention(MARIA, "spend card for Checkout"))))
    assert action_ids(fake.of("chat.postMessage")[0].args["blocks"]) == {kit.APPROVE_CARD}
    fake.clear()
    app.dispatch(bolt_request(event_body(mention(PRIYA, "spend card for Checkout"))))
    assert action_ids(fake.of("chat.postMessage")[0].args["blocks"]) == set()


# ------------------------------------------------------------------ App Home

def test_app_home_shows_a_product_owners_scope_and_standing(app, fake) -> None:
    assert app.dispatch(bolt_request(event_body(home_opened(MARIA)))).status == 200
    publish = fake.of("views.publish")[0].args
    assert publish["user_id"] == MARIA
    text = json.dumps(publish["view"])
    for product in ("Checkout", "Fraud"):
        assert f"{product}: {usd(nov_actual(product))} month to date" in text
    assert "$300 estimate" in text and "$200 estimate" in text
    assert "HR Portal" not in text and "222222222222" not in text


def test_app_home_of_a_finops_lead_shows_every_products_quota(app, fake) -> None:
    app.dispatch(bolt_request(event_body(home_opened(LEAD))))
    text = json.dumps(fake.of("views.publish")[0].args["view"])
    assert "every product" in text
    for product in ("Checkout", "Fraud", "HR Portal"):
        assert product in text


def test_app_home_of_a_cloud_engineer_shows_the_task_queue(app, fake) -> None:
    app.dispatch(bolt_request(event_body(home_opened(ENG))))
    assert "task queue" in json.dumps(fake.of("views.publish")[0].args["view"])


# ------------------------------------------------------------------ unknown users

@pytest.fixture
def writable(fresh_org_store, fake, answerer):
    a = make_app(fresh_org_store, fake, answerer)
    yield a
    a.steward.stores.close()


def test_an_unknown_user_learns_nothing_and_is_audited(writable, fresh_org_store, fake, answerer) -> None:
    assert writable.dispatch(bolt_request(event_body(mention(STRANGER, "how much did Checkout spend?")))).status == 200
    assert writable.dispatch(bolt_request(event_body(dm(STRANGER, "spend breakdown by product")))).status == 200
    assert writable.dispatch(bolt_request(event_body(home_opened(STRANGER)))).status == 200
    resp = writable.dispatch(bolt_request(command_body(STRANGER, "drift?", fake.response_url())))
    assert resp.status == 200

    assert answerer.asked == []
    replies = [fake.of("chat.postEphemeral")[0].args["text"], fake.of("chat.postMessage")[0].args["text"],
               json.dumps(fake.of("views.publish")[0].args["view"]), json.loads(resp.body)["text"]]
    for reply in replies:
        assert "FinOps Lead" in reply and STRANGER in reply and "org file" in reply
    # nothing about the org, in any call or reply (the question's own words excepted)
    sent = everything(fake) + resp.body
    for name in ORG_NAMES:
        assert name not in sent.replace("how much did Checkout spend?", ""), name
    entries = audit.entries(fresh_org_store, action="slack.unknown_user")
    assert len(entries) == 4
    assert {e.details["request"] for e in entries} == {"app_mention", "message", "app_home_opened", "command"}
    assert all(e.actor == f"slack:{STRANGER}" and e.outcome == "refused" for e in entries)
    assert audit.verify(fresh_org_store).ok


def test_a_person_added_to_the_registry_is_recognised_at_once(writable, fresh_org_store, fake, answerer) -> None:
    writable.dispatch(bolt_request(event_body(dm(STRANGER, "estimate?"))))
    assert answerer.asked == []
    from ledger import org_apply, org_export

    org = org_export.read_org(fresh_org_store)
    org.people[1].slack_id = STRANGER  # hana's Slack id changes to the stranger's
    org_apply.apply_org(fresh_org_store, org, actor="test")
    writable.dispatch(bolt_request(event_body(dm(STRANGER, "estimate?"), event_id="Ev0TEST002")))  # a new message
    assert answerer.asked and answerer.asked[0][0] == "hana@example.com"


# ------------------------------------------------------------------ configuration

def test_http_mode_needs_a_signing_secret(org_store) -> None:
    from ledger.errors import StewardError

    with pytest.raises(StewardError, match="SLACK_SIGNING_SECRET"):
        build_app(org_store, slack=SlackSettings(bot_token="xoxb-x"), contexts=context_for(Settings(as_of=TODAY)),
                  client=WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/"))


def test_socket_mode_handler_is_built_without_a_signing_secret(org_store, monkeypatch) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    slack = SlackSettings(bot_token="xoxb-x", app_token="xapp-1-test")
    app = build_app(org_store, slack=slack, contexts=context_for(Settings(as_of=TODAY)), socket_mode=True,
                    client=WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/"))
    handler = SocketModeHandler(app, slack.secret("app_token"))
    try:
        assert handler.app is app and handler.client.app_token == "xapp-1-test"
        assert not handler.client.is_connected()  # constructing it does not touch the network
    finally:
        handler.close()
        app.steward.stores.close()


def test_settings_come_from_the_environment_and_never_show_tokens(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "shh-signing")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-very-secret")
    monkeypatch.setenv("STEWARD_SLACK_FINOPS_CHANNEL", "C0FINOPS01")
    s = Settings().slack
    assert s.secret("bot_token") == "xoxb-very-secret" and s.finops_channel == "C0FINOPS01"
    shown = repr(s) + str(s) + s.model_dump_json()
    for secret in ("xoxb-very-secret", "shh-signing", "xapp-very-secret"):
        assert secret not in shown


def test_tokens_never_reach_the_log(org_store, fake, caplog) -> None:
    a = make_app(org_store, fake)
    with caplog.at_level(logging.DEBUG):
        a.dispatch(bolt_request(event_body(mention(MARIA, "estimate for Checkout"))))
    assert fake.of("chat.postMessage")
    assert "xoxb-test-token" not in caplog.text and SECRET not in caplog.text
    a.steward.stores.close()


# ------------------------------------------------------------------ the manifest

def test_the_manifest_matches_what_the_app_listens_for(app) -> None:
    from pathlib import Path

    import yaml

    import slack_app

    manifest = yaml.safe_load((Path(slack_app.__file__).parent / "manifest.yaml").read_text())
    settings = manifest["settings"]
    events = set(settings["event_subscriptions"]["bot_events"])
    assert events == {"app_mention", "app_home_opened", "message.im"}
    assert settings["interactivity"]["is_enabled"]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/steward"]
    assert manifest["features"]["app_home"]["home_tab_enabled"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"app_mentions:read", "chat:write", "commands", "im:history", "reactions:write",
                      "files:write", "im:write"}  # im:write: the DM a monthly statement is shared into
    urls = {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
            manifest["features"]["slash_commands"][0]["url"]}
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")


def test_the_caller_cache_sees_a_registry_change_committed_in_this_process_at_once(fresh_org_store) -> None:
    """A known user costs no query; a registry change (here an org apply that gives Maria HR Portal
    too) makes the next lookup read the registry again, however long the ttl."""
    from ledger import org_apply, org_export, org_parse
    from slack_app.app import CallerCache

    cache = CallerCache(ttl=3600)
    assert cache.get(fresh_org_store, "U0MARIA01").products == {"Checkout", "Fraud"}
    org = org_export.export_org(fresh_org_store)
    maria = next(p for p in org["people"] if p["email"] == "maria@example.com")
    maria["roles"] = [{"persona": "product_owner", "products": ["Checkout", "Fraud", "HR Portal"]}]
    org_apply.apply_org(fresh_org_store, org_parse.parse_org(org), actor="lead@example.com")
    assert cache.get(fresh_org_store, "U0MARIA01").products == {"Checkout", "Fraud", "HR Portal"}
