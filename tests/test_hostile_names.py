"""Issue 11 §3: control, bidirectional and zero-width characters in names are never rendered raw:
shown escaped, and the principal flagged as a look-alike."""

from __future__ import annotations

import pytest

from agent.render import render_result
from tools import display

RLO_ROLE = "arn:aws:iam::111111111111:role/pay\u202emnet-bedrock"   # right-to-left override
ZW_ROLE = "arn:aws:iam::111111111111:role/checkout\u200b-bedrock"   # zero-width space


@pytest.mark.parametrize(("raw", "shown"), [
    (RLO_ROLE, "arn:aws:iam::111111111111:role/pay\\u202emnet-bedrock"),
    (ZW_ROLE, "arn:aws:iam::111111111111:role/checkout\\u200b-bedrock"),
    ("bell\x07 and esc\x1b[31m", "bell\\u0007 and esc\\u001b[31m"),
    ("line one\nline two", "line one\nline two"),
    ("Café Zürich", "Café Zürich"),
])
def test_hostile_characters_are_shown_escaped(raw, shown):
    assert display.safe(raw) == shown
    assert display.fmt("principal", raw) == shown


def test_a_look_alike_is_recognised():
    assert display.look_alike(RLO_ROLE) and display.look_alike(ZW_ROLE)
    assert not display.look_alike("arn:aws:iam::111111111111:role/checkout-bedrock")


def test_slack_blocks_and_answers_never_carry_them_raw():
    from slack_app.blocks import header, section
    assert "\u202e" not in section(f"principal {RLO_ROLE}")["text"]["text"]
    assert "\u200b" not in header(f"role {ZW_ROLE}")["text"]["text"]
    text = render_result("claim_principal", {"message": f"{RLO_ROLE} now belongs to Checkout."})
    assert "\u202e" not in text and "\\u202e" in text


def test_a_look_alike_principal_in_the_cur_is_flagged_and_shown_escaped(fresh_org_store):
    from ledger import rollup
    from tests.conftest import insert_usage_row, make_ctx
    from tools import toolset

    insert_usage_row(fresh_org_store, RLO_ROLE, cost=12.5, account_id="111111111111", day="2026-11-05")
    rollup.rebuild(fresh_org_store, ["2026-11"])
    result = toolset.call(make_ctx(fresh_org_store, "lead@example.com"), "unattributed_spend", {"month": "2026-11"})
    lines = [x for g in result.groups for x in g.lines]
    flagged = [x for x in lines if x.look_alike]
    assert [x.principal for x in flagged] == [RLO_ROLE]
    assert not any(x.look_alike for x in lines if x.principal != RLO_ROLE)
    text = render_result("unattributed_spend", result)
    assert "\u202e" not in text
