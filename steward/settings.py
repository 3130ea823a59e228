"""The one settings object: every section, read from the environment once at start, errors naming the variable.

    settings = load_settings(store={"db": path})   # the CLI's global options override the environment

Sections: `store`, `agent`, `schedule` (defined here: only steward/ reads them), `slack`
(slack_app.config.SlackSettings) and `mcp` (mcp_server.config.McpSettings): each door defines the
section it needs, so it never imports steward. Every field is read from one environment variable,
named in its `validation_alias` (the first choice); the second choice is the field's own name, used
by code and tests that build a section directly.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from agent.config import AgentConfig
from ledger.errors import StewardError
from mcp_server.config import McpSettings
from slack_app.config import SlackSettings

ENV_PREFIXES = ("STEWARD_", "SLACK_")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def env(variable: str, field: str) -> AliasChoices:
    """Read `field` from the environment variable `variable` (or from its own name, in code)."""
    return AliasChoices(variable, field)


class Section(BaseModel):
    """A settings section: built from the environment by Settings, or directly in code and tests."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class StoreSettings(Section):
    db: Path = Field(Path("steward.duckdb"), validation_alias=env("STEWARD_DB", "db"),
                     description="The DuckDB store file.")


class AgentSettings(Section):
    """The agent's settings; steward.wiring.agent_config turns them into the AgentConfig the doors receive."""

    mode: Literal["auto", "offline", "bedrock"] = Field("auto", validation_alias=env("STEWARD_AGENT_MODE", "mode"),
                                                        description="auto | offline | bedrock")
    bedrock_model_id: str | None = Field(None, validation_alias=env("STEWARD_BEDROCK_MODEL_ID", "bedrock_model_id"),
                                         description="Bedrock model id; enables 'auto' to use Bedrock.")
    bedrock_region: str | None = Field(None, validation_alias=env("STEWARD_BEDROCK_REGION", "bedrock_region"),
                                       description="Region of the Bedrock runtime; default the AWS region.")
    bedrock_endpoint_url: str | None = Field(
        None, validation_alias=env("STEWARD_BEDROCK_ENDPOINT_URL", "bedrock_endpoint_url"),
        description="Bedrock runtime endpoint override (a loopback fake Converse server in tests).")
    max_question_chars: int = Field(AgentConfig.max_question_chars, gt=0,
                                    validation_alias=env("STEWARD_MAX_QUESTION_CHARS", "max_question_chars"))
    max_tool_rounds: int = Field(AgentConfig.max_tool_rounds, ge=1,
                                 validation_alias=env("STEWARD_AGENT_MAX_TOOL_ROUNDS", "max_tool_rounds"))
    history_turns: int = Field(AgentConfig.history_turns, ge=0,
                               validation_alias=env("STEWARD_AGENT_HISTORY_TURNS", "history_turns"))
    checkpoint: Path | None = Field(None, validation_alias=env("STEWARD_AGENT_CHECKPOINT", "checkpoint"),
                                    description="SQLite file for per-thread history; default in memory.")


def hhmm(text: str) -> tuple[int, int]:
    """'02:00' -> (2, 0); a clear error for anything that is not a UTC time of day."""
    hours, sep, minutes = text.strip().partition(":")
    if not (hours.isdigit() and (not sep or minutes.isdigit())) \
            or not (0 <= int(hours) < 24 and 0 <= int(minutes or 0) < 60):
        raise ValueError(f"'{text}' is not a UTC time of day: use HH:MM, e.g. 02:00")
    return int(hours), int(minutes or 0)


