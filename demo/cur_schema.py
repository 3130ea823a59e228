"""The CUR 2.0 columns the demo writes, as Arrow schemas and manifest types."""

from __future__ import annotations

import pyarrow as pa

STRING_MAP = pa.map_(pa.string(), pa.string())
TIMESTAMP_MS = pa.timestamp("ms")
# (column, Arrow type, type name in the manifest)
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("bill_billing_period_start_date", TIMESTAMP_MS, "timestamp"),
    ("bill_billing_period_end_date", TIMESTAMP_MS, "timestamp"),
    ("bill_billing_entity", pa.string(), "string"),
    ("bill_payer_account_id", pa.string(), "string"),
    ("bill_payer_account_name", pa.string(), "string"),
    ("identity_line_item_id", pa.string(), "string"),
    ("identity_time_interval", pa.string(), "string"),
    ("line_item_usage_account_id", pa.string(), "string"),
    ("line_item_usage_account_name", pa.string(), "string"),
    ("line_item_usage_start_date", TIMESTAMP_MS, "timestamp"),
    ("line_item_usage_end_date", TIMESTAMP_MS, "timestamp"),
    ("line_item_product_code", pa.string(), "string"),
    ("line_item_usage_type", pa.string(), "string"),
    ("line_item_operation", pa.string(), "string"),
    ("line_item_line_item_type", pa.string(), "string"),
    ("line_item_line_item_description", pa.string(), "string"),
    ("line_item_resource_id", pa.string(), "string"),
    ("line_item_iam_principal", pa.string(), "string"),
    ("line_item_usage_amount", pa.float64(), "double"),
    ("line_item_unblended_rate", pa.string(), "string"),
    ("line_item_unblended_cost", pa.float64(), "double"),
    ("line_item_net_unblended_cost", pa.float64(), "double"),
    ("pricing_unit", pa.string(), "string"),
    ("pricing_term", pa.string(), "string"),
    ("product_region_code", pa.string(), "string"),
    ("product_servicecode", pa.string(), "string"),
    ("product", STRING_MAP, "map<string,string>"),
    ("resource_tags", STRING_MAP, "map<string,string>"),
    ("tags", STRING_MAP, "map<string,string>"),
]
SCHEMA = pa.schema([(name, t) for name, t, _ in COLUMNS])
_NO_DICTIONARY = {"identity_line_item_id"}
DICTIONARY_COLUMNS = [f.name for f in SCHEMA if f.name not in _NO_DICTIONARY and not pa.types.is_floating(f.type)]
# What the writer is handed: low-cardinality strings as dictionaries (read back as plain strings).
WRITE_SCHEMA = pa.schema([
    (f.name, pa.dictionary(pa.int32(), pa.string())
     if f.type == pa.string() and f.name not in _NO_DICTIONARY else f.type) for f in SCHEMA])

