"""Issue 11 §3: a replayed Slack event (the same signed request twice, or Slack's retry with
X-Slack-Retry-Num) is answered once."""

from __future__ import annotations

from slack_sdk import WebClient

from slack_app.app import build_app
from slack_app.config import SlackSettings
from tests.fake_slack import SECRET, FakeSlack, ScriptedAnswerer, bolt_request, event_body, mention
from steward.settings import Settings
from steward.wiring import context_for
from tests.orgfixture import TODAY

MARIA = "U0MARIA01"


def test_the_same_signed_event_twice_is_answered_once(org_store) -> None:
    with FakeSlack() as fake:
        answerer = ScriptedAnswerer()
        conf = SlackSettings(signing_secret=SECRET, bot_token="xoxb-test-token")
        app = build_app(org_store, slack=conf, contexts=context_for(Settings(store={"db": org_store.path}, as_of=TODAY)),
                        client=WebClient(token="xoxb-test-token", base_url=fake.api_url),
                        answerer=answerer, process_before_response=True)
        try:
            body = event_body(mention(MARIA, "how is Checkout doing against estimate?"), event_id="Ev0REPLAY1")
            first, again = bolt_request(body), bolt_request(body)
            retry = bolt_request(body)
            retry.headers["x-slack-retry-num"] = ["1"]
            retry.headers["x-slack-retry-reason"] = ["http_timeout"]
            assert [app.dispatch(r).status for r in (first, again, retry)] == [200, 200, 200]
            assert len(answerer.asked) == 1
            assert len(fake.of("chat.postMessage")) == 1
            other = bolt_request(event_body(mention(MARIA, "estimate for Fraud", ts="1700000002.000100"),
                                            event_id="Ev0REPLAY2"))
            assert app.dispatch(other).status == 200 and len(answerer.asked) == 2
        finally:
            app.steward.stores.close()
