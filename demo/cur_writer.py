"""The CUR writer: stream-days to Arrow tables, Parquet data files and the export manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from demo.cur_schema import COLUMNS, DICTIONARY_COLUMNS, STRING_MAP, TIMESTAMP_MS, WRITE_SCHEMA
from demo.days import Period
from demo.streams import Stream, short_hash
from demo.world import ACCOUNTS, NET_FACTOR, PAYER_ID, PAYER_NAME

ROW_GROUP_ROWS = 262_144

BASE32 = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)
U64 = np.uint64


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 over uint64 arrays: a fast, well-mixed deterministic hash."""
    z = x + U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
    return z ^ (z >> U64(31))


def _fixed_width(codes: np.ndarray) -> pa.Array:
    """A string array from an (n, width) uint8 matrix of ASCII codes, without Python objects."""
    n, width = codes.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(np.ascontiguousarray(codes))])


def _line_item_ids(keys: np.ndarray, seed: int) -> pa.Array:
    """52-character base32 ids, unique per key (keys are unique per row), deterministic."""
    salt = _splitmix(np.array([seed], dtype=np.uint64))[0]
    base = _splitmix(keys ^ salt)
    words = np.empty((len(keys), 7), dtype=np.uint64)
    for w in range(7):
        words[:, w] = _splitmix(base + U64((w * 0xD1B54A32D192ED03) % 2**64))
    return _fixed_width(BASE32[words.view(np.uint8).reshape(len(keys), 56)[:, :52] & 31])


def epoch_ms(d: date) -> int:
    """Milliseconds since the epoch at midnight UTC of d."""
    return int((datetime(d.year, d.month, d.day) - datetime(1970, 1, 1)).total_seconds()) * 1000


def iso_hour(d: date, hour: int = 0) -> str:
    """An hour of a day as CUR writes it in identity_time_interval."""
    return f"{d.isoformat()}T{hour:02d}:00:00Z"


def _variant(s: Stream, v: int) -> str:
    """The resource id of variant v of a stream (hourly scale-out: application inference profiles)."""
    if v == 0 or s.resource_kind == "none" or ":application-inference-profile/" in s.resource:
        return s.resource  # a named profile stays itself: a claim may name it
    h = short_hash(s.account, s.region, s.usage_type, s.resource, v, n=16)
    if s.resource_kind == "bedrock":
        return f"arn:aws:bedrock:{s.region}:{s.account}:application-inference-profile/{h[:12]}"
    if s.resource_kind == "ec2":
        return f"i-0{h[:16]}"
    return f"{s.resource}-{v:02d}"


def _dictionary(values: list[str]) -> tuple[pa.Array, np.ndarray]:
    """Distinct values (in first-seen order) and, per input value, its index among them."""
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int32)
    return pa.array(list(index), pa.string()), codes


# Per-stream string columns: each is one value per stream, repeated over its rows.
_PER_STREAM_COLUMNS: dict[str, Callable[[Stream], str]] = {
    "bill_billing_entity": lambda s: s.entity,
    "line_item_usage_account_id": lambda s: s.account,
    "line_item_usage_account_name": lambda s: ACCOUNTS[s.account][0],
    "line_item_product_code": lambda s: s.product_code,
    "line_item_usage_type": lambda s: s.usage_type,
    "line_item_operation": lambda s: s.operation,
    "line_item_line_item_type": lambda s: s.item_type,
    "line_item_line_item_description": lambda s: s.description,
    "line_item_unblended_rate": lambda s: s.rate,
    "pricing_unit": lambda s: s.unit,
    "pricing_term": lambda s: s.term,
    "product_region_code": lambda s: s.region,
    "product_servicecode": lambda s: s.servicecode,
}
HOUR_MS, DAY_MS = 3_600_000, 86_400_000


def _encoded(dictionary: tuple[pa.Array, np.ndarray], idx: np.ndarray) -> pa.Array:
    """A dictionary array picking, per row, entry idx of a value list built by _dictionary."""
    values, codes = dictionary
    return pa.DictionaryArray.from_arrays(pa.array(codes[idx]), values)


