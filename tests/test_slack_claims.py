"""Claims from Slack through the real Bolt app, with requests signed as Slack signs them: a Claim button
and modal; what needs a FinOps Lead becomes a request posted with Approve / Reject, decided in a modal."""

from __future__ import annotations

import json
from datetime import date

from ledger import audit
from slack_app import blocks as kit
from slack_app.claim_actions import CLAIM_VIEW, DECIDE_CLAIM_VIEW
from tests.conftest import make_ctx
from tests.orgfixture import ALICE, LAB, STRAY, TODAY
from tests.test_slack_actions import LEAD, MARIA, PRIYA, app, click, fake, refusals, submit  # noqa: F401 - fixtures
from tools import toolset

REASON = "the lab runs Checkout's nightly batch evaluations"


def claims(store) -> dict[str, tuple]:
    return {p: (prod, by, on) for p, prod, by, on in store.rows("SELECT principal, product, claimed_by, claimed_on FROM claims")}


def requests(store) -> list[tuple]:
    return store.rows("SELECT request_id, principal, product, requested_by, status, decided_by, decision_note "
                      "FROM claim_requests ORDER BY request_id")


def claim_button_principals(store, email: str) -> list[str]:
    ctx = make_ctx(store, email)
    result = toolset.call(ctx, "unattributed_spend", {}).model_dump(mode="json")
    return sorted(json.loads(b["elements"][0]["value"])["pr"] for b in kit.claim_buttons(result, ctx.caller))


def test_claim_buttons_are_for_unclaimed_principals_the_caller_sees_and_may_claim(fresh_org_store) -> None:
    # orgfixture: stray (111111111111, Payments), lab (333333333333, Corporate) and the IAM user alice
    # (222222222222, People) are unclaimed; the app role's spend before its claim is not 'unclaimed'.
    assert claim_button_principals(fresh_org_store, "lead@example.com") == sorted([STRAY, LAB, ALICE])
    # Priya sees stray's spend (Payments is in her portfolio) but a Portfolio Manager claims nothing; Maria's
    # products own no account, so no unattributed spend (nor button) reaches her: she claims from App Home.
    assert claim_button_principals(fresh_org_store, "priya@example.com") == []
    assert claim_button_principals(fresh_org_store, "maria@example.com") == []


def test_app_home_offers_the_claim_modal_which_asks_for_the_principal(app, fresh_org_store, fake) -> None:
    ctx = make_ctx(fresh_org_store, "maria@example.com")
    home = kit.home_view(ctx.caller, {"products": ["Checkout", "Fraud"]}, [], None, None)
    [claim] = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert claim["action_id"] == kit.CLAIM
    click(app, MARIA, kit.CLAIM, {})
    view = fake.of("views.open")[-1].args["view"]
    assert [b.get("block_id") for b in view["blocks"]][1:] == ["principal", "product", "claimed_on", "reason"]
    submit(app, MARIA, CLAIM_VIEW, {"principal": STRAY, "product": ["Fraud"], "reason": "fraud scoring's second role"},
           json.loads(view["private_metadata"]))
    assert claims(fresh_org_store)[STRAY] == ("Fraud", "maria@example.com", TODAY)
    priya = make_ctx(fresh_org_store, "priya@example.com").caller
    assert not [b for b in kit.home_view(priya, {}, [], None, None)["blocks"] if b["type"] == "actions"]


def request_lab_for_checkout(app, fake) -> dict:
    click(app, MARIA, kit.CLAIM, {"pr": LAB})
    view = fake.of("views.open")[-1].args["view"]
    assert view["callback_id"] == CLAIM_VIEW
    product = next(b for b in view["blocks"] if b.get("block_id") == "product")
    assert [o["value"] for o in product["element"]["options"]] == ["Checkout", "Fraud"]  # her own products
    resp = submit(app, MARIA, CLAIM_VIEW, {"product": ["Checkout"], "reason": REASON}, json.loads(view["private_metadata"]))
    assert resp.status == 200 and resp.body == ""
    return next(c.args for c in fake.of("chat.postMessage") if c.args["channel"] == "C0FINOPS01")


def test_a_claim_outside_her_part_of_the_org_becomes_a_request_posted_with_approve_and_reject(app, fresh_org_store, fake):
    before = claims(fresh_org_store)
    post = request_lab_for_checkout(app, fake)
    assert requests(fresh_org_store) == [("CR-0001", LAB, "Checkout", "maria@example.com", "open", None, None)]
    assert claims(fresh_org_store) == before
    told = fake.of("chat.postEphemeral")[-1].args
    assert told["user"] == MARIA and "CR-0001" in told["text"] and "$" not in told["text"]
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], json.loads(e["value"])) for e in buttons] == [
        (kit.DECIDE_CLAIM["approve"], {"r": "CR-0001"}), (kit.DECIDE_CLAIM["reject"], {"r": "CR-0001"})]


