"""The `steward` command line (Typer). It parses input, builds context and calls the core."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledger.errors import StewardError
from ledger.store import Store
from tools.display import money
from steward import cli_agent, cli_claims, cli_doctor, cli_eval, cli_mcp, cli_metrics, cli_report, cli_serve, cli_tools
from steward.cli_common import console, err
from steward.cli_common import fail as _fail
from steward.cli_common import parse_date as _parse_date
from steward.cli_common import settings_of as _settings
from steward.settings import load_settings
from steward.store_access import store_for

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Bedrock Steward: names on your Bedrock bill.")
org_app = typer.Typer(no_args_is_help=True, help="The governance registry as code (org YAML).")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")
app.add_typer(org_app, name="org")
app.add_typer(audit_app, name="audit")
models_app = typer.Typer(no_args_is_help=True, help="Bedrock model discovery.")
app.add_typer(models_app, name="models")

@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB store file [env STEWARD_DB; default ./steward.duckdb]")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="The day 'now' is, YYYY-MM-DD [default today]")] = None,
) -> None:
    overrides: dict = {}
    if db is not None:
        overrides["store"] = {"db": db}
    if as_of is not None:
        overrides["as_of"] = _parse_date(as_of)
    try:  # read once, here: every command receives this one object
        ctx.obj = load_settings(**overrides)
    except StewardError as exc:
        raise _fail(exc) from None


def _short(text: str, limit: int = 120) -> str:
    """Names from a file are shown cut short: a damaged export can hold a 64 KB usage type."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_ingest(result) -> None:  # noqa: ANN001 - IngestResult
    table = Table(title="Ingested billing periods", title_justify="left")
    for col in ("period", "rows read", "Bedrock rows kept", "duplicates", "flagged", "usage cost",
                "credits/tax/other", "principals", "models", "through"):
        table.add_column(col, justify="left" if col == "period" else "right")
    for s in result.periods:
        table.add_row(s.billing_period, f"{s.rows:,}", f"{s.bedrock_rows:,}", f"{s.duplicates:,}",
                      str(len(s.flags)), money(s.usage_cost), money(s.other_charges), str(s.principals),
                      str(s.models), s.data_through or "-")
    console.print(table)
    for s in result.periods:
        if s.unmapped_billing_names:
            console.print(f"[yellow]{s.billing_period} unmapped model names[/] (kept, treated as unreviewed): "
                          + ", ".join(_short(n) for n in s.unmapped_billing_names), markup=True, highlight=False)
        if s.unknown_usage_types:
            console.print(f"[yellow]{s.billing_period} unknown usage types[/] (kept, treated as unreviewed): "
                          + ", ".join(_short(u) for u in s.unknown_usage_types), highlight=False)
        for f in s.flags:
            console.print(f"[yellow]{s.billing_period} flagged ({f.reason})[/]: ", end="")
            console.print(_short(f.detail, 300), markup=False, highlight=False)
    console.print(
        f"{result.rows_read:,} rows from {result.files} file(s) in {result.seconds:.2f}s "
        f"({result.rows_per_second:,.0f} rows/s). Usage cost counts Usage, SavingsPlanCoveredUsage "
        "and DiscountedUsage; credits, refunds and taxes are shown separately."
        + ("" if result.strict or not result.flagged else " `--strict` refuses files with flagged rows.")
    )
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}")


def run_ingest(store: Store, sources: list[str], actor: str, *, strict: bool = False, quiet: bool = False) -> object:
    from ledger.ingest import ingest

    with Progress(
        TextColumn("ingesting"), BarColumn(), TextColumn("{task.fields[done]}"),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=err, transient=True, disable=quiet,
    ) as bar:
        task = bar.add_task("ingest", total=None, rate="", done="")

        def progress(done: int, total: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=done, total=total, done=f"{done:,}/{total:,} rows",
                       rate=f"{done / elapsed:,.0f} rows/s")

        # Files are read by whichever process holds the store (perhaps `steward serve`, elsewhere).
        local = [src if "://" in src else str(Path(src).resolve()) for src in sources]
        return ingest(store, local, actor=actor, progress=progress, strict=strict)


