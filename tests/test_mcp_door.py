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

from mcp_server.auth import create_token, revoke_token
from mcp_server.http import build_http_app, start_in_thread
from mcp_server.server import build_server
from tests.conftest import make_ctx

MARIA, LEAD = "maria@example.com", "lead@example.com"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


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

# tools/list as sent (compact JSON, nulls left out), in bytes. A Product Owner's list was 54 KB with
# pydantic's schemas and full docstrings; issue 17 sets 20 KB. Lists with write / agentic grants
# carry more tools and get a little more room (a FinOps Lead with every grant: 27.4 KB, 33 tools, since
# cost_per_unit and record_metric).
LIST_BUDGET = 20_000
GRANTED_LIST_BUDGET = 28_000
PERSONAS = {"product_owner": MARIA, "portfolio_manager": "priya@example.com", "finops_lead": LEAD,
            "cloud_engineer": "eng@example.com"}


def listed_tools(store: Any, email: str) -> tuple[int, list[dict]]:
    """(size of the serialized tools/list result, its tools) as a real client session received them."""
    async def go(client: Client) -> tuple[int, list[dict]]:
        result = await client.list_tools()
        wire = result.model_dump_json(by_alias=True, exclude_none=True)
        return len(wire.encode()), json.loads(wire)["tools"]

    return in_memory(store, email, go)


def test_every_personas_tool_list_fits_the_budget(fresh_org_store) -> None:
    from mcp_server import grants

    sizes = {persona: listed_tools(fresh_org_store, email)[0] for persona, email in PERSONAS.items()}
    assert all(size <= LIST_BUDGET for size in sizes.values()), sizes
    grants.grant(fresh_org_store, email=MARIA, scope="write", rationale="claims from the IDE", by=LEAD)
    for scope in ("write", "agentic"):
        grants.grant(fresh_org_store, email=LEAD, scope=scope, rationale="decisions from the IDE", by=LEAD)
    granted = {email: listed_tools(fresh_org_store, email) for email in (MARIA, LEAD)}
    assert "set_estimate" in {t["name"] for t in granted[MARIA][1]}      # the grant is in the measured list
    assert "decide_model" in {t["name"] for t in granted[LEAD][1]}
    assert all(size <= GRANTED_LIST_BUDGET for size, _ in granted.values()), {e: s for e, (s, _) in granted.items()}


def _pydantic_enums(schema: dict) -> list:
    """The allowed values of a field in pydantic's own schema (enum, or enum inside anyOf)."""
    found = list(schema.get("enum", []))
    for alternative in schema.get("anyOf", []):
        found += alternative.get("enum", [])
    return found


def test_the_tight_list_keeps_what_a_call_needs(fresh_org_store) -> None:
    """Every argument with its type, enum, bounds and non-null default; required stays required; one
    short description per tool; every result field named in the output schema."""
    from mcp_server import grants
    from tools import toolset

    for scope in ("write", "agentic"):
        grants.grant(fresh_org_store, email=LEAD, scope=scope, rationale="all tools", by=LEAD)
    _, tools = listed_tools(fresh_org_store, LEAD)
    for tool in tools:
        if tool["name"] == "ask":
            continue
        declared = toolset.get(tool["name"])
        pydantic = declared.args_model.model_json_schema()["properties"]
        advertised = tool["inputSchema"]
        assert "\"title\": \"" not in json.dumps(advertised)  # no generated titles (a property may be called title)
        assert advertised["properties"].keys() == pydantic.keys(), tool["name"]
        assert set(advertised.get("required", [])) == set(declared.args_model.model_json_schema().get("required", []))
        for name, field in advertised["properties"].items():
            original = pydantic[name]
            types = {a.get("type") for a in original.get("anyOf", [original])} - {"null", None}
            assert field.get("type") in types or field.get("anyOf"), (tool["name"], name, field)
            assert field.get("enum", []) == _pydantic_enums(original), (tool["name"], name)
            for bound in ("minimum", "maximum", "exclusiveMinimum", "minLength", "format"):
                nested = [a.get(bound) for a in original.get("anyOf", [original]) if bound in a]
                assert field.get(bound) == (nested[0] if nested else None), (tool["name"], name, bound)
            if original.get("default") is not None:
                assert field["default"] == original["default"], (tool["name"], name)
        assert 0 < len(tool["description"]) <= 200 and "\n" not in tool["description"]
        assert tool["outputSchema"]["required"] == list(declared.result_model.model_fields), tool["name"]


def test_a_structured_result_missing_a_field_fails_its_output_schema(org_store) -> None:
    import jsonschema

    async def go(client: Client) -> tuple[dict, Any]:
        schema = next(t for t in (await client.list_tools()).tools if t.name == "estimate_status").output_schema
        return schema, await client.call_tool("estimate_status", {"product": "Checkout"})

    schema, result = in_memory(org_store, MARIA, go)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(result.structured_content, schema)
    assert schema["properties"]["status"]["enum"] == ["on_track", "projected_over", "exceeded", "no_estimate", "no_usage"]
    for broken in ({k: v for k, v in result.structured_content.items() if k != "forecast_usd"},
                   {**result.structured_content, "status": "fine"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


def test_compact_keeps_properties_named_like_keywords_and_writes_optionals_plainly() -> None:
    from tools.schemas import compact

    schema = {"title": "M", "type": "object", "properties": {
        "title": {"title": "Title", "type": "string", "description": "a property called title"},
        "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}], "default": None,
                 "description": "a day"},
        "top": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "default": None},
        "either": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}], "default": None},
        "kept": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 3}},
        "required": ["title"]}
    assert compact(schema) == {"type": "object", "required": ["title"], "properties": {
        "title": {"type": "string", "description": "a property called title"},
        "when": {"description": "a day", "type": "string", "format": "date"},
        "top": {"type": "integer", "minimum": 1},
        "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "kept": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 3}}}


# ------------------------------------------------------------------ tool lists that stay true

# registry_ttl=3600: the server's registry version stays cached between requests (as it does for up to a
# second in a running server), so a grant made by another process is seen only by the watch's own read.
@pytest.mark.parametrize("registry_ttl", [0, 3600], ids=["version-read-each-request", "version-cached"])
def test_a_grant_and_a_revoke_tell_the_persons_open_session_to_list_again(fresh_org_store, registry_ttl) -> None:
    from mcp_server import grants

    server = build_server(fresh_org_store, make_ctx, email=MARIA, registry_ttl=registry_ttl)
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


def test_a_tool_call_between_a_grant_and_the_check_does_not_swallow_the_notification(fresh_org_store) -> None:
    """The call's view already has the grant, but the client's tool list does not: it must still be told."""
    from mcp_server import grants

    server = build_server(fresh_org_store, make_ctx, email=MARIA, registry_ttl=0)
    received: list[str] = []

    async def on_message(message: Any) -> None:
        received.append(repr(message))

    async def main() -> tuple[set[str], list[str], set[str]]:
        async with Client(server, cache=None, mode="legacy", message_handler=on_message) as client:
            before = {t.name for t in (await client.list_tools()).tools}
            grants.grant(fresh_org_store, email=MARIA, scope="write", rationale="Checkout claims its roles", by=LEAD)
            called = await client.call_tool("estimate_status", {"product": "Checkout"})
            assert not called.is_error
            notified = await server.steward.watch.check()
            with anyio.fail_after(10):
                while not any("list_changed" in m for m in received):
                    await anyio.sleep(0.01)
            return before, notified, {t.name for t in (await client.list_tools()).tools}

    before, notified, after = anyio.run(main)
    assert notified == [MARIA]
    assert "claim_principal" not in before and "claim_principal" in after


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
