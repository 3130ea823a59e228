"""Billing model names -> Bedrock model ids and families (shipped data, extended by the org file)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel

from ledger.store import Store

MARKETPLACE_SUFFIX = " (Amazon Bedrock Edition)"


class ModelName(BaseModel):
    billing_name: str
    model_id: str
    family: str


def clean_billing_name(name: str) -> str:
    return name.replace(MARKETPLACE_SUFFIX, "").strip()


@lru_cache(maxsize=1)
def shipped_names() -> tuple[ModelName, ...]:
    text = resources.files("ledger").joinpath("data/model_names.yaml").read_text()
    doc = yaml.safe_load(text)
    return tuple(ModelName(**n) for n in doc["names"])


def effective_names(store: Store) -> list[ModelName]:
    """Shipped names overlaid with the org file's `model_names` (the org wins)."""
    merged = {clean_billing_name(n.billing_name): n for n in shipped_names()}
    # duckdb_tables(), not information_schema (twice as slow), and no failing query: this may run
    # inside a transaction, which a catalog error would abort.
    has_overrides = store.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'model_name_overrides'")
    overrides = store.rows("SELECT billing_name, model_id, family FROM model_name_overrides ORDER BY position") \
        if has_overrides else []
    for name, model_id, family in overrides:
        merged[clean_billing_name(name)] = ModelName(billing_name=name, model_id=model_id, family=family or "")
    return [
        ModelName(billing_name=k, model_id=v.model_id, family=v.family) for k, v in merged.items()
    ]


def load_into(store: Store) -> None:
    """(Re)create the temp lookup table `model_names` on this connection."""
    rows = [(n.billing_name, n.model_id, n.family) for n in effective_names(store)]
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE model_names "
        "(billing_name VARCHAR PRIMARY KEY, model_id VARCHAR, family VARCHAR)"
    )
    store.con.executemany("INSERT INTO model_names VALUES (?, ?, ?)", rows)


def remap(store: Store) -> int:
    """Re-resolve model ids of stored rows after the mapping changed; returns rows changed."""
    load_into(store)
    with store.transaction() as con:
        changed = 0
        for table in ("bedrock_usage", "usage_daily"):
            n = con.execute(
                f"""UPDATE {table} AS t SET model_id = m.model_id, model_family = m.family
                    FROM (SELECT b.billing_model, n.model_id, n.family FROM
                          (SELECT DISTINCT billing_model FROM {table}) b
                          LEFT JOIN model_names n ON n.billing_name = b.billing_model) m
                    WHERE t.billing_model = m.billing_model
                      AND (t.model_id IS DISTINCT FROM m.model_id
                           OR t.model_family IS DISTINCT FROM m.family)"""
            ).fetchall()
            changed += n[0][0] if n else 0
    return changed
