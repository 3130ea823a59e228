"""`steward demo` end to end through the CLI: generate, ingest, apply, and each persona's answer."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from steward.cli import app


def test_demo_runs_offline_and_shows_each_persona(tmp_path: Path) -> None:
    db = tmp_path / "steward.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "--as-of", "2026-11-23", "demo",
                                      "--out", str(tmp_path / "demo-data")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    for label in ("Product Owner", "Portfolio Manager", "FinOps Lead", "Cloud Engineer"):
        assert label in out
    assert "Ingested billing periods" in out
    assert "CUR data through 22 Nov 2026" in out
    # the demo's drift story reaches the FinOps Lead
    assert "Claude Opus 4.6" in out
    verify = CliRunner().invoke(app, ["--db", str(db), "audit", "verify"])
    assert verify.exit_code == 0 and "audit log intact" in verify.output
