"""FOCUS 1.x exports (AWS Data Exports): recognised by their columns, mapped onto Steward's row shape."""

from __future__ import annotations

from ledger.cur_columns import TypeCheck, is_map, is_number, is_string, is_time

# Columns only a FOCUS export has (FOCUS 1.0/1.1/1.2 column list); two of them decide.
MARKERS = ("BilledCost", "ChargeCategory", "BillingPeriodStart", "ServiceName")

REQUIRED: dict[str, tuple[TypeCheck, str]] = {}
OPTIONAL: dict[str, tuple[TypeCheck, str]] = {}


def is_focus(columns: set[str]) -> bool:
    return sum(c in columns for c in MARKERS) >= 2 and "line_item_usage_type" not in columns


def projection(columns: set[str]) -> str:
    raise NotImplementedError
