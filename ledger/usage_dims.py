"""The usage-type dimension: each distinct usage-type key parsed once (in Python) and resolved to
a model id, as a temp table the ingest joins onto the rows."""

from __future__ import annotations

import pyarrow as pa

from ledger import model_names
from ledger.store import Store
from ledger.usage_types import REGION_PREFIXES, TOKEN_KINDS, TOKEN_SCALE, ParsedUsageType, parse

KEY_COLUMNS = ("ut", "product_name", "entity", "pricing_unit", "product_region")
_CUSTOMIZATION = ("customization_training", "customization_storage", "custom_model_import")
_DIM_SCHEMA = pa.schema([
    ("ut", pa.string()), ("product_name", pa.string()), ("entity", pa.string()), ("pricing_unit", pa.string()),
    ("product_region", pa.string()), ("kind", pa.string()), ("modality", pa.string()), ("tier", pa.string()),
    ("routing", pa.string()), ("cache_ttl", pa.string()), ("billing_model", pa.string()),
    ("base_model", pa.string()), ("region", pa.string()), ("token_scale", pa.float64()),
    ("model_id", pa.string()), ("model_family", pa.string()), ("base_model_id", pa.string()),
    ("unknown", pa.bool_()),
])


def _is_marketplace(ut: str, entity: str | None) -> bool:
    return "-MP:" in ut or entity == "AWS Marketplace"


def dim_row(key: tuple, names: model_names.NameIndex) -> dict:
    """Parsed and resolved columns for one (ut, product_name, entity, pricing_unit, product_region)."""
    ut, product_name, entity, unit, product_region = key
    p: ParsedUsageType = parse(ut or "")
    kind = p.kind
    model = p.model
    if _is_marketplace(ut or "", entity):
        model = model_names.clean_billing_name(product_name or "") or None
        if kind in ("input", "output") and model and "embed" in model.lower():
            kind = "embedding"
    base = None
    if p.custom or kind in _CUSTOMIZATION:
        # A custom model is its own entry, linked to its base; never the base model's inference.
        base = model
        label = "customization" if kind in _CUSTOMIZATION else "custom model"
        model = f"{base} ({label})" if base else None
    resolved = names.get(model) if base is None else None
    base_resolved = names.get(base)
    region = REGION_PREFIXES.get(p.region_prefix or "") or (product_region or None) or "unknown"
    scale = TOKEN_SCALE.get((unit or "").strip().lower()) if kind in TOKEN_KINDS else None
    unknown = (p.unknown or region == "unknown" or (kind in TOKEN_KINDS and (scale is None or model is None)))
    return {
        "ut": ut, "product_name": product_name, "entity": entity, "pricing_unit": unit,
        "product_region": product_region, "kind": kind, "modality": p.modality, "tier": p.tier,
        "routing": p.routing, "cache_ttl": p.cache_ttl, "billing_model": model, "base_model": base,
        "region": region, "token_scale": scale,
        "model_id": resolved.model_id if resolved else None, "model_family": resolved.family if resolved else None,
        "base_model_id": base_resolved.model_id if base_resolved else None, "unknown": unknown,
    }


class UsageDims:
    """The growing `ut_dim` temp table of one ingest run: new keys are parsed once each."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.seen: set[tuple] = set()
        self.names = model_names.NameIndex(model_names.effective_names(store))
        store.con.register("ut_dim_empty", pa.Table.from_pylist([], schema=_DIM_SCHEMA))
        store.con.execute("CREATE OR REPLACE TEMP TABLE ut_dim AS SELECT * FROM ut_dim_empty")
        store.con.unregister("ut_dim_empty")

    def add_from(self, keys_sql: str) -> None:
        """Parse the keys `keys_sql` selects (KEY_COLUMNS) that are not in the dimension yet."""
        new = [k for k in self.store.rows(keys_sql) if k not in self.seen]
        if not new:
            return
        self.seen.update(new)
        table = pa.Table.from_pylist([dim_row(k, self.names) for k in new], schema=_DIM_SCHEMA)
        self.store.con.register("ut_dim_new", table)
        try:
            self.store.con.execute("INSERT INTO ut_dim SELECT * FROM ut_dim_new")
        finally:
            self.store.con.unregister("ut_dim_new")

    def unknown_usage_types(self, keys: set[tuple]) -> list[str]:
        """The usage types among these dimension keys (KEY_COLUMNS) that did not parse."""
        rows = self.store.rows(f"SELECT {', '.join(KEY_COLUMNS)} FROM ut_dim WHERE unknown")
        return sorted({r[0] for r in rows if tuple(r) in keys})
