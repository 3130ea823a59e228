"""Write small CUR 2.0 Parquet files for tests: one dict per line item, defaults filled in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MAP = pa.map_(pa.string(), pa.string())
SCHEMA = pa.schema(
    [
        ("bill_billing_period_start_date", pa.timestamp("ms")),
        ("bill_billing_period_end_date", pa.timestamp("ms")),
        ("bill_billing_entity", pa.string()),
        ("bill_payer_account_id", pa.string()),
        ("line_item_usage_account_id", pa.string()),
        ("line_item_usage_start_date", pa.timestamp("ms")),
        ("line_item_usage_end_date", pa.timestamp("ms")),
        ("line_item_product_code", pa.string()),
        ("line_item_usage_type", pa.string()),
        ("line_item_operation", pa.string()),
        ("line_item_line_item_type", pa.string()),
        ("line_item_resource_id", pa.string()),
        ("line_item_usage_amount", pa.float64()),
        ("line_item_unblended_cost", pa.float64()),
        ("line_item_net_unblended_cost", pa.float64()),
        ("line_item_iam_principal", pa.string()),
        ("pricing_unit", pa.string()),
        ("product_region_code", pa.string()),
        ("product", MAP),
        ("resource_tags", MAP),
        ("tags", MAP),
    ]
)


def line(
    day: str,
    usage_type: str,
    amount: float,
    cost: float,
    principal: str | None = "arn:aws:sts::111122223333:assumed-role/app-role/s1",
    *,
    account: str = "111122223333",
    unit: str = "1K tokens",
    product_code: str = "AmazonBedrock",
    entity: str = "AWS",
    item_type: str = "Usage",
    product_name: str = "Amazon Bedrock",
    net: float | None = None,
    period: str | None = None,
    tags: dict[str, str] | None = None,
    resource_tags: dict[str, str] | None = None,
    hour: int = 0,
) -> dict[str, Any]:
    start = datetime.fromisoformat(day).replace(hour=hour)
    p = period or day[:7]
    pstart = datetime.fromisoformat(p + "-01")
    pend = datetime(pstart.year + (pstart.month == 12), pstart.month % 12 + 1, 1)
    return {
        "bill_billing_period_start_date": pstart,
        "bill_billing_period_end_date": pend,
        "bill_billing_entity": entity,
        "bill_payer_account_id": "999988887777",
        "line_item_usage_account_id": account,
        "line_item_usage_start_date": start,
        "line_item_usage_end_date": start,
        "line_item_product_code": product_code,
        "line_item_usage_type": usage_type,
        "line_item_operation": "InvokeModelInference",
        "line_item_line_item_type": item_type,
        "line_item_resource_id": None,
        "line_item_usage_amount": amount,
        "line_item_unblended_cost": cost,
        "line_item_net_unblended_cost": cost if net is None else net,
        "line_item_iam_principal": principal,
        "pricing_unit": unit,
        "product_region_code": None,
        "product": [("product_name", product_name)],
        "resource_tags": list((resource_tags or {}).items()),
        "tags": list((tags or {}).items()),
    }


def write(path: Path, rows: list[dict[str, Any]], schema: pa.Schema = SCHEMA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return path


def export_path(root: Path, period: str, name: str = "part-00001.snappy.parquet") -> Path:
    return root / "cur" / "steward" / "data" / f"BILLING_PERIOD={period}" / name
