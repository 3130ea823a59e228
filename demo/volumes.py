"""The demo's business volumes (documents read by Document Intake, chats served by Client Chat, payments
checked out by Checkout Service), one CSV row per product, day and unit, for `steward metrics import`."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

# product, unit, units on the first day, daily growth: sized so a unit costs a few cents, with trends
# that differ (documents grow faster than Document Intake's spend, payments slower than Checkout's).
VOLUME_STREAMS = (("Document Intake", "document", 820, 0.006), ("Client Chat", "chat", 1350, 0.0),
                  ("Checkout Service", "payment", 7400, 0.001))
RECORDED_BY = "lead@example.com"  # the demo's FinOps Lead imports them (any product is in a lead's scope)
WEEKEND = 0.7  # share of a weekday's volume on Saturdays and Sundays


def volume_rows(first: date, last: date) -> list[tuple[str, date, str, int]]:
    """(product, day, unit, value) for every day from first to last (inclusive), deterministic."""
    rows = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        for product, unit, base, growth in VOLUME_STREAMS:
            weekday = WEEKEND if day.weekday() >= 5 else 1.0
            rows.append((product, day, unit, round(base * (1 + growth) ** i * weekday * (1 + (i % 7) * 0.01))))
    return rows


def write_volumes(path: Path, first: date, last: date) -> Path:
    """The CSV `steward metrics import` reads (header product,date,metric,value)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["product", "date", "metric", "value"])
        out.writerows([p, d.isoformat(), u, v] for p, d, u, v in volume_rows(first, last))
    return path
