"""Inference-profile routing: destination Regions per profile family, model and source Region.

The shipped table (ledger/data/routing.yaml, researched from the AWS docs) is the default; routes
recorded by `steward models sync` from ListInferenceProfiles (table `inference_routes`) win over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from ledger import data_files
from ledger.store import Store

GLOBAL = "global"
# Longest first: 'us-gov.' must win over 'us.'.
FAMILIES = ("us-gov", "apac", "global", "us", "eu", "jp", "au", "ca")


@dataclass
class Routing:
    """Routing facts: {family: {model: {source: [destinations]}}} plus family defaults."""

    defaults: dict[str, dict[str, list[str]]]
    models: dict[str, dict[str, dict[str, list[str]]]]
    global_sources: list[str]
    synced: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)  # (family, model, src)

    def families_from(self, source_region: str) -> list[str]:
        """Geographic families whose profiles can be called from this Region (sorted)."""
        return sorted(f for f, table in self.defaults.items() if source_region in table
                      or any(s == source_region for (fam, _m, s) in self.synced if fam == f))

    def has_profile(self, family: str, model_id: str, source_region: str) -> bool:
        """Whether a system profile of this family exists for the model, callable from the Region."""
        if (family, model_id, source_region) in self.synced:
            return True
        if family == GLOBAL:
            return model_id in self.models.get(GLOBAL, {}) and source_region in self.global_sources
        return model_id in self.models.get(family, {}) and source_region in self.defaults.get(family, {})

    def destinations(self, family: str, model_id: str, source_region: str) -> list[str]:
        """Destination Regions of `family.model_id` called from `source_region`: the synced route, else
        the model's researched route, else the family default (global: [''] = the Region-less ARN)."""
        if family == GLOBAL:
            return [""]
        synced = self.synced.get((family, model_id, source_region))
        if synced:
            return sorted(set(synced) | {source_region})
        own = self.models.get(family, {}).get(model_id, {}).get(source_region)
        base = own or self.defaults.get(family, {}).get(source_region) or []
        return sorted(set(base) | {source_region})


def family_of(profile_id: str) -> str | None:
    """'us' for 'us.anthropic...', 'us-gov' for 'us-gov.x', None for a plain model id."""
    return next((f for f in FAMILIES if profile_id.startswith(f + ".")), None)


def model_of(profile_id: str) -> str:
    fam = family_of(profile_id)
    return profile_id[len(fam) + 1:] if fam else profile_id


@cache
def shipped() -> dict[str, Any]:
    """routing.yaml as data (read-only, shared)."""
    return data_files.shipped("routing.yaml")


def _from_file() -> Routing:
    data = shipped()["families"]
    defaults: dict[str, dict[str, list[str]]] = {}
    models: dict[str, dict[str, dict[str, list[str]]]] = {}
    global_sources: list[str] = []
    for fam, spec in data.items():
        if spec["kind"] == "global":
            global_sources = list(spec.get("sources", []))
        else:
            defaults[fam] = {k: list(v) for k, v in (spec.get("default") or {}).items()}
        models[fam] = {m: {k: list(v) for k, v in ((info or {}).get("routes") or {}).items()}
                       for m, info in (spec.get("models") or {}).items()}
    return Routing(defaults=defaults, models=models, global_sources=global_sources)


def load(store: Store | None = None) -> Routing:
    """The routing table: shipped data, overlaid with synced routes from the store when given."""
    routing = _from_file()
    # A store opened before this module was imported has no inference_routes table yet: no syncs.
    if store is not None and store.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'inference_routes'"):
        for src, fam, model, dests in store.rows(
                "SELECT source_region, family, model_id, destinations FROM inference_routes"):
            routing.synced[(fam, model, src)] = [d for d in dests if d]
    return routing


def record_routes(store: Store, source_region: str, profiles: list[dict[str, Any]], now: datetime) -> int:
    """Replace the synced routes of one source Region with ListInferenceProfiles' system profiles;
    returns how many profiles were recorded. Runs inside the caller's transaction."""
    store.con.execute("DELETE FROM inference_routes WHERE source_region = ?", [source_region])
    n = 0
    for p in profiles:
        pid = p.get("inferenceProfileId") or ""
        fam = family_of(pid)
        if p.get("type", "SYSTEM_DEFINED") != "SYSTEM_DEFINED" or fam is None:
            continue
        dests = sorted({_arn_region(m.get("modelArn", "")) for m in p.get("models", [])})
        store.con.execute("INSERT INTO inference_routes VALUES (?, ?, ?, ?, ?, ?)",
                          [source_region, pid, fam, model_of(pid), dests, now])
        n += 1
    return n


def _arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""
