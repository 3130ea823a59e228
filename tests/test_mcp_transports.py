"""The MCP server over its real transports: a `steward mcp --as` subprocess on stdio, and
streamable HTTP with bearer tokens on 127.0.0.1 (port 0), alone and routed inside a host app."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from starlette.applications import Starlette
from starlette.routing import Route

from ledger.store import Store
from mcp_server import grants
from mcp_server.auth import create_token, revoke_token
from mcp_server.http import Running, build_http_app, start_in_thread
from tests.conftest import make_ctx
from tests.orgfixture import STRAY, build_store
from tools import toolset

REPO = Path(__file__).resolve().parent.parent
MARIA, HANA, PRIYA, LEAD = "maria@example.com", "hana@example.com", "priya@example.com", "lead@example.com"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "0"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def read_tool_names(persona: str) -> set[str]:
    return {t.name for t in toolset.tools_for(frozenset({persona}), actions=frozenset({"read"}))} | {"ask"}


# ------------------------------------------------------------------------------ stdio


def stdio(db: Path, *args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    """`python -m steward.cli --db DB --as-of 2026-11-21 mcp ARGS`: what an IDE's config runs."""
    return StdioServerParameters(command=sys.executable,
                                 args=["-m", "steward.cli", "--db", str(db), "--as-of", "2026-11-21", "mcp", *args],
                                 env={"PYTHONPATH": str(REPO), **(env or {})}, cwd=str(REPO))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    build_store(tmp_path).close()  # the server subprocess owns the file
    return tmp_path / "steward.duckdb"


def test_stdio_server_acts_for_the_configured_person(db: Path) -> None:
    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with Client(stdio(db, "--as", MARIA), cache=None) as c:
            out["tools"] = {t.name for t in (await c.list_tools()).tools}
            r = await c.call_tool("spend_breakdown", {"by": "product"})
            out["keys"] = {row["key"] for row in r.structured_content["rows"]}
            with pytest.raises(MCPError) as hidden:
                await c.call_tool("claim_principal", {"principal": STRAY, "product": "Fraud"})
            with pytest.raises(MCPError) as unknown:
                await c.call_tool("no_such_tool", {"principal": STRAY, "product": "Fraud"})
            out["errors"] = [(e.value.error.code, e.value.error.message) for e in (hidden, unknown)]
            r = await c.call_tool("estimate_status", {"product": "HR Portal"})
            out["scope_error"] = (r.is_error, r.content[0].text)
            r = await c.call_tool("ask", {"question": "How much did Fraud spend this month?"})
            out["ask"] = (r.is_error, r.structured_content and r.structured_content["mode"])
        async with Client(stdio(db, env={"STEWARD_MCP_AS": HANA}), cache=None) as c:
            out["hana"] = (await c.call_tool("my_scope", {})).structured_content["products"]
        return out

    out = anyio.run(main)
    assert out["tools"] == read_tool_names("product_owner")
    assert out["keys"] == {"Checkout", "Fraud"}
    assert out["errors"] == [(-32602, "Unknown tool: claim_principal"), (-32602, "Unknown tool: no_such_tool")]
    assert out["scope_error"][0] and "not in your scope" in out["scope_error"][1]
    assert out["hana"] == ["HR Portal"]
    assert out["ask"] == (False, "offline")  # no Bedrock model configured: the offline planner


def test_stdio_write_after_grant_is_audited(db: Path) -> None:
    with Store(db) as store:
        grants.grant(store, email=MARIA, scope="write", rationale="IDE pilot", by=LEAD)

    async def main() -> Any:
        async with Client(stdio(db, "--as", MARIA), cache=None) as c:
            assert "claim_principal" in {t.name for t in (await c.list_tools()).tools}
            return await c.call_tool("claim_principal", {"principal": STRAY, "product": "Fraud"})

    r = anyio.run(main)
    assert not r.is_error, r.content
    with Store(db) as store:
        actor, action, details = store.rows("SELECT actor, action, details FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert (actor, action, json.loads(details)["channel"]) == (MARIA, "tool.claim_principal", "mcp")


# ------------------------------------------------------------------------------ streamable HTTP


@pytest.fixture
def http(fresh_org_store: Store) -> Iterator[tuple[Store, Running, dict[str, str]]]:
    store = fresh_org_store
    tokens = {who: create_token(store, email=who, created_by=LEAD).token for who in (MARIA, HANA, PRIYA, LEAD)}
    running = start_in_thread(build_http_app(store, make_ctx, registry_ttl=0))
    yield store, running, tokens
    running.stop()


def client(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers)), cache=None)


