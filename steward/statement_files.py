"""A chargeback statement as a file: CSV, Parquet or one mailable HTML page (the CLI and Slack share it)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tools.chargeback import COLUMNS

FILE_FORMATS = ("csv", "parquet", "html")


def statement_csv(statement: Any) -> str:
    """One row per line and the total: node, then every money column to the cent."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["node", *COLUMNS])
    for ln in [*statement.lines, statement.total]:
        writer.writerow([ln.node, *(f"{getattr(ln, c):.2f}" for c in COLUMNS)])
    return out.getvalue()


def statement_parquet(statement: Any) -> bytes:
    """The CSV's rows and columns as Parquet; money as decimal(18,2), so a reader sums exact cents."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = [*statement.lines, statement.total]
    money = pa.decimal128(18, 2)
    table = pa.table({"node": pa.array([ln.node for ln in lines], pa.string()),
                      **{c: pa.array([Decimal(f"{getattr(ln, c):.2f}") for ln in lines], money) for c in COLUMNS}},
                     metadata={"period": statement.period, "by": statement.by,
                               "restated": str(bool(statement.restated)).lower()})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def statement_file(statement: Any, fmt: str) -> tuple[bytes, str]:
    """(content, file name) of the statement in `fmt` (csv | parquet | html)."""
    if fmt not in FILE_FORMATS:
        raise ValueError(f"a statement file is one of {', '.join(FILE_FORMATS)}, not '{fmt}'")
    name = f"bedrock-chargeback-{statement.period}-by-{statement.by.replace('_', '-')}.{fmt}"
    if fmt == "parquet":
        return statement_parquet(statement), name
    if fmt == "html":
        from steward.chargeback_html import statement_html

        return statement_html(statement).encode("utf-8"), name
    return statement_csv(statement).encode("utf-8"), name
