"""End to end with the MCP Inspector CLI (@modelcontextprotocol/inspector@2.12.0: the first line of
versions with --header, needed to send a bearer token), against the stdio and the HTTP server.

Opt-in, because it needs node, npm and the npm registry (the default test run needs only PyPI):
- STEWARD_INSPECTOR_DIR=<folder> uses an Inspector 2.12.0 already installed there (`npm install
  --prefix <folder> @modelcontextprotocol/inspector@2.12.0`); the folder is only read;
- STEWARD_TEST_INSPECTOR=1 installs it into a temporary folder of this run, so parallel runs never
  share (or half-write) one install.
Otherwise the tests are skipped, saying how to run them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.store import Store
from mcp_server.auth import create_token
from mcp_server.http import build_http_app, start_in_thread
from tests.conftest import make_ctx
from tests.orgfixture import build_store
from tools import toolset

VERSION = "2.12.0"
REPO = Path(__file__).resolve().parent.parent
MARIA, LEAD = "maria@example.com", "lead@example.com"


OPT_IN = ("the MCP Inspector end-to-end test is opt-in (it needs node, npm and the npm registry): set "
          "STEWARD_TEST_INSPECTOR=1 to install Inspector " + VERSION + " into a per-run temp folder, or "
          "STEWARD_INSPECTOR_DIR to a folder where it is installed")


def _installed(where: Path) -> Path | None:
    """The Inspector binary in `where` when the pinned version is installed there."""
    binary = where / "node_modules" / ".bin" / "mcp-inspector"
    manifest = where / "node_modules" / "@modelcontextprotocol" / "inspector" / "package.json"
    if binary.exists() and manifest.exists() and json.loads(manifest.read_text()).get("version") == VERSION:
        return binary
    return None


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("STEWARD_INSPECTOR_DIR"):
        where = Path(os.environ["STEWARD_INSPECTOR_DIR"])
        binary = _installed(where)
        if binary is None:
            pytest.fail(f"STEWARD_INSPECTOR_DIR={where} holds no MCP Inspector {VERSION}: install it there with "
                        f"`npm install --prefix {where} @modelcontextprotocol/inspector@{VERSION}`")
        return binary
    if os.environ.get("STEWARD_TEST_INSPECTOR") != "1":
        pytest.skip(OPT_IN)
    if not (shutil.which("npm") and shutil.which("node")):
        pytest.skip("npm/node are not installed: the MCP Inspector end-to-end test needs them")
    where = tmp_path_factory.mktemp("mcp-inspector")
    try:
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                               "--prefix", str(where), f"@modelcontextprotocol/inspector@{VERSION}"],
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm install of the MCP Inspector {VERSION} timed out (is the npm registry reachable?)")
    binary = _installed(where)
    if done.returncode != 0 or binary is None:
        pytest.fail(f"could not install the MCP Inspector {VERSION} (is the npm registry reachable?): "
                    f"{done.stderr[-300:]}")
    return binary


def run(binary: Path, *args: str) -> tuple[int, Any, str]:
    done = subprocess.run([str(binary), "--cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=binary.parent.parent.parent)
    try:
        out = json.loads(done.stdout)
    except json.JSONDecodeError:
        out = None
    return done.returncode, out, done.stdout + done.stderr


@pytest.fixture
def stdio_command(tmp_path: Path) -> Iterator[Path]:
    """The command an IDE config would run, as one executable (the Inspector passes it through)."""
    build_store(tmp_path).close()
    script = tmp_path / "steward-mcp"
    script.write_text(f"#!/bin/sh\ncd {REPO}\nPYTHONPATH={REPO} exec {sys.executable} -m steward.cli "
                      f"--db {tmp_path / 'steward.duckdb'} --as-of 2026-11-21 mcp \"$@\"\n")
    script.chmod(0o755)
    yield script


def read_tools(persona: str) -> set[str]:
    return {t.name for t in toolset.tools_for(frozenset({persona}), actions=frozenset({"read"}))} | {"ask"}


def test_inspector_over_stdio(inspector: Path, stdio_command: Path) -> None:
    code, out, text = run(inspector, str(stdio_command), "-e", f"STEWARD_MCP_AS={MARIA}", "--method", "tools/list")
    assert code == 0, text
    tools = {t["name"]: t for t in out["tools"]}
    assert set(tools) == read_tools("product_owner")
    assert tools["spend_breakdown"]["annotations"] == {"title": "Spend breakdown", "readOnlyHint": True,
                                                       "openWorldHint": False}
    assert "outputSchema" in tools["spend_breakdown"]

    code, out, text = run(inspector, str(stdio_command), "-e", f"STEWARD_MCP_AS={MARIA}", "--method", "tools/call",
                          "--tool-name", "spend_breakdown", "--tool-arg", "by=product")
    assert code == 0 and out["isError"] is False, text
    assert {r["key"] for r in out["structuredContent"]["rows"]} == {"Checkout", "Fraud"}

    code, out, text = run(inspector, str(stdio_command), "--as", MARIA, "--method", "tools/call",
                          "--tool-name", "claim_principal", "--tool-arg", "principal=x")
    assert "not found" in text  # not listed for her, so the Inspector refuses it like any unknown tool


def test_inspector_over_http_with_a_bearer_token(inspector: Path, fresh_org_store: Store) -> None:
    token = create_token(fresh_org_store, email=MARIA, created_by=LEAD).token
    running = start_in_thread(build_http_app(fresh_org_store, make_ctx))
    try:
        base = [running.url, "--transport", "http"]
        code, out, text = run(inspector, *base, "--header", f"Authorization: Bearer {token}",
                              "--method", "tools/list")
        assert code == 0, text
        assert {t["name"] for t in out["tools"]} == read_tools("product_owner")
        code, out, text = run(inspector, *base, "--header", f"Authorization: Bearer {token}", "--method",
                              "tools/call", "--tool-name", "my_scope")
        assert code == 0 and out["structuredContent"]["products"] == ["Checkout", "Fraud"], text
        # --stored-auth-only: fail instead of starting an interactive OAuth flow on the 401
        for header in ([], ["--header", "Authorization: Bearer stw_wrong"]):
            code, out, text = run(inspector, *base, *header, "--stored-auth-only", "--method", "tools/list")
            assert code != 0 and "invalid_token" in text, text
    finally:
        running.stop()
