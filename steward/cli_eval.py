"""`steward eval`: run the eval cases through the agent and print accuracy, leaks, latency, cost."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from evals.gate import GATES, Gate
from steward.cli_common import console, err, settings_of


def register_eval(app: typer.Typer) -> None:
    """Add `steward eval` to the `steward` app."""

    @app.command("eval")
    def eval_command(
        ctx: typer.Context,
        mode: Annotated[str, typer.Option(help="offline (the embedded planner) or bedrock")] = "offline",
        dataset: Annotated[Optional[Path], typer.Option(
            help="Eval cases (YAML); replaces --set")] = None,
        eval_set: Annotated[str, typer.Option("--set", help="dev, heldout or all")] = "all",
        family: Annotated[Optional[str], typer.Option(help="Only this question family")] = None,
        persona: Annotated[Optional[str], typer.Option(help="Only this persona")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON")] = False,
        min_accuracy: Annotated[float, typer.Option(help="Exit non-zero below this accuracy (dev set)")] = GATES["dev"].min_accuracy,
        min_heldout_accuracy: Annotated[float, typer.Option(
            help="Exit non-zero below this accuracy on the heldout set")] = GATES["heldout"].min_accuracy,
        max_confident_wrong: Annotated[float, typer.Option(
            help="Exit non-zero when a set's confident-wrong rate is above this (each set)")]
        = GATES["dev"].max_confident_wrong_rate,
        max_leaks: Annotated[int, typer.Option(help="Exit non-zero when a set has more leaks than this")]
        = GATES["dev"].max_leaks,
        model_id: Annotated[Optional[str], typer.Option(help="Bedrock model id (bedrock mode)")] = None,
        region: Annotated[Optional[str], typer.Option(help="Bedrock region (bedrock mode)")] = None,
        endpoint_url: Annotated[Optional[str], typer.Option(help="Bedrock endpoint URL (bedrock mode)")] = None,
        failures: Annotated[int, typer.Option(help="How many failing cases to list")] = 40,
    ) -> None:
        """Score the agent on the eval sets over the demo org (built once and cached), each set apart.
        Exits 1 when a set misses its gate: accuracy below its minimum, a confident-wrong rate above the
        maximum, or a leak."""
        if mode not in ("offline", "bedrock"):
            raise typer.BadParameter("--mode is offline or bedrock")
        # The same settings as `steward ask` (STEWARD_BEDROCK_* ...), with the mode asked for here.
        overrides = {k: v for k, v in {"model_id": model_id, "region": region,
                                        "endpoint_url": endpoint_url}.items() if v is not None}
        report = _evaluate(ctx, mode, overrides, dataset, eval_set, family, persona, quiet=as_json)
        if as_json:
            typer.echo(json.dumps(report, indent=2, default=str))
        else:
            from evals import report as evals_report

            typer.echo("\n\n".join(evals_report.format_report(s, failures=failures)
                                    for s in report["sets"].values()))
        _gate(report, {"heldout": min_heldout_accuracy}, Gate(
            min_accuracy=min_accuracy, max_confident_wrong_rate=max_confident_wrong, max_leaks=max_leaks))


def _evaluate(ctx: typer.Context, mode: str, overrides: dict, dataset: Optional[Path], eval_set: str,
              family: Optional[str], persona: Optional[str], *, quiet: bool) -> dict:
    """The report of one dataset file, or of the named sets (each apart); exit 2 on a bad set or file."""
    from evals import run as evals_run
    from steward.wiring import agent_config

    config = replace(agent_config(settings_of(ctx), offline=mode == "offline"), mode=mode, **overrides)
    try:
        with _nothing() if quiet else console.status("building the eval store and running the cases..."):
            if dataset is not None:
                one = evals_run.evaluate(dataset=dataset, mode=mode, family=family, persona=persona, config=config)
                return {"mode": mode, "sets": {dataset.stem: {"set": dataset.stem, **one}}}
            names = list(evals_run.SETS) if eval_set == "all" else [eval_set]
            return evals_run.evaluate_sets(names, mode=mode, family=family, persona=persona, config=config)
    except (ValueError, FileNotFoundError) as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=2) from None


def _gate(report: dict, min_by_set: dict[str, float], gate: Gate) -> None:
    """Exit 1 naming every gate a set missed (its own minimum accuracy where one is given)."""
    from evals.gate import gate_failures

    missed = [why for name, s in report["sets"].items()
              for why in gate_failures(name, s, replace(gate, min_accuracy=min_by_set.get(name, gate.min_accuracy)))]
    if missed:
        err.print("[bold red]eval gate failed:[/] " + "; ".join(missed), highlight=False)
        raise typer.Exit(code=1)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
