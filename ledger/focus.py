"""FOCUS 1.x exports (AWS Data Exports): recognised by their columns, mapped onto Steward's row shape.

Columns from the FOCUS 1.0-1.2 specification (focus.finops.org) and the AWS extension columns of the
Data Exports FOCUS table (x_ServiceCode, x_UsageType, x_Operation, x_IamPrincipal, ...). AWS fills
ConsumedQuantity / ConsumedUnit from the CUR usage amount and pricing unit, BilledCost from the
unblended cost and EffectiveCost after discounts; Marketplace models carry their product name
("... (Amazon Bedrock Edition)") in ServiceName.
"""

from __future__ import annotations

from ledger.cur_columns import TypeCheck, is_map, is_number, is_string, is_time, tag_columns

# Columns only a FOCUS export has; two of them decide.
MARKERS = ("BilledCost", "ChargeCategory", "BillingPeriodStart", "ChargePeriodStart")

REQUIRED: dict[str, tuple[TypeCheck, str]] = {
    "BillingPeriodStart": (is_time, "timestamp"),
    "BillingAccountId": (is_string, "string"),
    "SubAccountId": (is_string, "string"),
    "ChargePeriodStart": (is_time, "timestamp"),
    "ChargeCategory": (is_string, "string"),
    "ServiceName": (is_string, "string"),
    "BilledCost": (is_number, "decimal or double"),
    "ConsumedQuantity": (is_number, "decimal or double"),
    "ConsumedUnit": (is_string, "string"),
    "x_UsageType": (is_string, "string"),
}
OPTIONAL: dict[str, tuple[TypeCheck, str]] = {
    "EffectiveCost": (is_number, "decimal or double"),
    "ChargeClass": (is_string, "string"),
    "InvoiceIssuerName": (is_string, "string"),
    "PublisherName": (is_string, "string"),
    "RegionId": (is_string, "string"),
    "ResourceId": (is_string, "string"),
    "Tags": (is_map, "map<string,string>"),
    "x_ServiceCode": (is_string, "string"),
    "x_Operation": (is_string, "string"),
    "x_IamPrincipal": (is_string, "string"),
}

# Internal column -> the FOCUS column a message should name.
SOURCE_COLUMN = {
    "usage_amount": "ConsumedQuantity",
    "unblended_cost": "BilledCost",
    "net_unblended_cost": "EffectiveCost",
    "usage_start": "ChargePeriodStart",
    "account_id": "SubAccountId",
    "ut": "x_UsageType",
    "billing_period": "BillingPeriodStart",
}

# FOCUS ChargeCategory -> the CUR line item type it corresponds to (Purchase: fees and upfront
# commitments; Adjustment: refunds and corrections after the fact).
_LINE_ITEM_TYPE = """CASE ChargeCategory WHEN 'Usage' THEN 'Usage' WHEN 'Tax' THEN 'Tax' WHEN 'Credit' THEN 'Credit'
    WHEN 'Purchase' THEN 'Fee' WHEN 'Adjustment' THEN 'Refund' ELSE ChargeCategory END"""


def is_focus(columns: set[str]) -> bool:
    return sum(c in columns for c in MARKERS) >= 2 and "line_item_usage_type" not in columns


def projection(cols: set[str]) -> str:
    """SELECT list mapping a FOCUS file onto the internal row shape (same as ledger/cur_columns.py)."""
    def opt(col: str, default: str = "NULL") -> str:
        return col if col in cols else default

    marketplace = ("(coalesce(InvoiceIssuerName, '') ILIKE '%marketplace%' OR x_UsageType LIKE '%-MP:%' "
                   "OR ServiceName LIKE '%(Amazon Bedrock Edition)%')") if "InvoiceIssuerName" in cols else \
        "(x_UsageType LIKE '%-MP:%' OR ServiceName LIKE '%(Amazon Bedrock Edition)%')"
    # First-party Bedrock is ServiceName 'Amazon Bedrock' (x_ServiceCode 'AmazonBedrock...').
    product_code = (f"coalesce(nullif(x_ServiceCode, ''), CASE WHEN NOT {marketplace} AND ServiceName ILIKE "
                    "'%Bedrock%' THEN 'AmazonBedrock' END)") if "x_ServiceCode" in cols else \
        f"CASE WHEN NOT {marketplace} AND ServiceName ILIKE '%Bedrock%' THEN 'AmazonBedrock' END"
    tags = "Tags" if "Tags" in cols else None  # resource tags and iamPrincipal/ tags share one map
    return f"""
        strftime(BillingPeriodStart, '%Y-%m') AS billing_period,
        CAST(BillingPeriodStart AS TIMESTAMP) AS period_start,
        CAST(ChargePeriodStart AS TIMESTAMP) AS usage_start,
        BillingAccountId AS payer_account,
        SubAccountId AS account_id,
        {opt('x_IamPrincipal')} AS principal_raw,
        {_LINE_ITEM_TYPE} AS line_item_type,
        CASE WHEN {marketplace} THEN 'AWS Marketplace' ELSE 'AWS' END AS entity,
        {product_code} AS product_code,
        {opt('x_ServiceCode')} AS servicecode,
        x_UsageType AS ut,
        {opt('x_Operation')} AS operation,
        ServiceName AS product_name,
        ConsumedUnit AS pricing_unit,
        {opt('RegionId')} AS product_region,
        CAST(ConsumedQuantity AS DOUBLE) AS usage_amount,
        CAST(BilledCost AS DOUBLE) AS unblended_cost,
        CAST({opt('EffectiveCost', 'BilledCost')} AS DOUBLE) AS net_unblended_cost,
        {opt('ResourceId')} AS resource_id,
        CAST(NULL AS VARCHAR) AS line_item_id,
        {tag_columns(tags, tags)}
    """
