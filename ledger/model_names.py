"""Billing model names -> Bedrock model ids and families (shipped data, extended by the org file)."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel

from ledger import data_files
from ledger.attribution import per_snapshot
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
    return tuple(ModelName(**n) for n in data_files.shipped("model_names.yaml")["names"])


# The version tail of a Bedrock model id: '-v1:0', '-v2:0', '-1:0' (gpt-oss), '-v1' (no minor).
_ID_VERSION = re.compile(r"-v?\d+(:\d+)?$")


@lru_cache(maxsize=1)
def shipped_families() -> dict[str, dict[str, str]]:
    """family -> {'rightsize': how} or {'why_not': reason} (ledger/data/model_names.yaml)."""
    return dict(data_files.shipped("model_names.yaml").get("families") or {})


def id_base(model_id: str) -> str:
    """'qwen.qwen3-32b-v1:0' -> 'qwen.qwen3-32b': how mantle usage types spell the model."""
    return _ID_VERSION.sub("", model_id)


class NameIndex:
    """Billing name -> ModelName: exact billing names first, then (for the mantle endpoint, whose
    usage types embed a model id) a model id or its version-less form, matched exactly."""

    def __init__(self, names: list[ModelName]) -> None:
        self.by_name = {n.billing_name: n for n in names}
        self.by_id: dict[str, ModelName] = {}
        for n in names:
            for key in (n.model_id, id_base(n.model_id)):
                self.by_id.setdefault(key, n)

    def get(self, name: str | None) -> ModelName | None:
        if not name:
            return None
        hit = self.by_name.get(name)
        if hit is None and "." in name:
            hit = self.by_id.get(name) or self.by_id.get(name.lower())
        return hit


def effective_names(store: Store) -> list[ModelName]:
    """Shipped names overlaid with the org file's `model_names` (the org wins; once per snapshot)."""
    return list(per_snapshot(store, ("effective_names",), lambda: tuple(_effective_names(store))))


def _effective_names(store: Store) -> list[ModelName]:
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
    """(Re)create the temp lookup table `model_names` on this connection; mantle spellings (model
    ids) of the billing names already stored are added so a remap resolves them too."""
    names = effective_names(store)
    index = NameIndex(names)
    rows = [(n.billing_name, n.model_id, n.family) for n in names]
    listed = {r[0] for r in rows}
    stored = [r[0] for r in store.rows("SELECT DISTINCT billing_model FROM bedrock_usage WHERE billing_model LIKE '%.%'")]
    for name in stored:
        hit = index.get(name)
        if name not in listed and hit is not None:
            rows.append((name, hit.model_id, hit.family))
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


def unmapped_in_store(store: Store) -> list[tuple[str, int, float]]:
    """Billing names the stored CUR rows carry that the map lacks: (name, line items, usage cost),
    largest cost first. Custom models and customization carry their base model instead."""
    return [(r[0], int(r[1]), float(r[2] or 0)) for r in store.rows(
        """SELECT billing_model, sum(line_items), sum(unblended_cost) FILTER (WHERE charge_class = 'usage')
           FROM usage_daily WHERE billing_model IS NOT NULL AND model_id IS NULL
             AND NOT (billing_model LIKE '%(custom model)' OR billing_model LIKE '%(customization)')
           GROUP BY 1 ORDER BY 3 DESC NULLS LAST, 1""")]
