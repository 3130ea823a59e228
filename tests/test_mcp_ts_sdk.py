"""Interop with an independent client: the official TypeScript MCP SDK (through node) against Steward,
over streamable HTTP and over stdio (the SDK spawns `steward mcp --as EMAIL`, as an IDE does). It
lists tools, calls a read tool (its figure checked against the fixture), is refused outside scope
and for a hidden tool, gets the 401 without a token, and hears notifications/tools/list_changed
when the person's grants change (then its new list has the write tool, or no longer has it).

Opt-in (STEWARD_TEST_TS_SDK=1; .ci/run sets it): it installs @modelcontextprotocol/sdk from the npm
registry into a temp folder of this run, which takes ~20 s. Skipped, with the reason, when the flag
is unset, when node or npm is missing, or when the install fails (no npm registry).
STEWARD_TS_SDK_DIR=<folder> uses an install already there (`npm install --prefix <folder> SDK`),
only reading it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mcp_server.auth import create_token
from mcp_server.http import build_http_app, start_in_thread
from tests.conftest import make_ctx
from tests.orgfixture import TODAY, product_of, usage_rows
from mcp_server import grants
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


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fixture store on disk, closed: the stdio server (`steward mcp`) opens and owns it."""
    from tests.orgfixture import build_store

    store = build_store(tmp_path_factory.mktemp("ts-sdk-stdio"))
    path = store.path
    store.close()
    return path


def steward(db: Path, *args: str) -> list[str]:
    """The steward CLI on `db` at the fixture's day."""
    return [sys.executable, "-m", "steward.cli", "--db", str(db), "--as-of", TODAY.isoformat(), *args]


CHILD_ENV = {**os.environ, "STEWARD_AGENT_MODE": "offline"}


def run_client(sdk_dir: Path, *target: str) -> dict[str, Any]:
    """`target`: URL [TOKEN] (HTTP) or --stdio CMD ARGS... (the SDK spawns the server)."""
    done = subprocess.run(["node", CLIENT.name, *target], cwd=sdk_dir, capture_output=True, text=True,
                          timeout=90, env=CHILD_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


class Watching:
    """The node client in --watch mode: read each line it prints (listed, then one per list_changed)."""

    def __init__(self, sdk_dir: Path, changes: int, *target: str) -> None:
        self.proc = subprocess.Popen(["node", CLIENT.name, "--watch", str(changes), *target], cwd=sdk_dir,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CHILD_ENV)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x) for x in self.proc.stdout], daemon=True).start()  # type: ignore[union-attr]

    def next(self) -> dict[str, Any]:
        try:
            out = json.loads(self.lines.get(timeout=90))
        except queue.Empty:
            self.proc.kill()
            raise AssertionError(f"the TS client printed nothing: {self.proc.stderr.read()[-2000:]}") from None  # type: ignore[union-attr]
        assert "error" not in out, out
        return out

    def close(self) -> None:
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def checkout_month_to_date() -> float:
    """Checkout's usage cost this month, straight from the fixture's CUR rows and claims."""
    first = TODAY.replace(day=1)
    return sum(r["line_item_unblended_cost"] for r in usage_rows()
               if product_of(r) == "Checkout" and first <= r["line_item_usage_start_date"].date() < TODAY)


def test_the_typescript_sdk_lists_calls_and_is_refused_where_it_should_be(sdk_dir, server) -> None:
    store, app = server
    token = create_token(store, email=MARIA, created_by=LEAD).token
    check_session(run_client(sdk_dir, app.url, token), store)


def check_session(out: dict[str, Any], store: Any) -> None:
    """What Maria's session through the TS SDK must have seen (over either transport)."""
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
        out = run_client(sdk_dir, app.url, *([token] if token else []))
        assert "tools" not in out
        error = out["error"]
        # What the SDK shows its user: the status and the body's reason with the fix.
        assert error["code"] == 401, error
        assert reason in error["message"] and "steward tokens create" in error["message"], error


def test_the_typescript_sdk_over_stdio_spawns_steward_mcp_and_gets_the_same_session(sdk_dir, store_file) -> None:
    from ledger.store import Store

    out = run_client(sdk_dir, "--stdio", *steward(store_file, "mcp", "--as", MARIA))
    with Store(store_file) as store:  # the stdio server has exited and released the file
        check_session(out, store)


def follow_grant_and_revoke(watching: Watching, grant: Any, revoke: Any) -> tuple[set[str], set[str], set[str]]:
    """The tool names the TS client listed: at first, after list_changed for a grant, after one for a revoke."""
    try:
        first = watching.next()
        assert first["phase"] == "listed" and first["listChanged"] is True
        grant()
        granted = watching.next()
        revoke()
        revoked = watching.next()
        assert granted["phase"] == revoked["phase"] == "changed"
        return set(first["tools"]), set(granted["tools"]), set(revoked["tools"])
    finally:
        watching.close()


def test_the_typescript_sdk_over_http_hears_list_changed_and_lists_the_write_tool(sdk_dir, server) -> None:
    store, app = server
    token = create_token(store, email=MARIA, created_by=LEAD).token
    before, granted, revoked = follow_grant_and_revoke(
        Watching(sdk_dir, 2, app.url, token),
        lambda: grants.grant(store, email=MARIA, scope="write", rationale="Checkout claims its roles", by=LEAD),
        lambda: grants.revoke(store, email=MARIA, scope="write", by=LEAD))
    def tools(*actions: str) -> set[str]:
        return {t.name for t in toolset.tools_for(make_ctx(store, MARIA), actions=frozenset(actions))} | {"ask"}

    assert before == revoked == tools("read")
    assert granted == tools("read", "write") and "claim_principal" in granted - before


def test_the_typescript_sdk_over_stdio_hears_a_grant_made_with_the_cli(sdk_dir, store_file) -> None:
    """The grant goes through `steward mcp grant` (a second process, joined to the stdio server that
    owns the store), as a FinOps Lead would make it while Maria's IDE is open."""
    def cli(*args: str) -> None:
        done = subprocess.run(steward(store_file, "mcp", *args), capture_output=True, text=True, timeout=90,
                              env=CHILD_ENV)
        assert done.returncode == 0, done.stderr[-2000:]

    before, granted, revoked = follow_grant_and_revoke(
        Watching(sdk_dir, 2, "--stdio", *steward(store_file, "mcp", "--as", MARIA)),
        lambda: cli("grant", MARIA, "--scope", "write", "--rationale", "Checkout claims its roles", "--as", LEAD),
        lambda: cli("revoke", MARIA, "--scope", "write", "--as", LEAD))
    assert "claim_principal" not in before and "claim_principal" in granted and revoked == before
