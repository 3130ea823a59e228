"""`steward ask` and `steward chat` through the real Typer app (CliRunner) on a real DuckDB file,
and agent_config's mapping of the environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.answer import Answer
from ledger import audit
from ledger.store import Store
from steward.cli import app
from steward.settings import AgentSettings, Settings
from steward.wiring import agent_config
from tests.orgfixture import build_store

MARIA = "maria@example.com"
AGENT_ENV = ("STEWARD_AGENT_MODE", "STEWARD_BEDROCK_MODEL_ID", "STEWARD_BEDROCK_REGION", "STEWARD_BEDROCK_ENDPOINT_URL",
             "STEWARD_MAX_QUESTION_CHARS", "STEWARD_AGENT_CHECKPOINT", "STEWARD_AGENT_MAX_TOOL_ROUNDS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in AGENT_ENV:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("cli")
    build_store(tmp).close()
    yield tmp / "steward.duckdb"


def run(db: Path, *args: str, input: str | None = None, as_of: str = "2026-11-21"):
    return CliRunner().invoke(app, ["--db", str(db), "--as-of", as_of, *args], input=input)


def agent_entries(db: Path) -> list[audit.AuditEntry]:
    with Store(db) as store:
        return [e for e in audit.entries(store, limit=500) if e.action == "agent.ask"]


def test_ask_prints_the_answer_and_freshness(db: Path) -> None:
    r = run(db, "ask", "--as", MARIA, "Am I within my estimate this month?")
    assert r.exit_code == 0, r.output
    assert "Checkout: $420.60 month to date (Nov 1–20) against a $300 estimate (140%)" in r.output
    assert "(CUR data through 20 Nov 2026)" in r.output


def test_ask_json_prints_the_structured_answer(db: Path) -> None:
    r = run(db, "ask", "--as", MARIA, "--json", "top", "3", "models", "last", "month")
    assert r.exit_code == 0, r.output
    a = Answer.model_validate(json.loads(r.output))
    assert a.question == "top 3 models last month" and a.family == "breakdown" and a.mode == "offline"
    assert a.facts[0].tool == "spend_breakdown" and a.facts[0].args["month"] == "2026-10"
    assert a.freshness == "CUR data through 20 Nov 2026"


def test_a_scope_refusal_is_an_answer(db: Path) -> None:
    r = run(db, "ask", "--as", MARIA, "show HR Portal spend")
    assert r.exit_code == 0
    assert "is not in your scope" in r.output and "$" not in r.output


def test_unknown_callers_exit_2(db: Path) -> None:
    r = run(db, "ask", "--as", "mallory@example.com", "show all spend")
    assert r.exit_code == 2 and "not in the Steward registry" in r.output
    r = run(db, "chat", "--as", "mallory@example.com", input="who am I\n")
    assert r.exit_code == 2


def test_an_oversized_question_exits_2(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_MAX_QUESTION_CHARS", "40")
    r = run(db, "ask", "--as", MARIA, "am I within my estimate this month, and by how much exactly?")
    assert r.exit_code == 2 and "the limit is 40" in r.output
    assert agent_entries(db)[0].outcome == "refused"


def test_as_of_moves_now(db: Path) -> None:
    r = run(db, "ask", "--as", MARIA, "how is Checkout tracking?", as_of="2026-10-15")
    assert r.exit_code == 0, r.output
    assert "month to date (Oct 1–15) against a $400 estimate" in r.output
    assert "(CUR data through 15 Oct 2026)" in r.output


def test_chat_answers_each_line_until_exit_in_one_thread(db: Path) -> None:
    before = len(agent_entries(db))
    r = run(db, "chat", "--as", MARIA, input="who am I\n\nshow HR Portal spend\nhow can I save\nexit\ntop 3 models\n")
    assert r.exit_code == 0, r.output
    assert "You are Maria Lopez" in r.output and "is not in your scope" in r.output and "Ways to save" in r.output
    assert "By model" not in r.output  # after 'exit'
    entries = agent_entries(db)[: len(agent_entries(db)) - before]
    assert [e.subject for e in reversed(entries)] == ["who am I", "show HR Portal spend", "how can I save"]
    assert len({e.details["thread_id"] for e in entries}) == 1 and entries[0].details["thread_id"].startswith("cli:")


def test_chat_ends_at_end_of_input(db: Path) -> None:
    r = run(db, "chat", "--as", MARIA, "--offline", input="which models are approved")
    assert r.exit_code == 0 and "catalog entries" in r.output


# ------------------------------------------------------------------ agent_config

def test_agent_config_defaults_to_offline_without_a_configured_model() -> None:
    config = agent_config(Settings())
    assert config.mode == "offline" and config.max_question_chars == 2000


def test_agent_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STEWARD_AGENT_MODE", "bedrock")
    monkeypatch.setenv("STEWARD_BEDROCK_MODEL_ID", "us.anthropic.claude-haiku-4-5-20251001-v1:0")
    monkeypatch.setenv("STEWARD_BEDROCK_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("STEWARD_MAX_QUESTION_CHARS", "500")
    monkeypatch.setenv("STEWARD_AGENT_CHECKPOINT", str(tmp_path / "threads.sqlite"))
    config = agent_config(Settings(aws_region="eu-west-1"))
    assert (config.mode, config.model_id, config.region, config.endpoint_url, config.max_question_chars) == (
        "bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-west-1", "http://127.0.0.1:9", 500)
    assert config.checkpoint_path == tmp_path / "threads.sqlite"
    monkeypatch.setenv("STEWARD_BEDROCK_REGION", "us-west-2")
    assert agent_config(Settings()).region == "us-west-2"
    assert agent_config(Settings(), offline=True).mode == "offline"


def test_auto_uses_bedrock_only_with_a_configured_model_and_credentials() -> None:
    with_model = Settings(agent=AgentSettings(mode="auto", bedrock_model_id="m"))
    without = Settings(agent=AgentSettings(mode="auto"))
    yes, no = (lambda: True), (lambda: False)
    assert agent_config(with_model, credentials=yes).mode == "bedrock"
    assert agent_config(with_model, credentials=no).mode == "offline"
    assert agent_config(without, credentials=yes).mode == "offline"
    assert agent_config(with_model, credentials=yes, offline=True).mode == "offline"


def test_ask_exits_non_zero_on_an_internal_error(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from tools import toolset

    def broken(ctx, args):  # noqa: ANN001, ANN202
        raise RuntimeError("boom")

    monkeypatch.setitem(toolset.REGISTRY, "estimate_status", replace(toolset.get("estimate_status"), fn=broken))
    r = run(db, "ask", "--as", MARIA, "--json", "Am I within my estimate this month?")
    assert r.exit_code == 1
    assert Answer.model_validate(json.loads(r.output)).outcome == "error"