def _time_intervals(period: Period, hourly: bool, as_of: date) -> list[str]:
    """identity_time_interval per day (and hour) of the period, then the whole-period one last."""
    slots = 24 if hourly else 1
    intervals = []
    for d in range(period.days):
        day = period.first + timedelta(days=d)
        for h in range(slots):
            end = (day + timedelta(days=1), 0) if not hourly or h == 23 else (day, h + 1)
            intervals.append(f"{iso_hour(day, h)}/{iso_hour(*end)}")
    intervals.append(f"{iso_hour(period.start)}/{iso_hour(min(period.end, as_of))}")
    return intervals


class PeriodWriter:
    """Turns a period's stream-days into Arrow tables, vectorised over rows.

    String columns are built as dictionary arrays over per-stream values (no per-row Python objects,
    no hashing in the Parquet writer); the file stores no Arrow schema, so readers see plain strings.
    """

    def __init__(self, period: Period, period_index: int, streams: list[Stream], hourly: bool,
                 max_split: int, as_of: date, seed: int) -> None:
        self.period, self.period_index, self.streams = period, period_index, streams
        self.hourly, self.seed = hourly, seed
        self.day_ms = np.array([epoch_ms(period.first + timedelta(days=d)) for d in range(period.days)],
                               dtype=np.int64)
        self.period_start_ms, self.period_end_ms = epoch_ms(period.start), epoch_ms(period.end)
        self.clip_ms = epoch_ms(min(period.end, as_of))
        self.monthly = np.array([s.monthly for s in streams])
        self.net = np.array([1.0 if s.monthly else NET_FACTOR[s.item_type] for s in streams])
        self.per_stream = {name: _dictionary([get(s) for s in streams])
                           for name, get in _PER_STREAM_COLUMNS.items()}
        self.maps = {
            "product": pa.array([[("product_name", s.product_name)] for s in streams], STRING_MAP),
            "resource_tags": pa.array([sorted(s.resource_tags.items()) for s in streams], STRING_MAP),
            "tags": pa.array([sorted(s.tags.items()) for s in streams], STRING_MAP),
        }
        self.payer = {"bill_payer_account_id": _dictionary([PAYER_ID]),
                      "bill_payer_account_name": _dictionary([PAYER_NAME])}
        counts = np.array([len(s.principals) for s in streams])
        self.principal_offset, self.principal_count = np.cumsum(counts) - counts, counts
        self.principals = _dictionary([p for s in streams for p in s.principals])
        self.n_variants = max(1, -(-max_split // 24)) if hourly else 1
        self.resources = _dictionary([_variant(s, v) for s in streams for v in range(self.n_variants)])
        self.intervals = _dictionary(_time_intervals(period, hourly, as_of))
        self.slots = 24 if hourly else 1

    def table(self, stream: np.ndarray, day: np.ndarray, split: np.ndarray, amount: np.ndarray,
              cost: np.ndarray, rng: np.random.Generator | None) -> pa.Table:
        """Rows for stream-days (stream, day) split into `split` sub-rows each."""
        n = int(split.sum())
        parent = np.repeat(np.arange(len(split)), split)  # the stream-day of each row
        starts = np.cumsum(split) - split
        sub = np.arange(n) - starts[parent]  # index of the row within its stream-day
        hour, variant = self._hours_and_variants(split[parent], sub, n)
        if rng is not None and n > len(split):
            weights = rng.uniform(0.5, 1.5, n)
            frac = weights / np.add.reduceat(weights, starts)[parent]
        else:
            frac = np.ones(n)
        row_stream, row_day = stream[parent], day[parent]
        row_cost = cost[parent] * frac
        cols = self._time_columns(row_stream, row_day, hour, n)
        keys = ((((U64(self.period_index) << U64(16)) + row_stream.astype(np.uint64)) << U64(6))
                + row_day.astype(np.uint64)) << U64(24)
        principal = self.principal_offset[row_stream] + (row_day + sub) % self.principal_count[row_stream]
        cols.update({
            "identity_line_item_id": _line_item_ids(keys + sub.astype(np.uint64), self.seed),
            "line_item_resource_id": _encoded(self.resources, row_stream * self.n_variants + variant),
            "line_item_iam_principal": _encoded(self.principals, principal),
            "line_item_usage_amount": pa.array(amount[parent] * frac),
            "line_item_unblended_cost": pa.array(row_cost),
            "line_item_net_unblended_cost": pa.array(row_cost * self.net[row_stream]),
        })
        for name, dic in self.per_stream.items():
            cols[name] = _encoded(dic, row_stream)
        for name, dic in self.payer.items():
            cols[name] = _encoded(dic, np.zeros(n, dtype=np.int64))
        take = pa.array(row_stream)
        for name, arr in self.maps.items():
            cols[name] = arr.take(take)
        return pa.Table.from_arrays([cols[f.name] for f in WRITE_SCHEMA], schema=WRITE_SCHEMA)

    def _hours_and_variants(self, row_split: np.ndarray, sub: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Hourly: up to 24 rows of a stream-day spread over the day; beyond, more resource variants."""
        if not self.hourly:
            zeros = np.zeros(n, dtype=np.int64)
            return zeros, zeros
        hour = np.where(row_split <= 24, ((2 * sub + 1) * 24) // (2 * row_split), sub % 24)
        return hour, np.where(row_split <= 24, 0, sub // 24)

    def _time_columns(self, row_stream: np.ndarray, row_day: np.ndarray, hour: np.ndarray,
                      n: int) -> dict[str, pa.Array]:
        """Billing period, usage start/end and time interval; monthly rows cover the whole period."""
        monthly = self.monthly[row_stream]
        slot_ms = HOUR_MS if self.hourly else DAY_MS
        start_ms = np.where(monthly, self.period_start_ms, self.day_ms[row_day] + hour * HOUR_MS)
        end_ms = np.where(monthly, self.clip_ms, start_ms + slot_ms)
        interval = np.where(monthly, len(self.intervals[1]) - 1, row_day * self.slots + hour)
        return {
            "bill_billing_period_start_date": pa.array(np.full(n, self.period_start_ms), TIMESTAMP_MS),
            "bill_billing_period_end_date": pa.array(np.full(n, self.period_end_ms), TIMESTAMP_MS),
            "identity_time_interval": _encoded(self.intervals, interval),
            "line_item_usage_start_date": pa.array(start_ms, TIMESTAMP_MS),
            "line_item_usage_end_date": pa.array(end_ms, TIMESTAMP_MS),
        }


def cut_runs(rows: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Split consecutive stream-days (`rows` rows each) into runs of at most `limit` rows, of about
    equal size; a stream-day is never split across runs."""
    total = int(rows.sum())
    parts = max(1, -(-total // limit))
    cap = min(limit, -(-total // parts) + int(rows.max(initial=0)))
    cum = np.concatenate([[0], np.cumsum(rows)])
    out, a = [], 0
    while a < len(rows):
        b = max(a + 1, int(np.searchsorted(cum, cum[a] + cap, side="right")) - 1)
        out.append((a, b))
        a = b
    return out


def write_data_file(writer: PeriodWriter, file_index: int, path: Path, arrays: tuple[np.ndarray, ...],
                    seed: int | None, report: Callable[[int], None]) -> int:
    """One data file, written one row group at a time; the number of rows written."""
    s_idx, d_idx, k, amount, cost = arrays
    written = 0
    with pq.ParquetWriter(path, WRITE_SCHEMA, compression="snappy", store_schema=False,
                          use_dictionary=DICTIONARY_COLUMNS) as pw:
        for ci, (c0, c1) in enumerate(cut_runs(k, ROW_GROUP_ROWS)):
            rng = None if seed is None else np.random.default_rng([seed, writer.period_index, file_index, ci])
            table = writer.table(s_idx[c0:c1], d_idx[c0:c1], k[c0:c1], amount[c0:c1], cost[c0:c1], rng)
            pw.write_table(table, row_group_size=table.num_rows)
            written += table.num_rows
            report(table.num_rows)
    return written


def write_manifest(export_root: Path, export_name: str, period: Period, names: list[str]) -> None:
    """The period's manifest, as AWS writes it after the data files."""
    meta_dir = export_root / "metadata" / f"BILLING_PERIOD={period.label}"
    meta_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "exportName": export_name,
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{PAYER_ID}:export/{export_name}",
        "billingPeriod": {"start": f"{period.start.isoformat()}T00:00:00.000Z",
                          "end": f"{period.end.isoformat()}T00:00:00.000Z"},
        "dataFiles": names,
        "additionalOutputFiles": [],
        "columns": [{"name": n, "type": t} for n, _, t in COLUMNS],
    }
    (meta_dir / f"{export_name}-Manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                                           encoding="utf-8")
