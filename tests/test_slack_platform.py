"""Slack's platform rules, through the real Bolt app and signed requests: acknowledgement before any
work (answers cannot hold up commands, clicks or submissions), mrkdwn escaping, unique block ids,
short button values, no empty sections, long answers split whole, file_share DMs answered, 429s retried."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_sdk import WebClient

from agent.answer import Answer, Fact
from ledger import audit, registry
from slack_app import blocks as kit
from slack_app.modals import DECIDE_VIEW
from slack_app.app import build_app
from slack_app.config import SlackSettings
from steward.settings import Settings
from steward.wiring import context_for, tool_context
from tests.fake_slack import (
    SECRET,
    FakeSlack,
    ScriptedAnswerer,
    action_body,
    bolt_request,
    command_body,
    dm,
    event_body,
    mention,
    view_body,
)
from tests.orgfixture import A1, OPUS, TODAY
from tools import toolset

MARIA, LEAD = "U0MARIA01", "U0LEAD001"
WAIT = 30.0  # generous: a dispatch that has to wait for an answer would block until the gate opens


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


class GatedAnswerer(ScriptedAnswerer):
    """Answers only when the gate opens: a slow model, as slow as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)

    def __call__(self, ctx: Any, question: str, thread_id: str | None) -> Any:
        self.started.release()
        assert self.gate.wait(WAIT), "the test never opened the gate"
        return super().__call__(ctx, question, thread_id)


def dispatch_within(app: Any, body: str) -> Any:
    """Dispatch on another thread; fail (instead of hanging) if it does not return while answers wait."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(app.dispatch(bolt_request(body))), daemon=True)
    worker.start()
    worker.join(WAIT)
    assert result, "the request was not acknowledged while answers were in flight"
    return result[0]


@pytest.mark.parametrize("ack_in_dispatch", [False, True], ids=["bolt-listener-pool", "serve-ack-in-dispatch"])
def test_commands_clicks_and_submissions_are_acknowledged_while_every_answer_worker_is_busy(
        fresh_org_store, fake, ack_in_dispatch: bool) -> None:
    """With every answer worker held by a blocked model, a command, a click (and its modal) and
    submissions are still acknowledged, and nothing was written or posted first. Both ways listeners
    run: on Bolt's listener pool, and on the dispatching thread as `steward serve` runs them."""
    answerer = GatedAnswerer()
    slack = SlackSettings(signing_secret=SECRET, bot_token="xoxb-test", finops_channel="C0FINOPS01")
    listeners = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-ack")
    answers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-answer")
    app = build_app(fresh_org_store, slack=slack, contexts=context_for(Settings(as_of=TODAY)),
                    client=WebClient(token="xoxb-test", base_url=fake.api_url), answerer=answerer,
                    listener_executor=listeners, answer_executor=answers, ack_in_dispatch=ack_in_dispatch)
    try:
        for i in range(6):  # more slow answers than answer workers and listener threads together
            assert app.dispatch(bolt_request(event_body(mention(MARIA, "estimate for Checkout",
                                                                ts=f"1700000100.{i:06d}"),
                                                        event_id=f"EvGate{i}"))).status == 200
        for _ in range(2):
            assert answerer.started.acquire(timeout=WAIT)  # both answer workers are held by the model

        command = dispatch_within(app, command_body(MARIA, "how are we doing?", fake.response_url()))
        assert command.status == 200 and "Working on" in command.body

        click = dispatch_within(app, action_body(LEAD, kit.DECIDE["approved"], {"m": OPUS}))
        assert click.status == 200
        fake.wait_for("views.open")  # the modal opens at once, not after an answer

        good = {"accounts": [A1], "regions": ["us-east-1"], "action_scope": "inference_only",
                "rationale": "Checkout needs Opus for dispute summaries; reviewed with security."}
        meta = {"m": OPUS, "s": "approved", "c": "C0TEST001", "t": "1700000009.000100"}
        submitted = dispatch_within(app, view_body(LEAD, DECIDE_VIEW, good, meta))
        assert submitted.status == 200 and submitted.body == ""  # validated, modal closed ...
        assert registry.model_entry(fresh_org_store, OPUS) is None  # ... and not yet written

        bad = dispatch_within(app, view_body(LEAD, DECIDE_VIEW, {**good, "rationale": "   "}, meta))
        assert json.loads(bad.body)["response_action"] == "errors"  # a bad one is told in the modal
        # a Product Owner's forged decision: refused in the modal at once, put on record after
        forged = dispatch_within(app, view_body(MARIA, DECIDE_VIEW, good, meta))
        assert "not available to a Product Owner" in json.loads(forged.body)["errors"]["rationale"]
        assert [e for e in audit.entries(fresh_org_store, actor="maria@example.com", action="tool.decide_model")
                if e.outcome == "refused"] == []  # the audit write waits behind the answers, not the ack
        assert fake.of("chat.postMessage") == []  # and still no answer was posted: all of this ran first

        answerer.gate.set()
        fake.wait_for("chat.postMessage", count=7, timeout=WAIT)  # 6 answers and the decision's note
        answers.shutdown(wait=True)
        assert registry.model_entry(fresh_org_store, OPUS).state == "approved"
        [refused] = [e for e in audit.entries(fresh_org_store, actor="maria@example.com", action="tool.decide_model")
                     if e.outcome == "refused"]
        assert refused.details["stage"] == "slack modal" and refused.why == "persona not allowed"
    finally:
        answerer.gate.set()
        app.steward.shutdown()
        app.steward.stores.close()


