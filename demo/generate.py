"""The demo generator: `generate` writes the demo CUR 2.0 export and its org file."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from demo.cur_writer import PeriodWriter, cut_runs, write_data_file, write_manifest
from demo.days import Period, billing_window
from demo.facts import demo_claims, demo_estimates, story_facts
from demo.org_file import org_document, write_org
from demo.streams import Stream, build_streams
from demo.volumes import write_volumes

MAX_ROWS_PER_FILE = 2_000_000
WRITER_THREADS = min(4, os.cpu_count() or 1)
TEST_OBJECT = "aws-programmatic-access-test-object"


@dataclass(frozen=True)
class DemoResult:
    """What `generate` wrote, and the story's figures for its as_of."""

    export_root: Path
    org_file: Path
    files: list[Path]
    rows: int
    periods: list[str]
    first_day: date
    last_day: date
    facts: dict[str, Any] = field(default_factory=dict)  # the story's dates and figures
    volumes_file: Path | None = None  # business volumes per product and day (demo.volumes)


@dataclass(frozen=True)
class _StreamDays:
    """A period's active stream-days, ordered by day then stream."""

    stream: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    cost: np.ndarray
    monthly: np.ndarray  # bool: a whole-period row (tax, credit), never split


# (writer, file index, path, (stream, day, split, amount, cost) of the file's stream-days)
_Job = tuple[PeriodWriter, int, Path, tuple[np.ndarray, ...]]


def _stream_days(streams: list[Stream]) -> _StreamDays:
    amount = np.stack([s.amount for s in streams])
    cost = np.stack([s.cost for s in streams])
    day, stream = np.nonzero(((amount != 0) | (cost != 0)).T)
    return _StreamDays(stream, day, amount[stream, day], cost[stream, day],
                       np.array([s.monthly for s in streams])[stream])


def _split_counts(n_base: int, target: int) -> np.ndarray:
    """k per splittable stream-day: k >= 1, summing to max(target, n_base), spread evenly."""
    target = max(target, n_base)
    k_base, rem = divmod(target, n_base)
    i = np.arange(n_base, dtype=np.int64)
    return k_base + ((i + 1) * rem // n_base - i * rem // n_base)


def _plan_files(periods: list[Period], all_streams: list[list[Stream]], plans: list[_StreamDays],
                splits: np.ndarray, hourly: bool, export_root: Path, export_name: str, as_of: date,
                seed: int) -> tuple[list[_Job], list[Path], list[tuple[Period, list[str]]]]:
    """The data files to write per period (at most MAX_ROWS_PER_FILE rows each) and their manifests."""
    jobs: list[_Job] = []
    files: list[Path] = []
    manifests: list[tuple[Period, list[str]]] = []
    used = 0
    for pi, (period, streams, plan) in enumerate(zip(periods, all_streams, plans)):
        split = np.ones(len(plan.stream), dtype=np.int64)
        n_here = int((~plan.monthly).sum())
        split[~plan.monthly] = splits[used:used + n_here]
        used += n_here
        writer = PeriodWriter(period, pi, streams, hourly, int(split.max()), as_of, seed)
        data_dir = export_root / "data" / f"BILLING_PERIOD={period.label}"
        data_dir.mkdir(parents=True, exist_ok=True)
        names = []
        for fi, (a, b) in enumerate(cut_runs(split, MAX_ROWS_PER_FILE)):
            path = data_dir / f"{export_name}-{fi + 1:05d}.snappy.parquet"
            jobs.append((writer, fi, path, (plan.stream[a:b], plan.day[a:b], split[a:b], plan.amount[a:b],
                                            plan.cost[a:b])))
            files.append(path)
            names.append(f"{export_name}/data/BILLING_PERIOD={period.label}/{path.name}")
        manifests.append((period, names))
    return jobs, files, manifests


def _write_files(jobs: list[_Job], seed: int | None, progress: Callable[[int], None] | None) -> int:
    """Write every data file; the number of rows written."""
    lock = threading.Lock()

    def report(n: int) -> None:
        if progress:
            with lock:
                progress(n)

    def run(job: _Job) -> int:
        writer, fi, path, arrays = job
        return write_data_file(writer, fi, path, arrays, seed, report)

    # Files are independent (each row group has its own seeded generator), so threads keep the
    # output byte-identical; pyarrow and numpy release the GIL for the heavy work.
    with ThreadPoolExecutor(max_workers=min(WRITER_THREADS, len(jobs))) as pool:
        return sum(pool.map(run, jobs))


def generate(out_dir: Path, *, as_of: date, rows: int | None = None, seed: int = 7,
             export_name: str = "steward-demo", progress: Callable[[int], None] | None = None) -> DemoResult:
    """Write the demo export under out_dir/export_name and the org file out_dir/org.yaml.

    rows=None writes daily rows (about 9k). rows=N writes about N hourly rows (exactly N when N is
    larger than the daily count) with the same daily totals. `progress` is called with the number
    of rows just written after each row group. An existing out_dir/export_name/{data,metadata} is
    replaced.
    """
    out_dir = Path(out_dir)
    periods = billing_window(as_of)
    all_streams = build_streams(periods, seed)
    plans = [_stream_days(streams) for streams in all_streams]
    n_fixed = sum(int(p.monthly.sum()) for p in plans)
    n_split = sum(len(p.stream) for p in plans) - n_fixed
    hourly = rows is not None and rows - n_fixed > n_split
    splits = _split_counts(n_split, (rows or 0) - n_fixed) if hourly else np.ones(n_split, dtype=np.int64)

    export_root = out_dir / export_name
    for sub in ("data", "metadata"):
        shutil.rmtree(export_root / sub, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / TEST_OBJECT).write_bytes(b"")
    jobs, files, manifests = _plan_files(periods, all_streams, plans, splits, hourly, export_root,
                                         export_name, as_of, seed)
    total = _write_files(jobs, seed if hourly else None, progress)
    for period, names in manifests:  # as AWS does: the manifest only after its data files
        write_manifest(export_root, export_name, period, names)

    facts = story_facts(periods, all_streams)
    estimates = demo_estimates(periods, facts)
    facts["estimates"] = {f"{e['product']}|{e['month']}": e["usd"] for e in estimates}
    facts["granularity"] = "HOURLY" if hourly else "DAILY"
    org_file = out_dir / "org.yaml"
    write_org(org_file, org_document(periods, demo_claims(periods), estimates), as_of)
    volumes_file = write_volumes(out_dir / "volumes.csv", periods[0].first, periods[-1].last)
    return DemoResult(export_root=export_root, org_file=org_file, files=files, rows=total,
                      periods=[p.label for p in periods], first_day=periods[0].first,
                      last_day=periods[-1].last, facts=facts, volumes_file=volumes_file)
