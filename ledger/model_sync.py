"""Model discovery: bedrock:ListFoundationModels and ListInferenceProfiles in each configured region,
recorded in the store (models with their lifecycle status, and the destination Regions of each
system inference profile).

Discovered models are not catalog entries: a catalog entry needs a FinOps Lead's decision and
rationale. A discovered model with no catalog entry is "unreviewed" and is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from ledger import audit, lifecycle
from ledger import routing as rt
from ledger.store import Store


class SyncResult(BaseModel):
    regions: list[str]
    regions_failed: dict[str, str] = {}  # region -> error message
    discovered: int                      # distinct models listed by the regions that answered
    new: list[str]                       # not seen by any earlier sync
    unreviewed: list[str]                # listed now and without a model_catalog entry
    audit_seq: int
    profiles: int = 0                    # system inference profiles recorded (routing)
    lifecycle: int = 0                   # model x region lifecycle statuses recorded
    profiles_failed: dict[str, str] = {}  # region -> error of ListInferenceProfiles (routes kept)


def _list_region(client: Any) -> list[dict[str, Any]]:
    return list(client.list_foundation_models().get("modelSummaries", []))


def _list_profiles(client: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"typeEquals": "SYSTEM_DEFINED"}
    while True:
        page = client.list_inference_profiles(**kwargs)
        out += page.get("inferenceProfileSummaries", [])
        if not page.get("nextToken"):
            return out
        kwargs["nextToken"] = page["nextToken"]


@dataclass
class _Listing:
    """What the Regions that answered listed: models (with the Regions listing them), raw summaries per
    Region, system profiles per Region, and the Regions that failed."""

    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    listed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    profiles_failed: dict[str, str] = field(default_factory=dict)


def _read_regions(client_factory: Callable[[str], Any], regions: list[str]) -> _Listing:
    got = _Listing()
    for region in regions:
        try:
            summaries = _list_region(client_factory(region))
        except (ClientError, BotoCoreError) as exc:
            got.failed[region] = str(exc)
            continue
        got.listed[region] = summaries
        try:  # the routing of system profiles from this region (a failure keeps the older routes)
            got.profiles[region] = _list_profiles(client_factory(region))
        except (ClientError, BotoCoreError) as exc:
            got.profiles_failed[region] = str(exc)
        for m in summaries:
            if m.get("modelId"):
                info = got.seen.setdefault(m["modelId"], {"provider": m.get("providerName"),
                                                          "name": m.get("modelName"), "regions": set()})
                info["regions"].add(region)
    return got


def _record_models(store: Store, con: Any, got: _Listing, now: datetime) -> list[str]:
    """Upsert discovered_models: a Region that answered replaces its membership, one that failed keeps
    it. Returns the models no earlier sync had seen."""
    answered = set(got.listed)
    existing = {mid: set(regs or []) for mid, regs in store.rows("SELECT model_id, regions FROM discovered_models")}
    for mid, regs in existing.items():
        if mid not in got.seen and sorted(regs - answered) != sorted(regs):
            con.execute("UPDATE discovered_models SET regions = ? WHERE model_id = ?", [sorted(regs - answered), mid])
    for mid, info in sorted(got.seen.items()):
        regs = sorted((existing.get(mid, set()) - answered) | info["regions"])
        if mid in existing:
            con.execute("UPDATE discovered_models SET provider = ?, name = ?, regions = ?, last_seen = ? "
                        "WHERE model_id = ?", [info["provider"], info["name"], regs, now, mid])
        else:
            con.execute("INSERT INTO discovered_models VALUES (?, ?, ?, ?, ?, ?)",
                        [mid, info["provider"], info["name"], regs, now, now])
    return sorted(mid for mid in got.seen if mid not in existing)


def sync_models(store: Store, *, client_factory: Callable[[str], Any], regions: list[str], actor: str,
                now: datetime) -> SyncResult:
    """Call ListFoundationModels in each region (a boto3 `bedrock` client per region from
    `client_factory`), upsert `discovered_models` and audit one `models.sync` entry.

    A region that fails is reported in `regions_failed` and its previous membership is kept; the
    regions that answered replace their membership (a model no longer listed there loses the region).
    """
    store.ensure_schema()  # discovered_models exists even if this module was imported late
    got = _read_regions(client_factory, regions)
    with store.transaction() as con:
        new = _record_models(store, con, got, now)
        recorded = sum(rt.record_routes(store, region, p, now) for region, p in got.profiles.items())
        statuses = sum(lifecycle.record_statuses(store, region, s, now) for region, s in got.listed.items())
        cataloged = {r[0] for r in store.rows("SELECT model_id FROM model_catalog")}
        unreviewed = sorted(mid for mid in got.seen if mid not in cataloged)
        entry = audit.append(
            store, actor=actor, action="models.sync", subject=",".join(regions),
            outcome="error" if regions and not got.listed else "ok", at=now,
            details={"regions": regions, "regions_failed": got.failed, "discovered": len(got.seen),
                     "new": new, "unreviewed": unreviewed, "profiles": recorded, "lifecycle": statuses,
                     "profiles_failed": got.profiles_failed})
    return SyncResult(regions=list(regions), regions_failed=got.failed, discovered=len(got.seen), new=new,
                      unreviewed=unreviewed, audit_seq=entry.seq, profiles=recorded, lifecycle=statuses,
                      profiles_failed=got.profiles_failed)
