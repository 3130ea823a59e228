"""What independent MCP clients rely on: a 401 that says how to get a token and OAuth discovery that
stops with the reason, JSON-RPC error codes for prompts and cursors, the package version in
serverInfo, and a tool list small enough to send with every IDE conversation."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from mcp_server import schemas
from mcp_server.auth import create_token, revoke_token
from mcp_server.http import build_http_app, start_in_thread
from mcp_server.server import build_server
from tests.conftest import make_ctx

MARIA, LEAD = "maria@example.com", "lead@example.com"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
TIGHTENED_SHARE = 0.75  # tools/list after tightening, as a share of the same list untightened (measured ~0.67)


def in_memory(store: Any, email: str, fn: Any) -> Any:
    server = build_server(store, make_ctx, email=email, registry_ttl=0)

    async def main() -> Any:
        async with Client(server, cache=None) as client:
            return await fn(client)

    return anyio.run(main)


# ------------------------------------------------------------------ the 401 path

@pytest.fixture
def running(fresh_org_store):
    app = start_in_thread(build_http_app(fresh_org_store, make_ctx, registry_ttl=0))
    yield fresh_org_store, app
    app.stop()


def test_a_missing_or_refused_token_is_told_how_to_get_one(running) -> None:
    store, app = running
    token = create_token(store, email=MARIA, created_by=LEAD).token
    revoke_token(store, token, by=LEAD)
    for headers, reason in (({}, "No bearer token was sent"),
                            ({"Authorization": f"Bearer {token}"}, "unknown, revoked")):
        r = httpx2.post(app.url, json=INIT, headers={**HEADERS, **headers})
        assert r.status_code == 401
        body = r.json()
        assert body["error"] == "invalid_token" and reason in body["error_description"]
        assert "steward tokens create" in body["error_description"]
        challenge = r.headers["www-authenticate"]
        assert challenge.startswith('Bearer error="invalid_token", error_description="') and \
            "steward tokens create" in challenge and "resource_metadata" not in challenge


def test_oauth_discovery_says_steward_uses_static_tokens(running) -> None:
    _, app = running
    base = app.url.removesuffix("/mcp")
    meta = httpx2.get(f"{base}/.well-known/oauth-protected-resource/mcp")
    assert meta.status_code == 200
    doc = meta.json()  # RFC 9728, truthful: no authorization server
    assert doc["resource"].endswith("/mcp") and doc["authorization_servers"] == []
    assert doc["bearer_methods_supported"] == ["header"]
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        r = httpx2.get(base + path)
        assert r.status_code == 404 and "steward tokens create" in r.json()["error_description"]
    registration = httpx2.post(f"{base}/register", json={"client_name": "Claude Code", "redirect_uris": ["http://x"]})
    assert registration.status_code == 400
    assert registration.json()["error"] == "invalid_request"
    assert "steward tokens create" in registration.json()["error_description"]


# ------------------------------------------------------------------ JSON-RPC errors and serverInfo

def test_prompt_errors_have_invalid_params_codes_and_say_what_is_wrong(org_store) -> None:
    async def go(client: Client) -> list[tuple[int, str]]:
        out = []
        for name, args in (("monthly_review", {"product": "HR Portal"}),   # not Maria's product
                           ("monthly_review", {"product": "Checkout", "month": "2026-13"}),
                           ("monthly_review", {}),                           # product missing
                           ("no_such_prompt", {})):
            with pytest.raises(MCPError) as info:
                await client.get_prompt(name, args)
            out.append((info.value.error.code, info.value.error.message))
        return out

    errors = in_memory(org_store, MARIA, go)
    assert [code for code, _ in errors] == [INVALID_PARAMS] * 4
    assert "not in your scope" in errors[0][1]
    assert "'2026-13' is not a month; use YYYY-MM" in errors[1][1]
    assert errors[2][1] == "Missing required arguments: {'product'}"
    assert "no_such_prompt" in errors[3][1]


def test_an_invalid_cursor_is_an_error(org_store) -> None:
    async def go(client: Client) -> tuple[int, str]:
        with pytest.raises(MCPError) as info:
            await client.list_tools(cursor="not-a-cursor")
        return info.value.error.code, info.value.error.message

    code, message = in_memory(org_store, MARIA, go)
    assert code == INVALID_PARAMS and "cursor" in message


def test_server_info_carries_the_package_version(org_store) -> None:
    async def go(client: Client) -> Any:
        return client.server_info, client.protocol_version

    info, _ = in_memory(org_store, MARIA, go)
    assert info.version == metadata.version("bedrock-steward") and info.version


# ------------------------------------------------------------------ context cost

def test_a_product_owner_tool_list_stays_small_and_keeps_what_calls_need(org_store, monkeypatch) -> None:
    async def go(client: Client) -> list[dict]:
        return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in (await client.list_tools()).tools]

    def size(tools: list[dict]) -> int:
        return len(json.dumps({"tools": tools}, separators=(",", ":")))

    tools = in_memory(org_store, MARIA, go)
    monkeypatch.setattr(schemas, "input_schema", lambda schema: schema)  # the schemas as pydantic writes them
    monkeypatch.setattr(schemas, "output_schema", lambda schema: schema)
    untightened = in_memory(org_store, MARIA, go)
    assert [t["name"] for t in tools] == [t["name"] for t in untightened]
    assert size(tools) <= TIGHTENED_SHARE * size(untightened), (size(tools), size(untightened))
    estimate = next(t for t in tools if t["name"] == "estimate_status")
    assert estimate["description"] and estimate["inputSchema"]["properties"]["product"].get("description")
    assert "title" not in json.dumps(estimate["inputSchema"]["properties"]["product"])
    assert estimate["outputSchema"]["properties"] and estimate["outputSchema"].get("required")


def test_tightening_keeps_properties_named_like_keywords_and_makes_nullables_short() -> None:
    schema = {"title": "M", "type": "object", "properties": {
        "title": {"title": "Title", "type": "string", "description": "a property called title"},
        "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}], "default": None}},
        "required": ["title"]}
    assert schemas.output_schema(schema) == {"type": "object", "required": ["title"], "properties": {
        "title": {"type": "string"}, "when": {"type": ["string", "null"], "format": "date"}}}


# ------------------------------------------------------------------ tool lists that stay true

def test_a_grant_and_a_revoke_tell_the_persons_open_session_to_list_again(fresh_org_store) -> None:
    from mcp_server import grants

    server = build_server(fresh_org_store, make_ctx, email=MARIA, registry_ttl=0)
    received: list[str] = []

    async def on_message(message: Any) -> None:
        received.append(repr(message))

    async def until_notified(count: int) -> None:
        with anyio.fail_after(10):
            while sum("list_changed" in m for m in received) < count:
                await anyio.sleep(0.01)

    async def main() -> tuple[Any, set[str], set[str], set[str], list[str], list[str]]:
        async with Client(server, cache=None, mode="legacy", message_handler=on_message) as client:
            listed = client.server_capabilities.tools.list_changed
            before = {t.name for t in (await client.list_tools()).tools}
            grants.grant(fresh_org_store, email=MARIA, scope="write", rationale="Checkout claims its roles", by=LEAD)
            first = await server.steward.watch.check()
            await until_notified(1)
            granted = {t.name for t in (await client.list_tools()).tools}
            grants.revoke(fresh_org_store, email=MARIA, scope="write", by=LEAD)
            second = await server.steward.watch.check()
            await until_notified(2)
            revoked = {t.name for t in (await client.list_tools()).tools}
            return listed, before, granted, revoked, first, second

    listed, before, granted, revoked, first, second = anyio.run(main)
    assert listed is True
    assert first == second == [MARIA]
    assert "claim_principal" not in before and "claim_principal" in granted and revoked == before


def test_over_http_the_server_notices_a_grant_by_itself(running) -> None:
    """`steward serve` / `mcp serve-http` check grants in the background: nothing calls check()."""
    from mcp.client.streamable_http import streamable_http_client

    from mcp_server import grants

    store, app = running
    token = create_token(store, email=MARIA, created_by=LEAD).token
    received: list[str] = []

    async def on_message(message: Any) -> None:
        received.append(repr(message))

    async def main() -> tuple[set[str], set[str]]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
        async with Client(streamable_http_client(app.url, http_client=http), cache=None, mode="legacy",
                          message_handler=on_message) as client:
            before = {t.name for t in (await client.list_tools()).tools}
            grants.grant(store, email=MARIA, scope="write", rationale="Checkout claims its roles", by=LEAD)
            with anyio.fail_after(20):
                while not any("list_changed" in m for m in received):
                    await anyio.sleep(0.02)
            return before, {t.name for t in (await client.list_tools()).tools}

    before, after = anyio.run(main)
    assert "claim_principal" not in before and "claim_principal" in after
