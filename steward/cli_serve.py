"""`steward serve`: Slack (HTTP or Socket Mode), MCP over HTTP, /healthz and the scheduler, in one
process that owns the DuckDB file."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ledger.errors import StewardError
from steward.cli_common import err, fail, settings_of


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `steward` app."""

    @app.command()
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port (0 picks a free one)")] = 8080,
        socket_mode: Annotated[bool, typer.Option("--socket-mode", help="Receive Slack over Socket Mode "
                                                  "(SLACK_APP_TOKEN) instead of HTTP")] = False,
        log_level: Annotated[str, typer.Option(help="debug | info | warning | error")] = "info",
    ) -> None:
        """Serve Slack, MCP and /healthz, and run ingest, the nightly rollup, digests and spend cards.

        Env: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP mode), SLACK_APP_TOKEN (Socket Mode),
        STEWARD_SLACK_FINOPS_CHANNEL, STEWARD_CUR_SOURCE (folder or s3://bucket/prefix). Stops cleanly
        on SIGTERM / SIGINT: jobs and answers in flight finish, then the store is closed.
        """
        from steward.serve import StewardServer

        logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # slack_sdk logs request details at DEBUG; keep it above that so tokens never get near a log.
        logging.getLogger("slack_sdk").setLevel(max(logging.INFO, logging.getLogger().level))
        s = settings_of(ctx)
        try:
            server = StewardServer(s, host=host, port=port, socket_mode=socket_mode,
                                   log_level="warning" if log_level.lower() != "debug" else "info")
        except StewardError as exc:
            raise fail(exc) from None
        server.run()
        err.print("steward serve stopped; store closed cleanly")
