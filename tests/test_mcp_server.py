"""The MCP server in memory (a real mcp Client session against build_server): default-deny tool
lists, hidden tools that fail like unknown ones, grants, audit, scope, errors, resources, prompts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from ledger.store import Store
from mcp_server import grants
from mcp_server.server import ASK, WRITE_HINTS, build_server
from tests.conftest import make_ctx
from tests.orgfixture import CHECKOUT, FRAUD, HR, STRAY
from tools import toolset

MARIA, HANA, PRIYA, LEAD, ENG = ("maria@example.com", "hana@example.com", "priya@example.com",
                                 "lead@example.com", "eng@example.com")
PERSONA = {MARIA: "product_owner", HANA: "product_owner", PRIYA: "portfolio_manager", LEAD: "finops_lead",
           ENG: "cloud_engineer"}


def session(store: Store, email: str, fn: Callable[[Client], Awaitable[Any]]) -> Any:
    """Run fn with a client session connected in memory to a server acting for `email`."""
    server = build_server(store, make_ctx, email=email)

    async def main() -> Any:
        async with Client(server, cache=None) as client:
            return await fn(client)

    return anyio.run(main)


def listed(store: Store, email: str) -> dict[str, Any]:
    async def go(c: Client) -> dict[str, Any]:
        return {t.name: t for t in (await c.list_tools()).tools}

    return session(store, email, go)


def call(store: Store, email: str, name: str, args: dict[str, Any] | None = None) -> Any:
    async def go(c: Client) -> Any:
        return await c.call_tool(name, args or {})

    return session(store, email, go)


def protocol_error(store: Store, email: str, name: str, args: dict[str, Any] | None = None) -> MCPError:
    async def go(c: Client) -> MCPError:
        with pytest.raises(MCPError) as info:  # caught inside the session: a protocol error
            await c.call_tool(name, args or {})
        return info.value

    return session(store, email, go)


def reads(persona: str) -> set[str]:
    return {t.name for t in toolset.tools_for(frozenset({persona}), actions=frozenset({"read"}))}


# ------------------------------------------------------------------------------ default deny


@pytest.mark.parametrize("email", [MARIA, HANA, PRIYA, LEAD, ENG])
def test_a_caller_sees_read_tools_only_until_granted(org_store: Store, email: str) -> None:
    tools = listed(org_store, email)
    assert set(tools) == reads(PERSONA[email]) | {ASK}
    assert all(t.annotations.read_only_hint is True for t in tools.values())
    assert all(t.annotations.open_world_hint is False for t in tools.values())
    writes = {t.name for t in toolset.all_tools() if t.action != "read"}
    assert not writes & set(tools)


def test_a_hidden_tool_fails_exactly_like_an_unknown_one(org_store: Store) -> None:
    for email, hidden in [(MARIA, "claim_principal"), (MARIA, "decide_model"), (LEAD, "pause_product"),
                          (ENG, "complete_task"), (HANA, "set_estimate")]:
        for args in ({}, {"product": "Checkout", "rationale": "x"}):
            h = protocol_error(org_store, email, hidden, args)
            u = protocol_error(org_store, email, "no_such_tool", args)
            assert (h.error.code, h.error.message.replace(hidden, "<name>"), h.error.data) == \
                   (u.error.code, u.error.message.replace("no_such_tool", "<name>"), u.error.data)
            assert h.error.message == f"Unknown tool: {hidden}"
    # nothing was written or audited by those calls
    assert not org_store.rows("SELECT * FROM audit_log WHERE action LIKE 'tool.%'")


def test_a_write_grant_shows_write_tools_and_the_write_is_audited(fresh_org_store: Store) -> None:
    store = fresh_org_store
    assert "claim_principal" not in listed(store, MARIA)
    grants.grant(store, email=MARIA, scope="write", rationale="IDE pilot", by=LEAD)
    tools = listed(store, MARIA)
    po_writes = {t.name for t in toolset.tools_for(frozenset({"product_owner"}), actions=frozenset({"write"}))}
    assert po_writes <= set(tools) and "claim_principal" in po_writes
    assert "decide_model" not in tools  # agentic: persona and scope both missing
    for name in po_writes:
        ann = tools[name].annotations
        assert (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint, ann.open_world_hint) == \
               (False, *WRITE_HINTS[name], False)

    r = call(store, MARIA, "claim_principal", {"principal": STRAY, "product": "Fraud", "note": "fraud batch"})
    assert not r.is_error, r.content
    assert r.structured_content["product"] == "Fraud" and r.structured_content["already_claimed"] is False
    assert store.scalar("SELECT product FROM claims WHERE principal = ?", [STRAY]) == "Fraud"
    actor, action, details = store.rows(
        "SELECT actor, action, details FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert (actor, action) == (MARIA, "tool.claim_principal")
    assert json.loads(details)["channel"] == "mcp"

    grants.revoke(store, email=MARIA, scope="write", by=LEAD, why="pilot over")
    assert "claim_principal" not in listed(store, MARIA)
    assert protocol_error(store, MARIA, "claim_principal", {}).error.message == "Unknown tool: claim_principal"


def test_a_refused_write_is_a_tool_error_and_audited_as_refused(fresh_org_store: Store) -> None:
    store = fresh_org_store
    grants.grant(store, email=HANA, scope="write", rationale="pilot", by=LEAD)
    r = call(store, HANA, "claim_principal", {"principal": HR, "product": "HR Portal", "claimed_on": "2027-01-01"})
    assert r.is_error and "is in the future" in r.content[0].text
    assert r.structured_content is None
    outcome, details = store.rows("SELECT outcome, details FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert outcome == "refused" and json.loads(details)["channel"] == "mcp"


def test_agentic_tools_need_the_agentic_scope(fresh_org_store: Store) -> None:
    store = fresh_org_store
    grants.grant(store, email=LEAD, scope="write", rationale="lead claims from the IDE", by=LEAD)
    tools = listed(store, LEAD)
    assert "claim_principal" in tools and "decide_model" not in tools and "pause_product" not in tools
    grants.grant(store, email=LEAD, scope="agentic", rationale="decisions from the IDE", by=LEAD)
    tools = listed(store, LEAD)
    assert {"decide_model", "pause_product", "resume_product"} <= set(tools)
    assert tools["pause_product"].annotations.destructive_hint is True
    r = call(store, LEAD, "pause_product", {"product": "Fraud", "rationale": "runaway cost"})
    assert not r.is_error, r.content
    assert [t["kind"] for t in r.structured_content["tasks"]] == ["pause"]
    assert store.scalar("SELECT count(*) FROM engineer_tasks WHERE product = 'Fraud' AND kind = 'pause'") == 1
    action, details = store.rows("SELECT action, details FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert action == "tool.pause_product" and json.loads(details)["channel"] == "mcp"


def test_one_session_sees_grants_and_its_own_writes_at_once(fresh_org_store: Store) -> None:
    """Read results are reused while the store is unchanged; a grant or a write moves the store's
    version, so the next list and the next read reflect it (registry_ttl=0: checked per request)."""
    store = fresh_org_store
    server = build_server(store, make_ctx, email=MARIA, registry_ttl=0)

    async def main() -> tuple[set[str], set[str], bool, set[str]]:
        async with Client(server, cache=None) as c:
            args = {"by": "principal", "month": "2026-11"}
            before = {r["key"] for r in (await c.call_tool("spend_breakdown", args)).structured_content["rows"]}
            again = {r["key"] for r in (await c.call_tool("spend_breakdown", args)).structured_content["rows"]}
            assert again == before
            grants.grant(store, email=MARIA, scope="write", rationale="pilot", by=LEAD)
            listed_now = {t.name for t in (await c.list_tools()).tools}
            # A backdated claim by a Product Owner is a request; a FinOps Lead approves it (issue 11).
            claim = await c.call_tool("claim_principal", {"principal": STRAY, "product": "Fraud",
                                                          "claimed_on": "2026-11-01", "reason": "fraud batch"})
            toolset.call(make_ctx(store, LEAD), "decide_claim_request",
                         {"request_id": claim.structured_content["request_id"], "decision": "approve",
                          "rationale": "fraud batch role"})
            after = {r["key"] for r in (await c.call_tool("spend_breakdown", args)).structured_content["rows"]}
            return before, listed_now, claim.is_error, after

    before, listed_now, claim_failed, after = anyio.run(main)
    assert STRAY not in before and "claim_principal" in listed_now and not claim_failed
    assert after == before | {STRAY}


# ------------------------------------------------------------------------------ scope and results


def test_results_never_leave_the_callers_scope(org_store: Store) -> None:
    r = call(org_store, MARIA, "spend_breakdown", {"by": "product"})
    assert {row["key"] for row in r.structured_content["rows"]} == {"Checkout", "Fraud"}
    r = call(org_store, MARIA, "spend_breakdown", {"by": "principal"})
    assert {row["key"] for row in r.structured_content["rows"]} <= {CHECKOUT, FRAUD}
    text = json.dumps(r.structured_content)
    assert HR not in text and "HR Portal" not in text
    r = call(org_store, HANA, "estimate_status", {"product": "Checkout"})
    assert r.is_error and "not in your scope" in r.content[0].text
    r = call(org_store, MARIA, "my_scope")
    assert r.structured_content["products"] == ["Checkout", "Fraud"]


def test_structured_output_is_the_tool_result(org_store: Store) -> None:
    tools = listed(org_store, LEAD)
    ctx = make_ctx(org_store, LEAD)
    for name, args in [("spend_breakdown", {"by": "model"}), ("model_catalog", {}), ("quota_status", {}),
                       ("my_scope", {})]:
        t = toolset.get(name)
        fields = t.args_model.model_fields
        assert tools[name].input_schema["properties"].keys() == fields.keys()  # every argument advertised
        assert set(tools[name].input_schema.get("required", [])) == {k for k, f in fields.items() if f.is_required()}
        assert tools[name].output_schema["required"] == list(t.result_model.model_fields)
        r = call(org_store, LEAD, name, args)
        assert not r.is_error
        assert r.structured_content == toolset.call(ctx, name, args).model_dump(mode="json")
        jsonschema.Draft202012Validator.check_schema(tools[name].output_schema)
        jsonschema.validate(r.structured_content, tools[name].output_schema)  # the tightened schema still holds
        assert json.loads(r.content[0].text) == r.structured_content


def test_errors_the_model_can_fix_are_tool_errors(org_store: Store) -> None:
    r = call(org_store, MARIA, "spend_breakdown", {"by": "colour"})
    assert r.is_error and r.content[0].text.startswith("bad arguments for spend_breakdown: by:")
    r = call(org_store, MARIA, "estimate_status", {"product": "Checkout", "month": "2026-13"})
    assert r.is_error and "is not a month" in r.content[0].text
    # Lists sent as JSON text (some clients do) are parsed back; strings stay strings.
    from mcp_server.tool_handlers import _pre_parse

    assert _pre_parse(toolset.get("request_model_access"), {"accounts": '["111111111111"]', "reason": "[1]"}) == \
        {"accounts": ["111111111111"], "reason": "[1]"}


def test_a_person_not_in_the_registry_gets_a_protocol_error(org_store: Store) -> None:
    async def go(c: Client) -> MCPError:
        with pytest.raises(MCPError) as info:
            await c.list_tools()
        return info.value

    assert "not in the Steward registry" in session(org_store, "mallory@example.com", go).error.message


# ------------------------------------------------------------------------------ resources and prompts


def test_resources_are_the_callers_catalog_scope_and_policies(org_store: Store) -> None:
    async def go(c: Client) -> tuple[list[str], str, str, str]:
        uris = [str(r.uri) for r in (await c.list_resources()).resources]
        scope = (await c.read_resource("steward://my-scope")).contents[0].text
        catalog = (await c.read_resource("steward://catalog")).contents[0].text
        policy = (await c.read_resource("steward://iam-policy/Checkout")).contents[0].text
        with pytest.raises(MCPError) as info:
            await c.read_resource("steward://iam-policy/HR Portal")
        assert "not in your scope" in info.value.error.message
        return uris, scope, catalog, policy

    uris, scope, catalog, policy = session(org_store, MARIA, go)
    assert uris == ["steward://catalog", "steward://my-scope", "steward://iam-policy/Checkout",
                    "steward://iam-policy/Fraud"]
    ctx = make_ctx(org_store, MARIA)
    assert json.loads(scope) == toolset.call(ctx, "my_scope", {}).model_dump(mode="json")
    assert json.loads(catalog) == toolset.call(ctx, "model_catalog", {}).model_dump(mode="json")
    assert json.loads(policy)["product"] == "Checkout"

    async def templates(c: Client) -> tuple[list[str], list[str]]:
        return ([str(r.uri) for r in (await c.list_resources()).resources],
                [t.uri_template for t in (await c.list_resource_templates()).resource_templates])

    assert session(org_store, PRIYA, templates) == (["steward://catalog", "steward://my-scope"], [])
    assert session(org_store, MARIA, templates)[1] == ["steward://iam-policy/{product}"]


def test_prompts_for_a_monthly_review_and_a_drift_review(org_store: Store) -> None:
    async def go(c: Client) -> tuple[list[str], str, str]:
        names = [p.name for p in (await c.list_prompts()).prompts]
        review = (await c.get_prompt("monthly_review", {"product": "checkout", "month": "2026-10"}))
        drift = (await c.get_prompt("drift_review", {}))
        for bad in ({"product": "HR Portal"}, {"product": "Checkout", "month": "October"}):
            with pytest.raises(MCPError):
                await c.get_prompt("monthly_review", bad)
        return names, review.messages[0].content.text, drift.messages[0].content.text

    names, review, drift = session(org_store, MARIA, go)
    assert names == ["monthly_review", "drift_review"]
    assert 'estimate_status {"product": "Checkout", "month": "2026-10"}' in review
    assert "model_drift {}" in drift


# ------------------------------------------------------------------------------ ask


def test_ask_answers_from_the_callers_tools(org_store: Store) -> None:
    from agent.config import AgentConfig

    server = build_server(org_store, make_ctx, email=MARIA, agent_config=AgentConfig(mode="offline"))

    async def main() -> Any:
        async with Client(server, cache=None) as c:
            return await c.call_tool(ASK, {"question": "How much did Checkout spend this month against its estimate?"})

    r = anyio.run(main)
    assert not r.is_error, r.content
    answer = r.structured_content
    assert answer["mode"] == "offline" and answer["grounded"] is True and answer["facts"]
    allowed = reads("product_owner")
    ctx = make_ctx(org_store, MARIA)
    for fact in answer["facts"]:
        assert fact["tool"] in allowed
        if fact["result"] is not None:
            assert fact["result"] == toolset.call(ctx, fact["tool"], fact["args"]).model_dump(mode="json")


def test_the_agent_behind_ask_cannot_write_without_a_grant(fresh_org_store: Store) -> None:
    """Default deny travels in the caller's context: asked in plain language to claim a role, the
    agent of an ungranted Product Owner changes nothing (the attempt is audited as refused); once a
    FinOps Lead grants `write`, the same question makes the claim."""
    from agent.config import AgentConfig
    from ledger import audit

    store = fresh_org_store
    question = f"claim {STRAY} for Fraud"
    server = build_server(store, make_ctx, email=MARIA, agent_config=AgentConfig(mode="offline"),
                          registry_ttl=0)

    async def ask() -> str:
        async with Client(server, cache=None) as c:
            result = await c.call_tool(ASK, {"question": question})
            return result.content[0].text

    answer = json.loads(anyio.run(ask))
    assert store.scalar("SELECT count(*) FROM claims WHERE principal = ?", [STRAY]) == 0
    assert answer["facts"] == [] and "read access only" in answer["text"] and "steward mcp grant" in answer["text"]

    grants.grant(store, email=MARIA, scope="write", rationale="pilot", by=LEAD)
    anyio.run(ask)
    assert store.scalar("SELECT product FROM claims WHERE principal = ?", [STRAY]) == "Fraud"
    assert audit.verify(store).ok


def test_concurrent_asks_append_to_the_audit_log_in_turn(fresh_org_store: Store) -> None:
    """Each ask is audited; concurrent asks share the server's write lock instead of racing for
    the next audit sequence number."""
    from agent.config import AgentConfig
    from ledger import audit

    store = fresh_org_store
    server = build_server(store, make_ctx, email=MARIA, agent_config=AgentConfig(mode="offline"))
    errors: list[Any] = []

    async def main() -> None:
        async with Client(server, cache=None) as c:
            async def one(i: int) -> None:
                r = await c.call_tool(ASK, {"question": f"How much did Fraud spend this month? ({i})"})
                if r.is_error:
                    errors.append(r.content)

            async with anyio.create_task_group() as tg:
                for i in range(8):
                    tg.start_soon(one, i)

    anyio.run(main)
    assert errors == []
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'agent.ask'") == 8
    assert audit.verify(store).ok


def test_writes_and_asks_go_through_the_host_stores_transactions(fresh_org_store: Store) -> None:
    """`steward serve` hands the server its one open store, whose transactions (on any cursor) hold
    the process's write lock: MCP writes and the ask agent's audit entries must go through them."""
    from agent.config import AgentConfig
    from ledger import audit

    store = fresh_org_store
    grants.grant(store, email=MARIA, scope="write", rationale="pilot", by=LEAD)
    server = build_server(store, make_ctx, email=MARIA, agent_config=AgentConfig(mode="offline"))
    before = store.commits[0]

    async def main() -> tuple[bool, bool]:
        async with Client(server, cache=None) as c:
            claim = await c.call_tool("claim_principal", {"principal": STRAY, "product": "Fraud"})
            asked = await c.call_tool(ASK, {"question": "How much did Fraud spend this month?"})
            return claim.is_error, asked.is_error

    assert anyio.run(main) == (False, False)
    assert store.commits[0] - before == 2  # the claim (with its audit entry) and the ask's audit entry
    assert audit.verify(store).ok


def test_a_context_without_a_scope_neither_offers_nor_runs_its_tools(fresh_org_store: Store) -> None:
    """Whatever path reaches toolset.call (the agent behind `ask` included), a write tool outside the
    context's action scopes fails as an unknown tool does, and the attempt is audited as refused."""
    from dataclasses import replace

    from ledger import audit
    from tools.errors import NotAllowed

    ctx = make_ctx(fresh_org_store, MARIA)
    read_only = replace(ctx.with_caller(ctx.caller.model_copy(update={"channel": "mcp"})), actions=frozenset({"read"}))
    assert {t.action for t in toolset.tools_for(read_only)} == {"read"}
    assert "claim_principal" in {t.name for t in toolset.tools_for(ctx)}
    with pytest.raises(NotAllowed, match="^there is no tool named 'claim_principal'$"):
        toolset.call(read_only, "claim_principal", {"principal": STRAY, "product": "Fraud"})
    assert fresh_org_store.scalar("SELECT count(*) FROM claims WHERE principal = ?", [STRAY]) == 0
    [refused] = audit.entries(fresh_org_store, action="tool.claim_principal", limit=None)
    assert (refused.actor, refused.outcome, refused.details["channel"]) == (MARIA, "refused", "mcp")
