"""One settings object, read from the environment (STEWARD_*) and the CLI's global options."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    db: Path = Field(default=Path("steward.duckdb"), description="The DuckDB store file.")
    as_of: date | None = Field(default=None, description="The day 'now' is; default today (UTC).")
    actor: str | None = Field(default=None, description="Who runs operator commands (audit log).")
    aws_region: str = Field(default="us-east-1", description="Region for AWS API calls.")
    bedrock_regions: list[str] = Field(default_factory=lambda: ["us-east-1", "us-west-2"])
    cache_hit_healthy: float = Field(default=0.30, description="Healthy cache hit rate threshold.")
    soft_quota: float = Field(default=0.80, description="Share of estimate that warns.")
    hard_quota: float = Field(default=1.00, description="Share of estimate that is exceeded.")

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
