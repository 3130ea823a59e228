"""The chargeback statement as one HTML file a person can mail: the table and a bar chart (matplotlib,
embedded as a PNG data URI, so the file needs nothing beside it)."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from tools.chargeback import COLUMNS, UNATTRIBUTED

_STYLE = """body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{padding:4px 10px;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:bold;border-top:2px solid #222}
tr.unattributed td{color:#8a4b00}.note{color:#555;font-size:90%}"""


def chart_png(statement: Any) -> bytes:
    """A horizontal bar chart of each line's total (the unattributed line in its own colour)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the chart is written to bytes
    import matplotlib.pyplot as plt

    lines = list(reversed(statement.lines))  # largest at the top
    fig, ax = plt.subplots(figsize=(8, max(2.0, 0.4 * len(lines) + 1)))
    try:
        ax.barh([ln.node for ln in lines], [ln.total_usd for ln in lines],
                color=["#c77c00" if ln.node == UNATTRIBUTED else "#2f6db5" for ln in lines])
        ax.set_xlabel("USD (unblended total)")
        ax.set_title(f"Bedrock chargeback {statement.period} by {statement.by.replace('_', ' ')}")
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=100)
        return out.getvalue()
    finally:
        plt.close(fig)


def _row(ln: Any, css: str) -> str:
    name = ln.node if not ln.account_name else f"{ln.node} ({ln.account_name})"
    cells = "".join(f'<td class="n">${getattr(ln, c):,.2f}</td>' for c in COLUMNS)
    return f'<tr class="{css}"><td>{html.escape(name)}</td>{cells}</tr>'


def statement_html(statement: Any) -> str:
    """The whole statement as one self-contained HTML document."""
    title = f"Bedrock chargeback, {statement.period}, by {statement.by.replace('_', ' ')}"
    if statement.restated:
        title += " (restated)"
    head = "".join(f"<th>{html.escape(c.removesuffix('_usd').replace('_', ' '))}</th>" for c in COLUMNS)
    rows = [_row(ln, "unattributed" if ln.node == UNATTRIBUTED else "") for ln in statement.lines]
    rows.append(_row(statement.total, "total"))
    chart = base64.b64encode(chart_png(statement)).decode() if statement.lines else ""
    scope = ("Every charge of the month: the total is the month's CUR total for Bedrock." if statement.complete
             else "Your products, and the unattributed spend of the accounts you own.")
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p class=\"note\">{html.escape(scope)} Usage is unblended (net after discounts beside it); "
            f"credits, refunds and taxes are their own columns. Data ingested {html.escape(str(statement.ingested_at))}.</p>"
            + (f'<img alt="chart of each line\'s total" src="data:image/png;base64,{chart}">' if chart else "")
            + f"<table><tr><th>{html.escape(statement.by.replace('_', ' '))}</th>{head}</tr>{''.join(rows)}</table>"
            "</body></html>\n")
