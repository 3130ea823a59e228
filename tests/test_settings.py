"""The one settings object: every environment variable that README and docs name still sets its
field, values given in code win over the environment, and a bad value names its variable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from slack_sdk import WebClient
from typer.testing import CliRunner

from ledger.errors import StewardError
from slack_app.app import build_app
from slack_app.config import SlackSettings
from steward.cli import app as cli
from steward.settings import Settings, load_settings
from steward.wiring import context_for
from tools.caller import resolve_caller

# (variable, value in the environment, where it lands, the value read)
ENVIRONMENT = [
    ("STEWARD_DB", "/tmp/x.duckdb", "store.db", Path("/tmp/x.duckdb")),
    ("STEWARD_AS_OF", "2026-11-21", "as_of", date(2026, 11, 21)),
    ("STEWARD_ACTOR", "ops@example.com", "actor", "ops@example.com"),
    ("STEWARD_AWS_REGION", "eu-west-1", "aws_region", "eu-west-1"),
    ("STEWARD_BEDROCK_REGIONS", '["eu-west-1","eu-central-1"]', "bedrock_regions", ["eu-west-1", "eu-central-1"]),
    ("STEWARD_CACHE_HIT_HEALTHY", "0.4", "cache_hit_healthy", 0.4),
    ("STEWARD_SOFT_QUOTA", "0.7", "soft_quota", 0.7),
    ("STEWARD_HARD_QUOTA", "1.1", "hard_quota", 1.1),
    ("STEWARD_SWITCH_INTERVAL_MS", "2", "switch_interval_ms", 2.0),
    ("STEWARD_AGENT_MODE", "bedrock", "agent.mode", "bedrock"),
    ("STEWARD_BEDROCK_MODEL_ID", "m-1", "agent.bedrock_model_id", "m-1"),
    ("STEWARD_BEDROCK_REGION", "us-west-2", "agent.bedrock_region", "us-west-2"),
    ("STEWARD_BEDROCK_ENDPOINT_URL", "http://127.0.0.1:9", "agent.bedrock_endpoint_url", "http://127.0.0.1:9"),
    ("STEWARD_MAX_QUESTION_CHARS", "500", "agent.max_question_chars", 500),
    ("STEWARD_AGENT_MAX_TOOL_ROUNDS", "3", "agent.max_tool_rounds", 3),
    ("STEWARD_AGENT_HISTORY_TURNS", "2", "agent.history_turns", 2),
    ("STEWARD_AGENT_CHECKPOINT", "/tmp/t.sqlite", "agent.checkpoint", Path("/tmp/t.sqlite")),
    ("SLACK_BOT_TOKEN", "xoxb-1", "slack.bot_token", "xoxb-1"),
    ("SLACK_SIGNING_SECRET", "sig", "slack.signing_secret", "sig"),
    ("SLACK_APP_TOKEN", "xapp-1", "slack.app_token", "xapp-1"),
    ("STEWARD_SLACK_FINOPS_CHANNEL", "C0FINOPS01", "slack.finops_channel", "C0FINOPS01"),
    ("STEWARD_SLACK_API_URL", "http://127.0.0.1:9/api/", "slack.api_url", "http://127.0.0.1:9/api/"),
    ("STEWARD_SLACK_THINKING_REACTION", "eyes", "slack.thinking_reaction", "eyes"),
    ("STEWARD_SLACK_CALLER_CACHE_SECONDS", "0", "slack.caller_cache_seconds", 0.0),
    ("STEWARD_SLACK_WORKERS", "2", "slack.workers", 2),
    ("STEWARD_PUBLIC_URL", "https://steward.example.com/mcp", "mcp.public_url", "https://steward.example.com/mcp"),
    ("STEWARD_CUR_SOURCE", "s3://bucket/cur", "schedule.cur_source", "s3://bucket/cur"),
    ("STEWARD_INGEST_EVERY_MINUTES", "15", "schedule.ingest_every_minutes", 15.0),
    ("STEWARD_NIGHTLY_AT", "03:30", "schedule.nightly_at", "03:30"),
    ("STEWARD_SPEND_CARDS_DAY", "Friday", "schedule.spend_cards_day", "fri"),
    ("STEWARD_SPEND_CARDS_AT", "08:15", "schedule.spend_cards_at", "08:15"),
    ("STEWARD_STATEMENTS_FORMAT", "csv", "schedule.statements_format", "csv"),
    ("STEWARD_STATEMENTS_AT", "07:30", "schedule.statements_at", "07:30"),
    ("STEWARD_SCHEDULER_TICK_SECONDS", "5", "schedule.tick_seconds", 5.0),
]


def value_at(settings: Settings, path: str) -> object:
    value: object = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def test_every_documented_variable_sets_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, raw, _, _ in ENVIRONMENT:
        monkeypatch.setenv(variable, raw)
    settings = load_settings()
    assert {path: value_at(settings, path) for _, _, path, _ in ENVIRONMENT} == \
        {path: expected for _, _, path, expected in ENVIRONMENT}


def test_the_readme_and_docs_name_no_variable_the_settings_do_not_read() -> None:
    import re

    root = Path(__file__).resolve().parent.parent
    named = set()
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        named |= set(re.findall(r"\b((?:STEWARD|SLACK)_[A-Z][A-Z_]*[A-Z])\b", doc.read_text()))
    # read elsewhere: the stdio server's --as option, what an IDE's MCP config passes to a client, and
    # the opt-in MCP Inspector and TypeScript SDK tests' switches (tests/test_mcp_inspector.py, test_mcp_ts_sdk.py)
    elsewhere = {"STEWARD_MCP_AS", "STEWARD_TOKEN", "STEWARD_AUTH", "STEWARD_TEST_INSPECTOR", "STEWARD_INSPECTOR_DIR",
                 "STEWARD_TEST_TS_SDK", "STEWARD_TS_SDK_DIR"}
    assert named - elsewhere - {v for v, *_ in ENVIRONMENT} == set()


def test_values_given_in_code_win_over_the_environment_field_by_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_DB", "/env.duckdb")
    monkeypatch.setenv("STEWARD_SLACK_FINOPS_CHANNEL", "C0ENV")
    monkeypatch.setenv("STEWARD_SLACK_WORKERS", "3")
    settings = load_settings(store={"db": "/cli.duckdb"}, slack={"finops_channel": "C0CODE"})
    assert (settings.db, settings.slack.finops_channel, settings.slack.workers) == (Path("/cli.duckdb"), "C0CODE", 3)


def test_a_bad_value_names_its_variable_and_says_what_to_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_SPEND_CARDS_DAY", "funday")
    monkeypatch.setenv("STEWARD_SLACK_WORKERS", "0")
    monkeypatch.setenv("STEWARD_SOFT_QUOTA", "most")
    with pytest.raises(StewardError) as err:
        load_settings()
    message = str(err.value)
    assert "STEWARD_SPEND_CARDS_DAY: 'funday' is not a day: use mon..sun, * (every day) or off" in message
    assert "STEWARD_SLACK_WORKERS: Input should be greater than or equal to 1 (got '0')" in message
    assert "STEWARD_SOFT_QUOTA: Input should be a valid number" in message


def test_the_cli_reports_a_bad_setting_and_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STEWARD_NIGHTLY_AT", "25:00")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "s.duckdb"), "audit", "verify"])
    assert result.exit_code == 2
    assert "STEWARD_NIGHTLY_AT: '25:00' is not a UTC time of day: use HH:MM" in result.output


def test_a_bad_token_value_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("STEWARD_SLACK_WORKERS", "x")
    with pytest.raises(StewardError) as err:
        load_settings()
    assert "xoxb-secret" not in str(err.value)


def test_slack_builds_tool_contexts_with_the_configured_regions(org_store) -> None:
    """Slack built its ToolContext without the configured Bedrock regions (the CLI and MCP used them):
    one factory now builds every door's context, so a Slack modal offers the configured regions."""
    settings = Settings(as_of=date(2026, 11, 21), bedrock_regions=["eu-west-1"])
    app = build_app(org_store, slack=SlackSettings(signing_secret="s", bot_token="xoxb-x"),
                    contexts=context_for(settings), client=WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/"),
                    process_before_response=True)
    try:
        ctx = app.steward.ctx(resolve_caller(org_store, "lead@example.com", channel="slack"))
        assert (ctx.bedrock_regions, ctx.today) == (("eu-west-1",), date(2026, 11, 21))
    finally:
        app.steward.stores.close()
