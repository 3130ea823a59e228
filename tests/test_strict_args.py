"""Issue 11 §2: arguments are strict. An unknown key is refused naming it and the valid ones (toolset,
so CLI, MCP and the agent alike); a 12-digit account id given on the CLI stays a string."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steward.cli import app
from tests.conftest import make_ctx
from tests.orgfixture import build_store
from tools import toolset
from tools.errors import ToolError

MARIA, LEAD = "maria@example.com", "lead@example.com"


def test_a_misspelt_argument_is_refused_naming_it_and_the_valid_keys(org_store):
    with pytest.raises(ToolError) as err:
        toolset.call(make_ctx(org_store, MARIA), "estimate_status", {"product": "Checkout", "mnth": "2026-10"})
    text = str(err.value)
    assert "unknown argument 'mnth'" in text and "valid: month, product" in text


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("cli")
    build_store(tmp).close()
    yield tmp / "steward.duckdb"


def run(db: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db), "--as-of", "2026-11-21", *args])


def test_a_cli_account_id_stays_a_string(db):
    r = run(db, "tools", "call", "model_status", "model=anthropic.claude-sonnet-4-6", "account=111111111111",
            "region=us-east-1", "--as", MARIA, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["account_id"] == "111111111111"


def test_the_cli_refuses_a_misspelt_argument(db):
    r = run(db, "tools", "call", "estimate_status", "product=Checkout", "mnth=2026-10", "--as", MARIA)
    assert r.exit_code != 0 and "unknown argument 'mnth'" in r.output
