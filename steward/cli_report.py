"""`steward report chargeback`: the month's chargeback statement as a table, CSV, Parquet or HTML, scoped to who asks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ledger.errors import StewardError
from steward.cli_common import console, fail, settings_of
from steward.store_access import store_for

FORMATS = ("table", "csv", "parquet", "html")


def _table(statement) -> Table:  # noqa: ANN001 - ChargebackStatement
    from tools.chargeback import COLUMNS

    title = f"Bedrock chargeback, {statement.period}, by {statement.by.replace('_', ' ')}"
    if statement.restated:
        title += " (restated)"
    table = Table(title=title, title_justify="left")
    table.add_column(statement.by.replace("_", " "))
    for c in COLUMNS:
        table.add_column(c.removesuffix("_usd").replace("_", " "), justify="right")
    # Every cent shown (finance reconciles the statement), unlike tools.display.money for answers.
    for ln in [*statement.lines, statement.total]:
        table.add_row(ln.node if not ln.account_name else f"{ln.node} ({ln.account_name})",
                      *(f"${getattr(ln, c):,.2f}" for c in COLUMNS), style="bold" if ln.node == "total" else None)
    return table


def register_report(app: typer.Typer) -> None:
    """Add `steward report chargeback` to the `steward` app."""
    report_app = typer.Typer(no_args_is_help=True, help="Statements for finance: chargeback and showback.")
    app.add_typer(report_app, name="report")

    @report_app.command("chargeback")
    def chargeback(
        ctx: typer.Context,
        who: Annotated[str, typer.Option("--as", help="Who is asking (email in the registry)")] = "",
        month: Annotated[Optional[str], typer.Option(help="YYYY-MM [default the current month]")] = None,
        by: Annotated[str, typer.Option(help="product | department | portfolio | business_unit | account")] = "product",
        fmt: Annotated[str, typer.Option("--format", help="table | csv | parquet | html")] = "table",
        out: Annotated[Optional[Path], typer.Option("--out", help="write to this file (html: one file to mail; parquet needs it)")] = None,
    ) -> None:
        """The month's chargeback statement: per node usage (unblended and net), credits, refunds, taxes
        and other charges, and unattributed spend as its own line. A FinOps Lead's adds up to the CUR total."""
        from steward.wiring import tool_context
        from tools import toolset

        if not who:
            raise typer.BadParameter("say who is asking: --as EMAIL")
        if fmt not in FORMATS:
            raise typer.BadParameter(f"--format is one of {', '.join(FORMATS)}")
        if out is not None and fmt == "table":
            raise typer.BadParameter("--out writes a file: add --format csv, parquet or html")
        if fmt == "parquet" and out is None:
            raise typer.BadParameter("--format parquet writes a binary file: add --out FILE.parquet")
        s = settings_of(ctx)
        try:
            with store_for(s.db, create=False) as store:  # the owner's store when `steward serve` holds it
                args = {"by": by, **({"month": month} if month else {})}
                statement = toolset.call(tool_context(s, store, who), "chargeback_statement", args)
        except StewardError as exc:
            raise fail(exc) from None
        if fmt == "table":
            console.print(_table(statement))
            return
        from steward.statement_files import statement_file

        content, _ = statement_file(statement, fmt)
        if out is None:
            typer.echo(content.decode("utf-8"), nl=False)
        else:
            out.write_bytes(content)
            typer.echo(f"wrote {out}")