def test_no_token_or_a_wrong_token_gets_401(http: tuple[Store, Running, dict[str, str]]) -> None:
    store, running, tokens = http
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {tokens[MARIA]}x"},
                    {"Authorization": f"Basic {tokens[MARIA]}"}):
        r = httpx2.post(running.url, json=INIT, headers={**HEADERS, **headers})
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    r = httpx2.post(running.url, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {tokens[MARIA]}"})
    assert r.status_code == 200

    async def connect(token: str) -> None:
        async with client(running.url, token) as c:
            await c.list_tools()

    with pytest.raises(BaseException) as info:  # the SDK client raises an ExceptionGroup around the 401
        anyio.run(connect, "stw_wrong")
    assert "401" in repr(info.value) or "error response" in repr(info.value)
    revoke_token(store, tokens[HANA], by=LEAD)
    r = httpx2.post(running.url, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {tokens[HANA]}"})
    assert r.status_code == 401


def test_the_token_names_the_caller_and_grants_apply(http: tuple[Store, Running, dict[str, str]]) -> None:
    store, running, tokens = http

    async def as_(who: str) -> tuple[set[str], Any]:
        async with client(running.url, tokens[who]) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            return names, (await c.call_tool("spend_breakdown", {"by": "product"})).structured_content

    names, breakdown = anyio.run(as_, MARIA)
    assert names == read_tool_names("product_owner")
    assert {r["key"] for r in breakdown["rows"]} == {"Checkout", "Fraud"}
    names, breakdown = anyio.run(as_, PRIYA)
    assert names == read_tool_names("portfolio_manager")
    assert {r["key"] for r in breakdown["rows"]} <= {"Checkout", "Fraud", "App"}

    grants.grant(store, email=MARIA, scope="write", rationale="IDE pilot", by=LEAD)

    async def claim() -> tuple[set[str], Any]:
        async with client(running.url, tokens[MARIA]) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            return names, await c.call_tool("claim_principal", {"principal": STRAY, "product": "Fraud"})

    names, r = anyio.run(claim)
    assert "claim_principal" in names and not r.is_error
    actor, details = store.rows("SELECT actor, details FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert actor == MARIA and json.loads(details)["channel"] == "mcp"


def test_concurrent_callers_each_get_their_own_scope(http: tuple[Store, Running, dict[str, str]]) -> None:
    _, running, tokens = http
    results: dict[tuple[str, int], set[str]] = {}

    async def one(who: str, i: int) -> None:
        async with client(running.url, tokens[who]) as c:
            for _ in range(3):
                r = await c.call_tool("spend_breakdown", {"by": "product"})
                assert not r.is_error, r.content
                results[(who, i)] = {row["key"] for row in r.structured_content["rows"]}

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(4):
                for who in (MARIA, HANA, LEAD):
                    tg.start_soon(one, who, i)

    anyio.run(main)
    assert len(results) == 12
    for (who, _), keys in results.items():
        expected = {MARIA: {"Checkout", "Fraud"}, HANA: {"HR Portal"}}.get(who)
        if expected is not None:
            assert keys == expected
        else:
            assert {"Checkout", "Fraud", "HR Portal"} <= keys


def test_a_host_app_routes_mcp_and_runs_its_lifespan(fresh_org_store: Store) -> None:
    """How `steward serve` hosts it: Route("/mcp", endpoint=mcp) and mcp.lifespan() in its lifespan."""
    store = fresh_org_store
    token = create_token(store, email=MARIA, created_by=LEAD).token
    mcp = build_http_app(store, make_ctx)
    host = Starlette(routes=[Route("/mcp", endpoint=mcp)], lifespan=lambda app: mcp.lifespan())
    running = start_in_thread(host)
    try:
        async def main() -> Any:
            async with client(running.url, token) as c:
                return (await c.call_tool("my_scope", {})).structured_content

        assert anyio.run(main)["email"] == MARIA
        assert httpx2.post(running.url, json=INIT, headers=HEADERS).status_code == 401
    finally:
        running.stop()

    forgot = start_in_thread(Starlette(routes=[Route("/mcp", endpoint=build_http_app(store, make_ctx))]))
    try:
        r = httpx2.post(forgot.url, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and "lifespan" in r.json()["error"]
    finally:
        forgot.stop()


def test_serve_http_command_prints_its_port(db: Path) -> None:
    """`steward mcp serve-http --port 0` in a subprocess: the printed URL answers with 401 without a token."""
    import re
    import subprocess

    with Store(db) as store:
        token = create_token(store, email=MARIA, created_by=LEAD).token
    proc = subprocess.Popen([sys.executable, "-m", "steward.cli", "--db", str(db), "--as-of", "2026-11-21", "mcp",
                             "serve-http", "--port", "0"], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"(http://\S+/mcp)", line).group(1)
        assert httpx2.post(url, json=INIT, headers=HEADERS).status_code == 401

        async def main() -> Any:
            async with client(url, token) as c:
                return (await c.call_tool("my_scope", {})).structured_content

        assert anyio.run(main)["products"] == ["Checkout", "Fraud"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_behind_a_proxy_the_public_host_is_accepted(fresh_org_store: Store) -> None:
    """On loopback the SDK's DNS-rebinding protection checks the Host header; --public-url adds the
    host a reverse proxy forwards, and nothing else."""
    token = create_token(fresh_org_store, email=MARIA, created_by=LEAD).token
    auth = {**HEADERS, "Authorization": f"Bearer {token}"}
    plain = start_in_thread(build_http_app(fresh_org_store, make_ctx))
    proxied = start_in_thread(build_http_app(fresh_org_store, make_ctx, public_url="https://steward.example.com/mcp"))
    try:
        assert httpx2.post(plain.url, json=INIT, headers={**auth, "Host": "steward.example.com"}).status_code == 421
        assert httpx2.post(proxied.url, json=INIT, headers={**auth, "Host": "steward.example.com"}).status_code == 200
        assert httpx2.post(proxied.url, json=INIT, headers={**auth, "Host": "evil.example.com"}).status_code == 421
        assert httpx2.post(proxied.url, json=INIT, headers=auth).status_code == 200  # loopback still works
    finally:
        plain.stop()
        proxied.stop()
