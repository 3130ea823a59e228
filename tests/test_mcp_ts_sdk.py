"""Interop with an independent client: the official TypeScript MCP SDK (through node) against Steward's
streamable HTTP server. It lists tools, calls a read tool (its figure checked against the fixture),
is refused outside scope and for a hidden tool, and gets the 401 without a token.

Opt-in (STEWARD_TEST_TS_SDK=1; .ci/run sets it): it installs @modelcontextprotocol/sdk from the npm
registry into a temp folder of this run, which takes ~20 s. Skipped, with the reason, when the flag
is unset, when node or npm is missing, or when the install fails (no npm registry).
STEWARD_TS_SDK_DIR=<folder> uses an install already there (`npm install --prefix <folder> SDK`),
only reading it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mcp_server.auth import create_token
from mcp_server.http import build_http_app, start_in_thread
from tests.conftest import make_ctx
from tests.orgfixture import TODAY, product_of, usage_rows
from tools import toolset

SDK = "@modelcontextprotocol/sdk@1.32.2"
CLIENT = Path(__file__).with_name("ts_sdk_client.mjs")
MARIA, LEAD = "maria@example.com", "lead@example.com"


@pytest.fixture(scope="module")
def sdk_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-run folder with the TypeScript SDK installed and the client script beside it."""
    where = tmp_path_factory.mktemp("ts-sdk")
    if os.environ.get("STEWARD_TS_SDK_DIR"):
        installed = Path(os.environ["STEWARD_TS_SDK_DIR"]) / "node_modules"
        if not (installed / "@modelcontextprotocol" / "sdk").is_dir():
            pytest.fail(f"STEWARD_TS_SDK_DIR holds no @modelcontextprotocol/sdk: `npm install --prefix DIR {SDK}`")
        (where / "node_modules").symlink_to(installed)
        shutil.copy(CLIENT, where / CLIENT.name)
        return where
    if os.environ.get("STEWARD_TEST_TS_SDK") != "1":
        pytest.skip("the TypeScript SDK interop test is opt-in (it installs from the npm registry, ~20 s): "
                    "set STEWARD_TEST_TS_SDK=1 (.ci/run does)")
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node/npm are not installed: the TypeScript SDK interop test needs them")
    try:
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix",
                               str(where), SDK], capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install {SDK} timed out: is the npm registry reachable?")
    if done.returncode != 0 or not (where / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        pytest.skip(f"npm install {SDK} failed (is the npm registry reachable?): {done.stderr[-300:]}")
    # ES modules resolve packages from the script's folder, so the script runs from the install.
    shutil.copy(CLIENT, where / CLIENT.name)
    return where


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    from tests.orgfixture import build_store

    store = build_store(tmp_path_factory.mktemp("ts-sdk-store"))
    app = start_in_thread(build_http_app(store, make_ctx, registry_ttl=0))
    yield store, app
    app.stop()
    store.close()


def run_client(sdk_dir: Path, url: str, token: str | None = None) -> dict[str, Any]:
    done = subprocess.run(["node", CLIENT.name, url, *([token] if token else [])], cwd=sdk_dir,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def checkout_month_to_date() -> float:
    """Checkout's usage cost this month, straight from the fixture's CUR rows and claims."""
    first = TODAY.replace(day=1)
    return sum(r["line_item_unblended_cost"] for r in usage_rows()
               if product_of(r) == "Checkout" and first <= r["line_item_usage_start_date"].date() < TODAY)


def test_the_typescript_sdk_lists_calls_and_is_refused_where_it_should_be(sdk_dir, server) -> None:
    store, app = server
    token = create_token(store, email=MARIA, created_by=LEAD).token
    out = run_client(sdk_dir, app.url, token)
    assert "error" not in out, out["error"]
    assert out["server"]["name"] == "bedrock-steward" and out["server"]["version"]
    assert out["capabilities"]["tools"]["listChanged"] is True
    names = [t["name"] for t in out["tools"]]
    expected = {t.name for t in toolset.tools_for(make_ctx(store, MARIA), actions=frozenset({"read"}))} | {"ask"}
    assert set(names) == expected and len(names) == len(expected)
    for t in out["tools"]:  # the schemas as the TS client received them are valid JSON Schema
        jsonschema.Draft202012Validator.check_schema(t["inputSchema"])
        jsonschema.Draft202012Validator.check_schema(t["outputSchema"])
        assert t["annotations"]["readOnlyHint"] is True
    # The SDK validated this result against the advertised output schema before handing it over.
    status = out["estimate_status"]
    assert status["isError"] is False
    assert status["structured"]["product"] == "Checkout" and status["structured"]["month"] == "2026-11"
    assert status["structured"]["actual_usd"] == pytest.approx(checkout_month_to_date(), abs=0.01)
    assert checkout_month_to_date() > 0
    assert out["out_of_scope"]["isError"] is True and "not in your scope" in out["out_of_scope"]["text"]
    assert "Unknown tool: pause_product" in out["hidden_tool"]["error"]  # hidden = not there


def test_the_typescript_sdk_without_a_valid_token_gets_the_401_that_says_how(sdk_dir, server) -> None:
    _, app = server
    for token, reason in ((None, "No bearer token was sent"), ("stw_00000000_not-a-token", "unknown, revoked")):
        out = run_client(sdk_dir, app.url, token)
        assert "tools" not in out
        error = out["error"]
        # What the SDK shows its user: the status and the body's reason with the fix.
        assert error["code"] == 401, error
        assert reason in error["message"] and "steward tokens create" in error["message"], error