def _ingest_athena(s, sources: list[str], periods: Optional[str], output: Optional[str], *,  # noqa: ANN001
                   strict: bool, quiet: bool) -> object:
    """Athena filters the CUR table to Bedrock rows (UNLOAD to Parquet); they are ingested as usual."""
    import boto3

    from ledger import athena
    from ledger.errors import IngestError

    if len(sources) != 1 or periods is None:
        raise IngestError(sources[0], "ingest from Athena takes one athena://WORKGROUP/DATABASE.TABLE source and "
                                      "--periods, e.g. --periods 2026-09,2026-10")
    athena.parse_source(sources[0])   # both checked before the store is opened
    wanted = athena.parse_periods(periods)
    session = boto3.session.Session(region_name=s.aws_region)
    client = athena.AthenaClient(session.client("athena"), session.client("glue"), session.client("s3"))
    with store_for(s.db) as store:
        result, run = athena.ingest_from_athena(store, sources[0], wanted, client=client,
                                                output=output, actor=s.operator(), strict=strict)
    if not quiet:
        err.print(f"Athena: before the query, up to {sum(run.estimated_bytes) / 1e6:,.1f} MB in the periods' "
                  f"partitions (at most ${run.estimated_usd:,.4f}); scanned {sum(run.scanned_bytes) / 1e6:,.1f} MB "
                  f"(${run.cost_usd:,.4f} at $5/TB) in {len(run.query_ids)} quer"
                  f"{'y' if len(run.query_ids) == 1 else 'ies'} ({', '.join(run.query_ids)}); "
                  f"{run.files} file(s) of Bedrock rows ingested.")
    return result


@app.command()
def ingest(
    ctx: typer.Context,
    sources: Annotated[list[str], typer.Argument(help="Parquet file(s), folder(s) or s3://bucket/prefix")],
    strict: Annotated[bool, typer.Option("--strict", help="Refuse files with flagged rows (duplicates, "
                                         "negative usage cost, look-alike principals, no product code)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON")] = False,
    periods: Annotated[Optional[str], typer.Option(help="With athena://: the billing periods to fetch, "
                                                   "e.g. 2026-09,2026-10")] = None,
    athena_output: Annotated[Optional[str], typer.Option(help="With athena://: where UNLOAD writes "
                                                         "(default: the workgroup's result location)")] = None,
) -> None:
    """Load CUR 2.0 or FOCUS 1.x Parquet (a file, a folder, s3://bucket/prefix, or
    athena://WORKGROUP/DATABASE.TABLE --periods ...); each billing period found replaces the stored one."""
    s = _settings(ctx)
    try:
        if any(src.startswith("athena://") for src in sources):
            result = _ingest_athena(s, sources, periods, athena_output, strict=strict, quiet=as_json)
        else:
            with store_for(s.db) as store:
                result = run_ingest(store, sources, s.operator(), strict=strict, quiet=as_json)
    except StewardError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        print_ingest(result)


@org_app.command("apply")
def org_apply(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Org YAML file")],
              why: Annotated[Optional[str], typer.Option(help="Reason, recorded in the audit log")] = None) -> None:
    """Validate the org file and make the registry match it (idempotent)."""
    from ledger import model_names, org_apply, org_parse

    s = _settings(ctx)
    try:
        org = org_parse.load_org_file(file)
        with store_for(s.db) as store:
            summary = org_apply.apply_org(store, org, actor=s.operator(), why=why)
            model_names.remap(store)
    except StewardError as exc:
        raise _fail(exc) from None
    console.print(summary.describe() if hasattr(summary, "describe") else summary)


