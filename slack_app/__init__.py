"""The Slack front door (Bolt): questions by mention, DM and /steward, answers in Block Kit, model
decisions and access requests through buttons and modals, spend cards, digests and alerts.

`slack_app.app.build_app(store, slack=..., contexts=...)` builds the Bolt App; `steward serve` builds
its arguments from steward.settings and hosts it. No module here imports steward.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_app"]


def __getattr__(name: str) -> Any:  # lazy: importing slack_app.config must not pull in Bolt
    if name == "build_app":
        from slack_app.app import build_app

        return build_app
    raise AttributeError(name)