# ------------------------------------------------------------------ Block Kit rules

def inline_app(store: Any, fake: FakeSlack, answerer: Any = None) -> Any:
    return build_app(store, slack=SlackSettings(signing_secret=SECRET, bot_token="xoxb-test"),
                     contexts=context_for(Settings(as_of=TODAY)),
                     client=WebClient(token="xoxb-test", base_url=fake.api_url),
                     answerer=answerer or ScriptedAnswerer(), process_before_response=True)


def texts(blocks: list[dict]) -> list[str]:
    """Every mrkdwn text in the blocks (sections, fields, context elements)."""
    out = []
    for block in blocks:
        if isinstance(block.get("text"), dict) and block["text"].get("type") == "mrkdwn":
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields") or []]
        out += [e["text"] for e in block.get("elements") or [] if e.get("type") == "mrkdwn"]
    return out


class Fixed:
    """An answerer that returns one prepared Answer."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def __call__(self, ctx: Any, question: str, thread_id: str | None) -> Answer:
        return self.answer


def test_placeholders_and_ampersands_are_escaped_in_every_text(org_store, fake) -> None:
    raw = "Ask for <model> in <product> & say <why>; 5 > 3"
    app = inline_app(org_store, fake, Fixed(Answer(question="q", text=raw)))
    try:
        app.dispatch(bolt_request(event_body(mention(MARIA, "anything"))))
    finally:
        app.steward.stores.close()
    post = fake.of("chat.postMessage")[0].args
    expected = "Ask for &lt;model&gt; in &lt;product&gt; &amp; say &lt;why&gt;; 5 &gt; 3"
    assert expected in texts(post["blocks"]) and post["text"] == expected
    assert not any("<" in t or ">" in t for t in texts(post["blocks"]))


def test_two_drift_results_in_one_message_have_unique_block_ids(org_store) -> None:
    lead = tool_context(Settings(as_of=TODAY), org_store, "lead@example.com", channel="slack")
    drift = toolset.call(lead, "model_drift", {}).model_dump(mode="json")
    answer = Answer(question="q", text="drift twice", facts=[Fact(tool="model_drift", args={}, result=drift),
                                                           Fact(tool="model_drift", args={}, result=drift)])
    ids = [b["block_id"] for b in kit.answer_blocks(answer, lead.caller) if "block_id" in b]
    assert len(ids) == len(set(ids)) and len(ids) >= 2 * 1  # each result adds its decide rows
    assert sum(i.startswith("decide_0") for i in ids) == 2


def test_a_model_used_in_many_accounts_keeps_a_short_button_value_and_the_modal_looks_them_up(
        fresh_org_store, fake) -> None:
    lines = [{"model_id": OPUS, "model_name": "Claude Opus 4.6", "account_id": f"{n:012d}", "region": "us-east-1",
              "product": "Checkout", "usd": 1.0, "reason": "r"} for n in range(400)]
    lead = tool_context(Settings(as_of=TODAY), fresh_org_store, "lead@example.com", channel="slack")
    [decide] = kit.drift_buttons({"claimed": lines}, lead.caller)
    values = [json.loads(e["value"]) for e in decide["elements"]]
    assert values == [{"m": OPUS}] * 3  # 400 accounts would not fit Slack's 2,000 characters
    app = inline_app(fresh_org_store, fake)
    try:
        app.dispatch(bolt_request(action_body(LEAD, kit.DECIDE["approved"], values[0])))
    finally:
        app.steward.stores.close()
    view = fake.of("views.open")[0].args["view"]
    accounts = next(b for b in view["blocks"] if b.get("block_id") == "accounts")
    assert [o["value"] for o in accounts["element"]["initial_options"]] == [A1]  # where Opus drifted (fixture)
    assert json.loads(view["private_metadata"])["m"] == OPUS


def test_no_section_is_ever_empty(org_store) -> None:
    lead = tool_context(Settings(as_of=TODAY), org_store, "lead@example.com", channel="slack")
    drift = {**toolset.call(lead, "model_drift", {}).model_dump(mode="json"), "summary": ""}
    card = {**toolset.call(tool_context(Settings(as_of=TODAY), org_store, "maria@example.com", channel="slack"),
                           "spend_card", {"product": "Checkout"}).model_dump(mode="json"), "summary": ""}
    built = [kit.drift_digest_blocks(drift, lead.caller), kit.spend_card_blocks(card, lead.caller),
             kit.answer_blocks(Answer(question="q", text=""), lead.caller), [kit.section("")], [kit.context()]]
    for blocks in built:
        for block in blocks:
            if block["type"] == "section":
                assert (block.get("text") or {}).get("text", "").strip() or block.get("fields"), block
            if block["type"] == "context":
                assert block["elements"], block


POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": f"Allow{n}", "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
     "Resource": [f"arn:aws:bedrock:us-east-1:{n:012d}:inference-profile/us.anthropic.claude-sonnet-4-6-v1:0",
                  f"arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6-v1:{n}"]}
    for n in range(40)]}


def test_a_long_policy_is_split_between_lines_and_every_chunk_is_a_whole_code_block(org_store, fake) -> None:
    code = json.dumps(POLICY, indent=2)
    assert len(code) > 9000
    text = f"Here is the policy for Checkout:\n```\n{code}\n```\nAttach it with put-role-policy."
    app = inline_app(org_store, fake, Fixed(Answer(question="q", text=text)))
    try:
        app.dispatch(bolt_request(event_body(mention(MARIA, "iam policy"))))
    finally:
        app.steward.stores.close()
    sections = [t for call in fake.of("chat.postMessage") for t in texts(call.args["blocks"])
                if t.startswith(("Here", "```")) or "```" in t]
    assert len(sections) >= 4 and all(len(t) <= 3000 for t in sections)
    assert all(t.count("```") % 2 == 0 for t in sections)  # no chunk leaves a code block open
    inside = [t.split("```")[1] for t in sections]  # the code of each chunk
    assert json.loads("".join(inside)) == POLICY  # copied together, the JSON is whole


def test_an_answer_longer_than_one_message_continues_in_the_next(org_store, fake) -> None:
    text = "\n\n".join(f"Paragraph {n}: " + "words " * 500 for n in range(60))  # ~180k characters
    app = inline_app(org_store, fake, Fixed(Answer(question="q", text=text)))
    try:
        app.dispatch(bolt_request(event_body(mention(MARIA, "long"))))
    finally:
        app.steward.stores.close()
    posts = fake.of("chat.postMessage")
    assert len(posts) >= 2 and all(len(p.args["blocks"]) <= 50 for p in posts)
    shown = "\n".join(t for p in posts for t in texts(p.args["blocks"]))
    assert all(f"Paragraph {n}:" in shown for n in range(60))


def test_a_dm_with_a_file_attached_is_answered(org_store, fake) -> None:
    event = {**dm(MARIA, "how are we doing against estimate?"), "subtype": "file_share",
             "files": [{"id": "F0TEST001", "name": "notes.txt"}]}
    answerer = ScriptedAnswerer()
    app = inline_app(org_store, fake, answerer)
    try:
        app.dispatch(bolt_request(event_body(event)))
    finally:
        app.steward.stores.close()
    assert [q for _, q, _ in answerer.asked] == ["how are we doing against estimate?"]
    assert fake.of("chat.postMessage")[0].args["channel"] == "D0TEST001"


def test_a_rate_limited_answer_is_posted_after_retry_after_and_the_hourglass_goes(org_store, fake) -> None:
    fake.rate_limited["chat.postMessage"] = 1
    app = inline_app(org_store, fake)
    try:
        app.dispatch(bolt_request(event_body(mention(MARIA, "estimate for Checkout"))))
    finally:
        app.steward.stores.close()
    assert [c.status for c in fake.calls if c.method == "chat.postMessage"] == [429, 200]
    assert len(fake.of("reactions.add")) == len(fake.of("reactions.remove")) == 1
