"""`steward metrics import FILE.csv`: business volumes per product and day (tools.volumes), so answers give
the cost per unit of value.

    steward metrics import volumes.csv --as maria@example.com
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.errors import StewardError
from steward.cli_common import console, fail, settings_of
from steward.store_access import store_for

metrics_app = typer.Typer(help="Business volumes (documents, chats, reviews) per product and day, for cost per unit",
                          no_args_is_help=True)


@metrics_app.command("import")
def metrics_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with the header product,date,metric,value")],
    who: Annotated[str, typer.Option("--as", help="Who is recording (email in the registry)")],
) -> None:
    """Record volumes from a CSV (one row per product, day and metric); a value already recorded for the
    same product, day and metric is replaced. A bad row imports nothing and names its line."""
    from steward.wiring import tool_context
    from tools.volumes import MAX_IMPORT_BYTES, import_volumes

    try:
        if file.stat().st_size > MAX_IMPORT_BYTES:
            raise typer.BadParameter(f"{file} is over {MAX_IMPORT_BYTES // 2**20} MB; split it into smaller files")
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc}") from None
    s = settings_of(ctx)
    try:
        with store_for(s.db, create=False) as store:
            done = import_volumes(tool_context(s, store, who), text, file.name)
    except StewardError as exc:
        err = fail(exc)
        typer.echo(f"Nothing was imported from {file.name}.", err=True)
        raise err from None
    console.print(f"Imported {done.rows} volume{'s' if done.rows != 1 else ''} from {done.file} "
                  f"({done.replaced} replaced values already recorded): {', '.join(done.products)}; "
                  f"units {', '.join(done.metrics)}; {done.first_day} to {done.last_day}. "
                  f"Audit entry {done.audit_seq}.", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `steward` app."""
    app.add_typer(metrics_app, name="metrics")