class ScheduleSettings(Section):
    """What `steward serve` runs on its own: ingest, the nightly jobs, the weekly spend cards."""

    cur_source: str | None = Field(None, validation_alias=env("STEWARD_CUR_SOURCE", "cur_source"),
                                   description="Folder or s3://bucket/prefix to ingest new CUR files from.")
    ingest_every_minutes: float = Field(60.0, gt=0, validation_alias=env("STEWARD_INGEST_EVERY_MINUTES",
                                                                         "ingest_every_minutes"))
    nightly_at: str = Field("02:00", validation_alias=env("STEWARD_NIGHTLY_AT", "nightly_at"),
                            description="UTC HH:MM of the nightly rollup, drift digest and quota alerts.")
    spend_cards_day: str = Field("mon", validation_alias=env("STEWARD_SPEND_CARDS_DAY", "spend_cards_day"),
                                 description="mon..sun, * for every day, or off.")
    spend_cards_at: str = Field("09:00", validation_alias=env("STEWARD_SPEND_CARDS_AT", "spend_cards_at"))
    statements_format: Literal["html", "csv", "off"] = Field(
        "html", validation_alias=env("STEWARD_STATEMENTS_FORMAT", "statements_format"),
        description="Monthly chargeback statements in Slack: html, csv, or off.")
    statements_at: str = Field("08:00", validation_alias=env("STEWARD_STATEMENTS_AT", "statements_at"),
                               description="UTC HH:MM, from the month's first working day, of the statements.")
    tick_seconds: float = Field(30.0, gt=0, validation_alias=env("STEWARD_SCHEDULER_TICK_SECONDS", "tick_seconds"))

    @field_validator("nightly_at", "spend_cards_at", "statements_at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        hhmm(value)
        return value

    @field_validator("spend_cards_day")
    @classmethod
    def _day(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in (*DAYS, "*", "off"):
            raise ValueError(f"'{value}' is not a day: use mon..sun, * (every day) or off")
        return day


SECTIONS: dict[str, type[BaseModel]] = {"store": StoreSettings, "agent": AgentSettings, "slack": SlackSettings,
                                        "mcp": McpSettings, "schedule": ScheduleSettings}


class _SectionsFromEnvironment(PydanticBaseSettingsSource):
    """Each section's fields from their environment variables, keyed by field name (so that values
    given in code, e.g. the CLI's --db, merge over them field by field)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for section, model in SECTIONS.items():
            values = {name: os.environ[var] for name, f in model.model_fields.items()
                      if (var := variable_of(f)) and var in os.environ}
            if values:
                out[section] = values
        return out


def variable_of(field: FieldInfo) -> str | None:
    alias = field.validation_alias
    first = alias.choices[0] if isinstance(alias, AliasChoices) else alias
    return first if isinstance(first, str) and first.startswith(ENV_PREFIXES) else None


class Settings(BaseSettings):
    """Everything configurable, in one object built once at start (load_settings)."""

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore", frozen=True)

    as_of: date | None = Field(default=None, description="The day 'now' is; default today (UTC).")
    actor: str | None = Field(default=None, description="Who runs operator commands (audit log).")
    aws_region: str = Field(default="us-east-1", description="Region for AWS API calls.")
    bedrock_regions: list[str] = Field(default_factory=lambda: ["us-east-1", "us-west-2"],
                                       description="What 'all regions' means in generated IAM policies.")
    cache_hit_healthy: float = Field(default=0.30, description="Healthy cache hit rate threshold.")
    soft_quota: float = Field(default=0.80, description="Share of estimate that warns.")
    hard_quota: float = Field(default=1.00, description="Share of estimate that is exceeded.")
    switch_interval_ms: float = Field(default=5.0, gt=0,
                                      description="Python's thread switch interval in `steward serve` (default 5 ms).")

    store: StoreSettings = Field(default_factory=StoreSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    mcp: McpSettings = Field(default_factory=McpSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _SectionsFromEnvironment(settings_cls)

    @property
    def db(self) -> Path:
        return self.store.db

    def today(self) -> date:
        return self.as_of or datetime.now(timezone.utc).date()

    def operator(self) -> str:
        import getpass

        if self.actor:
            return self.actor
        try:
            return f"operator:{getpass.getuser()}"
        except Exception:  # no login name in some containers
            return "operator"


def _variable(loc: tuple[Any, ...]) -> str:
    """The environment variable behind an error's location, e.g. ('schedule', 'nightly_at')."""
    if len(loc) >= 2 and loc[0] in SECTIONS:
        field = SECTIONS[loc[0]].model_fields.get(str(loc[1]))
        if field is not None and (var := variable_of(field)):
            return var
        return f"{loc[0]}.{loc[1]}"
    return f"STEWARD_{str(loc[0]).upper()}" if loc else "settings"


def _problem(error: Any) -> str:
    variable = _variable(tuple(error["loc"]))
    shown = "" if any(w in variable for w in ("TOKEN", "SECRET")) else f" (got {error['input']!r})"
    return f"{variable}: {error['msg'].removeprefix('Value error, ')}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `overrides`, e.g. {"store": {"db": path}}); a bad value is a
    StewardError that names the environment variable and says what is wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise StewardError(f"bad setting: {problems}") from None
