"""kill -9 in the middle of an ingest: every period is wholly old or wholly new afterwards."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ledger.ingest import ingest
from ledger.store import Store
from tests import curfile
from tests.test_ingest import NOV, OCT, bedrock_usage_cost

ROOT = Path(__file__).resolve().parent.parent

# The child ingests, and kills itself (SIGKILL, no clean-up of any kind) inside the transaction of
# the second period, after its rows were inserted and before it commits.
CHILD = textwrap.dedent("""
    import os, signal, sys
    import ledger.ingest as I
    from ledger.store import Store
    real = I._dedupe
    def dedupe_then_die(store, period):
        n = real(store, period)
        if period == sys.argv[3]:
            os.kill(os.getpid(), signal.SIGKILL)
        return n
    I._dedupe = dedupe_then_die
    with Store(sys.argv[1]) as store:
        I.ingest(store, [sys.argv[2]])
""")


def period_cost(store: Store, period: str) -> float:
    return store.scalar("""SELECT coalesce(sum(unblended_cost), 0) FROM bedrock_usage
                           WHERE billing_period = ? AND charge_class = 'usage'""", [period])


@pytest.mark.parametrize("killed_in", ["2026-10", "2026-11"])
def test_kill_9_leaves_each_period_whole(tmp_path: Path, killed_in: str) -> None:
    export = tmp_path / "cur"
    curfile.write(curfile.export_path(export, "2026-10"), OCT)
    curfile.write(curfile.export_path(export, "2026-11"), NOV)
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        ingest(store, [str(export)])
    # The restatement doubles every cost of both periods; the child dies while loading `killed_in`.
    curfile.write(curfile.export_path(export, "2026-10"), [dict(r, line_item_unblended_cost=2 * r[
        "line_item_unblended_cost"]) for r in OCT])
    curfile.write(curfile.export_path(export, "2026-11"), [dict(r, line_item_unblended_cost=2 * r[
        "line_item_unblended_cost"]) for r in NOV])
    proc = subprocess.run([sys.executable, "-c", CHILD, str(db), str(export), killed_in], cwd=ROOT)
    assert proc.returncode == -9
    with Store(db) as store:
        oct_cost, nov_cost = period_cost(store, "2026-10"), period_cost(store, "2026-11")
        rollup_oct = store.scalar("SELECT sum(unblended_cost) FROM usage_daily WHERE billing_period = '2026-10' "
                                  "AND charge_class = 'usage'")
    old_oct, old_nov = bedrock_usage_cost(OCT), bedrock_usage_cost(NOV)
    if killed_in == "2026-10":  # nothing committed yet
        assert (oct_cost, nov_cost) == (pytest.approx(old_oct), pytest.approx(old_nov))
    else:  # October committed whole, November still the old one
        assert (oct_cost, nov_cost) == (pytest.approx(2 * old_oct), pytest.approx(old_nov))
    assert rollup_oct == pytest.approx(oct_cost)
