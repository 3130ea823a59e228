"""The Slack section of Steward's settings (steward.settings composes it). Tokens are SecretStr: never in a repr or a log."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr


class SlackSettings(BaseModel):
    """SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, STEWARD_SLACK_FINOPS_CHANNEL (+ tuning)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    bot_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "bot_token"),
                                        description="xoxb- bot token (Web API calls).")
    signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "signing_secret"),
        description="Verifies that HTTP requests come from Slack.")
    app_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "app_token"),
                                        description="xapp- app-level token (Socket Mode only).")
    finops_channel: str | None = Field(
        None, validation_alias=AliasChoices("STEWARD_SLACK_FINOPS_CHANNEL", "finops_channel"),
        description="Channel id of the FinOps Leads (drift digest, alerts).")
    api_url: str | None = Field(None, validation_alias=AliasChoices("STEWARD_SLACK_API_URL", "api_url"),
                                description="Slack Web API base URL ending in /api/ (a loopback fake in tests).")
    thinking_reaction: str = Field(
        "hourglass_flowing_sand",
        validation_alias=AliasChoices("STEWARD_SLACK_THINKING_REACTION", "thinking_reaction"))
    caller_cache_seconds: float = Field(
        30.0, ge=0, validation_alias=AliasChoices("STEWARD_SLACK_CALLER_CACHE_SECONDS", "caller_cache_seconds"),
        description="How long a resolved Slack user -> Caller is reused before it is read again, in the "
                    "background (0 = resolve on every request); a registry change (org apply, claims, MCP "
                    "grants), here or through the store's owner, is seen by the next request.")
    workers: int = Field(4, ge=1, validation_alias=AliasChoices("STEWARD_SLACK_WORKERS", "workers"),
                         description="Threads that prepare Slack answers in `steward serve` (acknowledgements "
                                     "never wait for them; fewer threads leave the acknowledgement path more CPU).")

    def secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None
