"""CUR 2.0 columns: which are required, their types, and the projection onto Steward's row shape."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

TypeCheck = Callable[[pa.DataType], bool]


def is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        pa.types.is_dictionary(t) and is_string(t.value_type)
    ) or pa.types.is_string_view(t)


def is_number(t: pa.DataType) -> bool:
    return pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_integer(t)


def is_time(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t) or pa.types.is_date(t)


def is_map(t: pa.DataType) -> bool:
    return pa.types.is_map(t)


# column -> (type check, what the check expects); required columns must be present.
REQUIRED: dict[str, tuple[TypeCheck, str]] = {
    "bill_billing_period_start_date": (is_time, "timestamp"),
    "bill_payer_account_id": (is_string, "string"),
    "bill_billing_entity": (is_string, "string"),
    "line_item_usage_account_id": (is_string, "string"),
    "line_item_usage_start_date": (is_time, "timestamp"),
    "line_item_product_code": (is_string, "string"),
    "line_item_usage_type": (is_string, "string"),
    "line_item_line_item_type": (is_string, "string"),
    "line_item_usage_amount": (is_number, "double"),
    "line_item_unblended_cost": (is_number, "double"),
    "pricing_unit": (is_string, "string"),
}
OPTIONAL: dict[str, tuple[TypeCheck, str]] = {
    "identity_line_item_id": (is_string, "string"),
    "line_item_iam_principal": (is_string, "string"),
    "line_item_net_unblended_cost": (is_number, "double"),
    "line_item_operation": (is_string, "string"),
    "line_item_resource_id": (is_string, "string"),
    "product_region_code": (is_string, "string"),
    "product_servicecode": (is_string, "string"),
    "product": (is_map, "map<string,string>"),
    "resource_tags": (is_map, "map<string,string>"),
    "tags": (is_map, "map<string,string>"),
}

# The source column each internal column comes from, for messages that name a column.
SOURCE_COLUMN = {
    "usage_amount": "line_item_usage_amount",
    "unblended_cost": "line_item_unblended_cost",
    "net_unblended_cost": "line_item_net_unblended_cost",
    "usage_start": "line_item_usage_start_date",
    "account_id": "line_item_usage_account_id",
    "ut": "line_item_usage_type",
    "billing_period": "bill_billing_period_start_date",
}

# tags['iamPrincipal/<key>'] -> principal_tags['<key>'], applied once per distinct tag set.
PRINCIPAL_TAGS_SQL = (
    "map_from_entries(list_transform(list_filter(map_entries({m}), "
    "lambda e: starts_with(e.key, 'iamPrincipal/')), lambda e: {{'key': substr(e.key, 14), 'value': e.value}}))"
)


def tag_columns(resource_tags: str | None, tags: str | None) -> str:
    """The raw tag maps and their hash (NULL when the row has no tags). Rows carry only the hash;
    the maps are kept once per distinct set (usage_tag_sets), so they are not re-written per row."""
    rt = f"CAST({resource_tags} AS MAP(VARCHAR, VARCHAR))" if resource_tags else "CAST(NULL AS MAP(VARCHAR, VARCHAR))"
    tg = f"CAST({tags} AS MAP(VARCHAR, VARCHAR))" if tags else "CAST(NULL AS MAP(VARCHAR, VARCHAR))"
    present = " + ".join(f"cardinality(coalesce({c}, MAP {{}}))" for c in (resource_tags, tags) if c) or "0"
    return (f"{rt} AS rt_raw, {tg} AS tags_raw,\n"
            f"        CASE WHEN {present} > 0 THEN hash({resource_tags or 'NULL'}, {tags or 'NULL'}) END AS tag_set")


def projection(cols: set[str]) -> str:
    """SELECT list mapping a CUR 2.0 file onto the internal row shape (see ledger/row_checks.py)."""
    def opt(col: str, expr: str | None = None, default: str = "NULL") -> str:
        return (expr or col) if col in cols else default

    # The product map is only read where the product code does not already say Bedrock: the
    # Marketplace model name and the NULL-product-code check need it, first-party rows do not.
    product_name = ("CASE WHEN coalesce(line_item_product_code, '') NOT LIKE 'AmazonBedrock%' "
                    "THEN product['product_name'] END") if "product" in cols else "NULL"
    return f"""
        strftime(bill_billing_period_start_date, '%Y-%m') AS billing_period,
        CAST(bill_billing_period_start_date AS TIMESTAMP) AS period_start,
        CAST(line_item_usage_start_date AS TIMESTAMP) AS usage_start,
        bill_payer_account_id AS payer_account,
        line_item_usage_account_id AS account_id,
        {opt('line_item_iam_principal')} AS principal_raw,
        line_item_line_item_type AS line_item_type,
        bill_billing_entity AS entity,
        line_item_product_code AS product_code,
        {opt('product_servicecode')} AS servicecode,
        line_item_usage_type AS ut,
        {opt('line_item_operation')} AS operation,
        {product_name} AS product_name,
        pricing_unit,
        {opt('product_region_code')} AS product_region,
        CAST(line_item_usage_amount AS DOUBLE) AS usage_amount,
        CAST(line_item_unblended_cost AS DOUBLE) AS unblended_cost,
        CAST({opt('line_item_net_unblended_cost', default='line_item_unblended_cost')} AS DOUBLE)
            AS net_unblended_cost,
        {opt('line_item_resource_id')} AS resource_id,
        {opt('identity_line_item_id')} AS line_item_id,
        {tag_columns('resource_tags' if 'resource_tags' in cols else None, 'tags' if 'tags' in cols else None)}
    """