@org_app.command("export")
def org_export(ctx: typer.Context,
               output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write to this file")] = None) -> None:
    """Print the registry as org YAML (round-trips with `org apply`)."""
    from ledger import claim_requests, org_export

    s = _settings(ctx)
    try:
        with store_for(s.db, create=False) as store:
            text = org_export.export_org_yaml(store) + claim_requests.pending_text(store)
    except StewardError as exc:
        raise _fail(exc) from None
    if output:
        output.write_text(text)
        err.print(f"wrote {output}")
    else:
        typer.echo(text, nl=False)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check the audit log's hash chain; report the first broken link."""
    from ledger import audit

    s = _settings(ctx)
    try:
        with store_for(s.db, create=False) as store:
            v = audit.verify(store)
    except StewardError as exc:
        raise _fail(exc) from None
    if v.ok:
        console.print(f"audit log intact: {v.entries} entries, every link verified"
                      + (", and it matches its anchor beside the store" if v.anchored else "")
                      + (f" ({v.note})" if v.note else ""))
    else:
        err.print(f"[bold red]audit log broken[/] at entry {v.first_broken_seq}: {v.reason}")
        raise typer.Exit(code=1)


@audit_app.command("log")
def audit_log(ctx: typer.Context, limit: Annotated[int, typer.Option(help="How many entries")] = 20) -> None:
    """Show the most recent audit entries."""
    from ledger import audit

    s = _settings(ctx)
    try:
        with store_for(s.db, create=False) as store:
            rows = audit.entries(store, limit=limit)
    except StewardError as exc:
        raise _fail(exc) from None
    table = Table(title="Audit log (newest first)", title_justify="left")
    for col in ("seq", "at", "actor", "action", "subject", "outcome", "why"):
        table.add_column(col)
    for e in rows:
        table.add_row(str(e.seq), str(e.at)[:19], e.actor, e.action, (e.subject or "")[:60], e.outcome, e.why or "")
    console.print(table)


@models_app.command("sync")
def models_sync(
    ctx: typer.Context,
    region: Annotated[Optional[list[str]], typer.Option("--region", help="Region to list (repeatable) [default: settings.bedrock_regions]")] = None,
) -> None:
    """Discover models (ListFoundationModels) and where each system inference profile routes
    (ListInferenceProfiles); new models without a catalog entry are unreviewed. Also lists billing
    names in the ingested CUR that the model-name map lacks."""
    from datetime import datetime, timezone

    import boto3

    from ledger.model_names import unmapped_in_store
    from ledger.model_sync import sync_models

    s = _settings(ctx)
    regions = region or s.bedrock_regions
    try:
        with store_for(s.db) as store:
            unmapped = unmapped_in_store(store)
            result = sync_models(store, client_factory=lambda r: boto3.client("bedrock", region_name=r),
                                 regions=regions, actor=s.operator(),
                                 now=datetime.now(timezone.utc).replace(tzinfo=None))
    except StewardError as exc:
        raise _fail(exc) from None
    console.print(f"{result.discovered} model(s) listed in {', '.join(result.regions)}; "
                  f"{len(result.new)} new; {len(result.unreviewed)} without a catalog entry (unreviewed).")
    for name in result.unreviewed:
        console.print(f"  unreviewed: {name}")
    console.print(f"{result.profiles} system inference profile route(s) recorded; IAM policies use them.")
    if unmapped:
        console.print(f"{len(unmapped)} billing name(s) in the CUR that the model-name map lacks (add them under "
                      "`model_names:` in the org file):", highlight=False)
        for name, items, usd in unmapped:
            console.print(f"  {_short(name)}: {items:,} line item(s), {money(usd)}", markup=False, highlight=False)
    for r, msg in {**result.regions_failed, **result.profiles_failed}.items():
        err.print(f"[yellow]{r}: {msg}[/]")
    if result.regions_failed and len(result.regions_failed) == len(regions):
        raise typer.Exit(code=1)


@app.command()
def demo(
    ctx: typer.Context,
    rows: Annotated[Optional[int], typer.Option(help="Scale the demo CUR to about N rows")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the demo export")] = Path("demo-data"),
    seed: Annotated[int, typer.Option(help="Generator seed")] = 7,
) -> None:
    """Generate demo CUR, ingest it, apply the demo org, and show what each persona is told."""
    from demo import generate as demo_gen
    from ledger import model_names, org_apply, org_parse
    from demo.volumes import RECORDED_BY
    from steward.demo_report import print_report
    from steward.wiring import agent_config, tool_context
    from tools.volumes import import_volumes_file

    s = _settings(ctx)
    today = s.today()
    try:
        with console.status("generating demo CUR 2.0 export..."):
            result = demo_gen.generate(out, as_of=today, rows=rows, seed=seed)
        console.print(
            f"Generated {result.rows:,} CUR rows in {len(result.files)} file(s) under {result.export_root} "
            f"({result.first_day} to {result.last_day})."
        )
        with store_for(s.db) as store:
            print_ingest(run_ingest(store, [str(result.export_root)], s.operator()))
            summary = org_apply.apply_org(store, org_parse.load_org_file(result.org_file), actor=s.operator(),
                                         why="steward demo")
            model_names.remap(store)
            console.print(summary.describe() if hasattr(summary, "describe") else summary)
            if result.volumes_file is not None:
                done = import_volumes_file(tool_context(s, store, RECORDED_BY), result.volumes_file)
                console.print(f"Recorded {done.rows:,} business volumes ({', '.join(done.metrics)}) for "
                              f"{', '.join(done.products)} from {result.volumes_file}.", highlight=False)
            print_report(console, store, s, agent_config(s, offline=True))
    except StewardError as exc:
        raise _fail(exc) from None
    console.print(f"\nStore: {s.db}. Try, as any person in {result.org_file}:\n"
                  f"  steward ask --as maria@example.com \"how can I save on Bedrock?\"\n"
                  f"  steward chat --as lead@example.com\n"
                  f"  steward tools list --as priya@example.com")


cli_agent.register(app)
cli_eval.register_eval(app)
cli_report.register_report(app)
cli_mcp.register(app)
cli_serve.register(app)
cli_claims.register(app)
cli_doctor.register(app)
cli_tools.register(app)
cli_metrics.register(app)

if __name__ == "__main__":
    app()
