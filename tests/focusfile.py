"""Write small FOCUS 1.x Parquet files for tests, with the full published column list.

Columns: FOCUS 1.0 specification (focus.finops.org, "Columns"), the 1.1 additions, and the AWS
Data Exports FOCUS extension columns (x_CostCategories, x_Discounts, x_Operation, x_ServiceCode,
x_UsageType, and x_IamPrincipal where caller identity is included). Each row is made from a CUR 2.0
line as tests/curfile.py builds it, the way AWS maps one onto the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MAP = pa.map_(pa.string(), pa.string())
TS = pa.timestamp("ms", tz="UTC")
DEC = pa.decimal128(38, 12)
S = pa.string()
SCHEMA = pa.schema([
    # FOCUS 1.0
    ("AvailabilityZone", S), ("BilledCost", DEC), ("BillingAccountId", S), ("BillingAccountName", S),
    ("BillingCurrency", S), ("BillingPeriodEnd", TS), ("BillingPeriodStart", TS), ("ChargeCategory", S),
    ("ChargeClass", S), ("ChargeDescription", S), ("ChargeFrequency", S), ("ChargePeriodEnd", TS),
    ("ChargePeriodStart", TS), ("CommitmentDiscountCategory", S), ("CommitmentDiscountId", S),
    ("CommitmentDiscountName", S), ("CommitmentDiscountStatus", S), ("CommitmentDiscountType", S),
    ("ConsumedQuantity", DEC), ("ConsumedUnit", S), ("ContractedCost", DEC), ("ContractedUnitPrice", DEC),
    ("EffectiveCost", DEC), ("InvoiceIssuerName", S), ("ListCost", DEC), ("ListUnitPrice", DEC),
    ("PricingCategory", S), ("PricingQuantity", DEC), ("PricingUnit", S), ("ProviderName", S),
    ("PublisherName", S), ("RegionId", S), ("RegionName", S), ("ResourceId", S), ("ResourceName", S),
    ("ResourceType", S), ("ServiceCategory", S), ("ServiceName", S), ("SkuId", S), ("SkuPriceId", S),
    ("SubAccountId", S), ("SubAccountName", S), ("Tags", MAP),
    # FOCUS 1.1
    ("ServiceSubcategory", S), ("SkuMeter", S), ("SkuPriceDetails", S),
    # AWS extension columns
    ("x_CostCategories", MAP), ("x_Discounts", MAP), ("x_Operation", S), ("x_ServiceCode", S),
    ("x_UsageType", S), ("x_IamPrincipal", S),
])

_CATEGORY = {"Usage": "Usage", "Tax": "Tax", "Credit": "Credit", "Refund": "Adjustment", "Fee": "Purchase"}


def from_cur(row: dict[str, Any]) -> dict[str, Any]:
    """The FOCUS row AWS would deliver for one CUR 2.0 line (tests/curfile.line)."""
    from decimal import Decimal

    from datetime import timezone

    def utc(t):  # noqa: ANN001, ANN202
        return t.replace(tzinfo=timezone.utc) if t else None

    def dec(x):  # noqa: ANN001, ANN202
        return None if x is None else Decimal(repr(float(x)))

    product_name = dict(row.get("product") or []).get("product_name", "")
    marketplace = row["bill_billing_entity"] == "AWS Marketplace"
    return {
        "AvailabilityZone": None, "BilledCost": dec(row["line_item_unblended_cost"]),
        "BillingAccountId": row["bill_payer_account_id"], "BillingAccountName": "payer",
        "BillingCurrency": "USD", "BillingPeriodEnd": utc(row["bill_billing_period_end_date"]),
        "BillingPeriodStart": utc(row["bill_billing_period_start_date"]),
        "ChargeCategory": _CATEGORY.get(row["line_item_line_item_type"], row["line_item_line_item_type"]),
        "ChargeClass": None, "ChargeDescription": "", "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": utc(row["line_item_usage_end_date"]),
        "ChargePeriodStart": utc(row["line_item_usage_start_date"]),
        "CommitmentDiscountCategory": None, "CommitmentDiscountId": None, "CommitmentDiscountName": None,
        "CommitmentDiscountStatus": None, "CommitmentDiscountType": None,
        "ConsumedQuantity": dec(row["line_item_usage_amount"]), "ConsumedUnit": row["pricing_unit"],
        "ContractedCost": dec(row["line_item_unblended_cost"]), "ContractedUnitPrice": None,
        "EffectiveCost": dec(row["line_item_net_unblended_cost"]),
        "InvoiceIssuerName": "AWS Marketplace" if marketplace else "Amazon Web Services, Inc.",
        "ListCost": dec(row["line_item_unblended_cost"]), "ListUnitPrice": None, "PricingCategory": "Standard",
        "PricingQuantity": dec(row["line_item_usage_amount"]), "PricingUnit": row["pricing_unit"],
        "ProviderName": "AWS", "PublisherName": "Anthropic" if marketplace else "AWS",
        "RegionId": row["product_region_code"], "RegionName": None, "ResourceId": row["line_item_resource_id"],
        "ResourceName": None, "ResourceType": None, "ServiceCategory": "AI and Machine Learning",
        "ServiceName": product_name if marketplace else ("Amazon Bedrock" if (row["line_item_product_code"] or "")
                                                         .startswith("AmazonBedrock") else product_name),
        "SkuId": None, "SkuPriceId": None, "SubAccountId": row["line_item_usage_account_id"],
        "SubAccountName": None, "Tags": list(row.get("resource_tags") or []) + list(row.get("tags") or []),
        "ServiceSubcategory": None, "SkuMeter": None, "SkuPriceDetails": None,
        "x_CostCategories": [], "x_Discounts": [], "x_Operation": row["line_item_operation"],
        "x_ServiceCode": None if marketplace else row["line_item_product_code"],
        "x_UsageType": row["line_item_usage_type"], "x_IamPrincipal": row["line_item_iam_principal"],
    }


def write(path: Path, cur_rows: list[dict[str, Any]], schema: pa.Schema = SCHEMA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    def cell(f: pa.Field, v: Any) -> Any:
        return float(v) if v is not None and pa.types.is_floating(f.type) else v

    rows = [from_cur(r) for r in cur_rows]
    pq.write_table(pa.Table.from_pylist([{f.name: cell(f, r.get(f.name)) for f in schema} for r in rows],
                                        schema=schema), path)
    return path
