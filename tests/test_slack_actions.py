"""Buttons and modals through the real Bolt app: every click and submission re-checks the clicking
user's persona on the server, and a forged payload is refused and audited."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk import WebClient

from ledger import audit, registry
from slack_app import blocks as kit
from slack_app.modals import DECIDE_VIEW, REQUEST_VIEW
from slack_app.app import build_app
from slack_app.config import SlackSettings
from tests.fake_slack import (
    SECRET,
    FakeSlack,
    ScriptedAnswerer,
    action_body,
    bolt_request,
    view_body,
)
from steward.settings import Settings
from steward.wiring import context_for
from tests.orgfixture import A1, A2, OPUS, TODAY

MARIA, HANA, PRIYA, LEAD = "U0MARIA01", "U0HANA001", "U0PRIYA01", "U0LEAD001"
OPUS_VALUE = {"m": OPUS}  # a button carries the model; the modal looks up where it ran
META = {"m": OPUS, "s": "approved", "c": "C0TEST001", "t": "1700000009.000100"}
GOOD = {"accounts": [A1], "regions": ["us-east-1"], "action_scope": "inference_only",
        "rationale": "Checkout needs Opus for dispute summaries; reviewed with security."}


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


@pytest.fixture
def app(fresh_org_store, fake):
    slack = SlackSettings(signing_secret=SECRET, bot_token="xoxb-test", finops_channel="C0FINOPS01")
    a = build_app(fresh_org_store, slack=slack, contexts=context_for(Settings(as_of=TODAY)),
                  client=WebClient(token="xoxb-test", base_url=fake.api_url), answerer=ScriptedAnswerer(),
                  process_before_response=True)
    yield a
    a.steward.stores.close()


def refusals(store, email: str, tool: str) -> list:
    return [e for e in audit.entries(store, actor=email, action=f"tool.{tool}") if e.outcome == "refused"]


def click(app, user: str, action_id: str, value: dict, **kw):
    return app.dispatch(bolt_request(action_body(user, action_id, value, **kw)))


def submit(app, user: str, callback: str, values: dict, meta: dict):
    return app.dispatch(bolt_request(view_body(user, callback, values, meta)))


# ------------------------------------------------------------------ forged payloads

def test_a_forged_decide_click_from_a_product_owner_is_refused_and_audited(app, fresh_org_store, fake) -> None:
    assert click(app, MARIA, kit.DECIDE["approved"], OPUS_VALUE).status == 200
    assert fake.of("views.open") == []
    assert "Only a FinOps Lead" in fake.of("chat.postEphemeral")[0].args["text"]
    [entry] = refusals(fresh_org_store, "maria@example.com", "decide_model")
    assert entry.persona == "product_owner" and entry.why == "persona not allowed"
    assert entry.details["channel"] == "slack" and entry.details["args"]["model_id"] == OPUS
    assert registry.model_entry(fresh_org_store, OPUS) is None


def test_a_forged_decide_submission_from_a_product_owner_is_refused_and_audited(app, fresh_org_store, fake) -> None:
    resp = submit(app, MARIA, DECIDE_VIEW, GOOD, META)
    assert resp.status == 200
    body = json.loads(resp.body)
    assert body["response_action"] == "errors" and "not available to a Product Owner" in body["errors"]["rationale"]
    [entry] = refusals(fresh_org_store, "maria@example.com", "decide_model")
    assert entry.details["args"]["model_id"] == OPUS and entry.details["channel"] == "slack"
    assert registry.model_entry(fresh_org_store, OPUS) is None
    assert fake.of("chat.postMessage") == []
    assert audit.verify(fresh_org_store).ok


def test_a_forged_approve_click_from_another_product_owner_is_refused_and_audited(app, fresh_org_store, fake) -> None:
    click(app, HANA, kit.APPROVE_CARD, {"p": "Checkout", "w": "2026-11-09"})
    [entry] = refusals(fresh_org_store, "hana@example.com", "approve_spend_card")
    assert "not in your scope" in entry.details["error"]
    click(app, PRIYA, kit.APPROVE_CARD, {"p": "Checkout", "w": "2026-11-09"})
    assert refusals(fresh_org_store, "priya@example.com", "approve_spend_card")
    assert fresh_org_store.scalar("SELECT count(*) FROM spend_card_approvals") == 0
    assert fake.of("chat.update") == []
    # what hana is told does not confirm Checkout exists or show its figures
    told = [c.args["text"] for c in fake.of("chat.postEphemeral")]
    assert len(told) == 2 and "$" not in told[0]


def test_a_request_access_click_or_submission_by_the_wrong_people_is_refused(app, fresh_org_store, fake) -> None:
    click(app, LEAD, kit.REQUEST_ACCESS, {"p": "Checkout", "m": OPUS})
    assert fake.of("views.open") == []
    assert refusals(fresh_org_store, "lead@example.com", "request_model_access")
    resp = submit(app, HANA, REQUEST_VIEW, {"reason": "we want it for HR too, please"},
                  {"p": "Checkout", "m": OPUS, "c": "C0TEST001"})
    assert resp.body == ""  # the modal closes: only the write knows Checkout is not Hana's ...
    assert refusals(fresh_org_store, "hana@example.com", "request_model_access")  # ... and it refuses, audited
    assert fresh_org_store.scalar("SELECT count(*) FROM access_requests") == 0
    told = fake.of("chat.postEphemeral")[-1].args
    assert told["user"] == HANA and told["text"].startswith("The request was not sent:")


# ------------------------------------------------------------------ the FinOps Lead's decision

def test_a_finops_lead_click_opens_a_modal_that_requires_scope_and_rationale(app, fake) -> None:
    click(app, LEAD, kit.DECIDE["restricted"], OPUS_VALUE)
    opened = fake.of("views.open")[0].args
    assert opened["trigger_id"] == "1337.42.trigger"
    view = opened["view"]
    assert view["callback_id"] == DECIDE_VIEW and json.loads(view["private_metadata"])["s"] == "restricted"
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == {"products", "accounts", "regions", "action_scope", "rationale"}
    assert not any(b["optional"] for b in inputs.values() if "optional" in b)
    assert [o["value"] for o in inputs["accounts"]["element"]["initial_options"]] == [A1]
    assert {o["value"] for o in inputs["accounts"]["element"]["options"]} == {"*", A1, A2, "333333333333"}
    assert inputs["rationale"]["element"]["min_length"] >= 10
    assert [o["value"] for o in inputs["products"]["element"]["initial_options"]] == ["Checkout"]


def test_a_finops_lead_submission_records_the_decision_and_confirms_in_the_thread(app, fresh_org_store, fake) -> None:
    resp = submit(app, LEAD, DECIDE_VIEW, GOOD, META)
    assert resp.status == 200 and resp.body == ""
    entry = registry.model_entry(fresh_org_store, OPUS)
    assert entry.state == "approved" and entry.accounts == [A1] and entry.regions == ["us-east-1"]
    assert entry.decided_by == "lead@example.com" and entry.rationale == GOOD["rationale"]
    [logged] = audit.entries(fresh_org_store, actor="lead@example.com", action="tool.decide_model")
    assert logged.outcome == "ok" and logged.details["channel"] == "slack"
    post = fake.of("chat.postMessage")[0].args
    assert post["channel"] == "C0TEST001" and post["thread_ts"] == "1700000009.000100"
    assert "approved" in post["text"] and "Cloud Engineer task" in post["text"]


@pytest.mark.parametrize("values,block", [
    ({**GOOD, "accounts": ["*", A1]}, "accounts"),
    ({**GOOD, "rationale": "   "}, "rationale"),
    ({**GOOD, "action_scope": "everything"}, "action_scope"),
])
def test_a_bad_submission_is_answered_with_field_errors(app, fresh_org_store, values, block) -> None:
    body = json.loads(submit(app, LEAD, DECIDE_VIEW, values, META).body)
    assert body["response_action"] == "errors" and block in body["errors"]
    assert registry.model_entry(fresh_org_store, OPUS) is None


def test_what_only_the_write_can_refuse_is_told_after_the_modal_closed(app, fresh_org_store, fake) -> None:
    """An account outside the registry is the store's to refuse: the modal closes (acknowledged
    before any write), nothing is recorded, the refusal is audited and the lead is told in the thread."""
    resp = submit(app, LEAD, DECIDE_VIEW, {**GOOD, "accounts": ["999999999999"]}, META)
    assert resp.status == 200 and resp.body == ""
    assert registry.model_entry(fresh_org_store, OPUS) is None
    [refused] = refusals(fresh_org_store, "lead@example.com", "decide_model")
    assert "999999999999" in refused.details["error"]
    told = fake.of("chat.postEphemeral")[-1].args
    assert told["channel"] == "C0TEST001" and told["user"] == LEAD
    assert told["text"].startswith("The decision was not recorded:") and "999999999999" in told["text"]


def test_all_accounts_and_regions_mean_empty_lists(app, fresh_org_store) -> None:
    submit(app, LEAD, DECIDE_VIEW, {**GOOD, "accounts": ["*"], "regions": ["*"]}, {**META, "s": "blocked"})
    entry = registry.model_entry(fresh_org_store, OPUS)
    assert entry.state == "blocked" and entry.accounts == [] and entry.regions == []


# ------------------------------------------------------------------ the Product Owner's request and approval

def test_a_product_owner_requests_access_through_a_modal(app, fresh_org_store, fake) -> None:
    click(app, MARIA, kit.REQUEST_ACCESS, {"p": "Checkout", "m": OPUS})
    view = fake.of("views.open")[0].args["view"]
    assert view["callback_id"] == REQUEST_VIEW
    meta = json.loads(view["private_metadata"])
    resp = submit(app, MARIA, REQUEST_VIEW, {"accounts": [A1], "regions": ["us-east-1"],
                                              "reason": "dispute summaries need a stronger model"}, meta)
    assert resp.status == 200 and resp.body == ""
    [(product, model, status, by)] = fresh_org_store.rows(
        "SELECT product, model_id, status, requested_by FROM access_requests")
    assert (product, model, status, by) == ("Checkout", OPUS, "open", "maria@example.com")
    posts = {c.args["channel"]: c.args["text"] for c in fake.of("chat.postMessage")}
    assert "AR-000001" in posts["C0TEST001"] and "Checkout" in posts["C0FINOPS01"]


def test_a_product_owner_approves_their_spend_card_and_the_card_is_updated(app, fresh_org_store, fake) -> None:
    card_blocks = [kit.section("card", block_id="s1"),
                   {"type": "actions", "block_id": "card_actions_0", "elements": []}]
    click(app, MARIA, kit.APPROVE_CARD, {"p": "Checkout", "w": "2026-11-09"}, channel="D0MARIA01",
          blocks=card_blocks, block_id="card_actions_0")
    [(product, week, by)] = fresh_org_store.rows("SELECT product, week_start, approved_by FROM spend_card_approvals")
    assert (product, week, by) == ("Checkout", date(2026, 11, 9), "maria@example.com")
    update = fake.of("chat.update")[0].args
    assert update["channel"] == "D0MARIA01" and update["ts"] == "1700000009.000100"
    assert [b.get("block_id") for b in update["blocks"]] == ["s1", None]
    assert "Approved by Maria Lopez" in json.dumps(update["blocks"])
    [logged] = audit.entries(fresh_org_store, actor="maria@example.com", action="tool.approve_spend_card")
    assert logged.outcome == "ok"