def test_the_finops_lead_approves_in_a_modal_and_the_claim_follows(app, fresh_org_store, fake):
    post = request_lab_for_checkout(app, fake)
    click(app, LEAD, kit.DECIDE_CLAIM["approve"], {"r": "CR-0001"}, channel="C0FINOPS01", blocks=post["blocks"])
    view = fake.of("views.open")[-1].args["view"]
    assert view["callback_id"] == DECIDE_CLAIM_VIEW
    resp = submit(app, LEAD, DECIDE_CLAIM_VIEW, {"rationale": "confirmed with Corporate: Checkout's evals"},
                  json.loads(view["private_metadata"]))
    assert resp.status == 200 and resp.body == ""
    assert claims(fresh_org_store)[LAB] == ("Checkout", "lead@example.com", TODAY)  # claimed by its approver
    assert requests(fresh_org_store) == [("CR-0001", LAB, "Checkout", "maria@example.com", "approved",
                                          "lead@example.com", "confirmed with Corporate: Checkout's evals")]
    [logged] = audit.entries(fresh_org_store, actor="lead@example.com", action="tool.decide_claim_request")
    assert logged.outcome == "ok" and logged.details["channel"] == "slack"
    update = fake.of("chat.update")[-1].args
    assert update["channel"] == "C0FINOPS01" and "CR-0001 approved" in update["text"]
    assert not [b for b in update["blocks"] if b["type"] == "actions"]  # the buttons are gone


def test_a_rejected_request_claims_nothing(app, fresh_org_store, fake):
    request_lab_for_checkout(app, fake)
    before = claims(fresh_org_store)
    click(app, LEAD, kit.DECIDE_CLAIM["reject"], {"r": "CR-0001"}, channel="C0FINOPS01")
    meta = json.loads(fake.of("views.open")[-1].args["view"]["private_metadata"])
    submit(app, LEAD, DECIDE_CLAIM_VIEW, {"rationale": "not a Checkout role, ask Corporate"}, meta)
    assert requests(fresh_org_store)[0][4:6] == ("rejected", "lead@example.com")
    assert claims(fresh_org_store) == before


def test_only_a_finops_lead_may_decide_and_a_forged_decision_is_refused_and_audited(app, fresh_org_store, fake):
    request_lab_for_checkout(app, fake)
    opened = len(fake.of("views.open"))
    click(app, MARIA, kit.DECIDE_CLAIM["approve"], {"r": "CR-0001"}, channel="C0FINOPS01")
    assert len(fake.of("views.open")) == opened
    assert refusals(fresh_org_store, "maria@example.com", "decide_claim_request")
    resp = submit(app, MARIA, DECIDE_CLAIM_VIEW, {"rationale": "approving my own request, why not"},
                  {"r": "CR-0001", "d": "approve", "c": "C0FINOPS01"})
    body = json.loads(resp.body)
    assert body["response_action"] == "errors" and "not available to a Product Owner" in body["errors"]["rationale"]
    assert len(refusals(fresh_org_store, "maria@example.com", "decide_claim_request")) == 2
    assert requests(fresh_org_store)[0][4] == "open" and LAB not in claims(fresh_org_store)
    assert audit.verify(fresh_org_store).ok


def test_a_portfolio_manager_cannot_claim_and_a_direct_claim_posts_no_request(app, fresh_org_store, fake):
    click(app, PRIYA, kit.CLAIM, {"pr": STRAY})
    assert fake.of("views.open") == [] and refusals(fresh_org_store, "priya@example.com", "claim_principal")
    click(app, MARIA, kit.CLAIM, {"pr": STRAY})
    meta = json.loads(fake.of("views.open")[-1].args["view"]["private_metadata"])
    submit(app, MARIA, CLAIM_VIEW, {"product": ["Fraud"], "reason": "fraud scoring's second role"}, meta)
    assert claims(fresh_org_store)[STRAY] == ("Fraud", "maria@example.com", TODAY)
    assert requests(fresh_org_store) == []
    assert not [c for c in fake.of("chat.postMessage") if c.args["channel"] == "C0FINOPS01"]


def test_a_backdated_claim_from_slack_is_a_request(app, fresh_org_store, fake):
    click(app, MARIA, kit.CLAIM, {"pr": STRAY})
    meta = json.loads(fake.of("views.open")[-1].args["view"]["private_metadata"])
    submit(app, MARIA, CLAIM_VIEW, {"product": ["Fraud"], "claimed_on": "2026-10-01", "reason": "ran for Fraud since October"},
           meta)
    assert STRAY not in claims(fresh_org_store)
    assert fresh_org_store.rows("SELECT claimed_on, status FROM claim_requests") == [(date(2026, 10, 1), "open")]
