"""File-level checks of one Parquet data file: readable, not empty, the columns of a known export
(CUR 2.0 or FOCUS 1.x) with the right types. Row-level rules are in ledger/row_checks.py."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.parquet as pq

from ledger import cur_columns, focus
from ledger.errors import IngestError
from ledger.sources import DataFile


@dataclass(frozen=True)
class CheckedFile:
    file: DataFile
    rows: int
    columns: set[str]
    dialect: str        # 'cur2' | 'focus'
    projection: str     # SELECT list onto the internal row shape
    source_columns: dict[str, str]  # internal column -> the file's column, for messages


def _open(f: DataFile) -> tuple[object, int]:
    try:
        size = f.path.stat().st_size
    except OSError as exc:
        raise IngestError(f.name, f"cannot read the file ({exc})") from exc
    if size == 0:
        raise IngestError(f.name, "the file is empty (0 bytes); re-export or remove it")
    with f.path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    if head != b"PAR1":
        raise IngestError(f.name, "not a Parquet file (no PAR1 header); CUR 2.0 must be exported as Parquet")
    if tail != b"PAR1":
        raise IngestError(f.name, "truncated Parquet file (no footer); download it again")
    try:
        meta = pq.ParquetFile(f.path)
        return meta.schema_arrow, meta.metadata.num_rows
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for corrupt footers
        raise IngestError(f.name, f"unreadable Parquet file ({exc}); download it again") from exc


def check_parquet(f: DataFile) -> CheckedFile:
    schema, rows = _open(f)
    if rows == 0:
        raise IngestError(f.name, "the file has no rows; a CUR data file always has some")
    names = set(schema.names)  # type: ignore[attr-defined]
    is_focus = focus.is_focus(names)
    required, optional = (focus.REQUIRED, focus.OPTIONAL) if is_focus else (cur_columns.REQUIRED,
                                                                            cur_columns.OPTIONAL)
    missing = [c for c in required if c not in names]
    if missing:
        what = "FOCUS 1.x" if is_focus else "CUR 2.0"
        hint = ("Export FOCUS 1.x with the standard column set." if is_focus else
                "Export with the standard CUR 2.0 schema (COST_AND_USAGE_REPORT).")
        raise IngestError(f.name, f"missing required {what} column(s): {', '.join(missing)}. {hint}")
    for col, (check, expected) in {**required, **optional}.items():
        if col in names:
            actual = schema.field(col).type  # type: ignore[attr-defined]
            if not check(actual):
                raise IngestError(f.name, f"column {col} has type {actual}, expected {expected}")
    projection = focus.projection(names) if is_focus else cur_columns.projection(names)
    source_columns = focus.SOURCE_COLUMN if is_focus else cur_columns.SOURCE_COLUMN
    return CheckedFile(f, rows, names, "focus" if is_focus else "cur2", projection, source_columns)
