"""The MCP section of Steward's settings (steward.settings composes it)."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class McpSettings(BaseModel):
    """STEWARD_PUBLIC_URL: the external URL of /mcp behind a reverse proxy."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    public_url: str | None = Field(None, validation_alias=AliasChoices("STEWARD_PUBLIC_URL", "public_url"),
                                   description="External URL of /mcp, e.g. https://steward.example.com/mcp "
                                               "(its host and origin are then allowed).")
