"""Model discovery: bedrock:ListFoundationModels and ListInferenceProfiles in each configured region,
recorded in the store (models with their lifecycle status, and the destination Regions of each
system inference profile).

Discovered models are not catalog entries: a catalog entry needs a FinOps Lead's decision and
rationale. A discovered model with no catalog entry is "unreviewed" and is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable
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


def sync_models(store: Store, *, client_factory: Callable[[str], Any], regions: list[str], actor: str,
                now: datetime) -> SyncResult:
    """Call ListFoundationModels in each region (a boto3 `bedrock` client per region from
    `client_factory`), upsert `discovered_models` and audit one `models.sync` entry.

    A region that fails is reported in `regions_failed` and its previous membership is kept; the
    regions that answered replace their membership (a model no longer listed there loses the region).
    """
    store.ensure_schema()  # discovered_models exists even if this module was imported late
    seen: dict[str, dict[str, Any]] = {}
    listed: dict[str, list[dict[str, Any]]] = {}
    answered: list[str] = []
    failed: dict[str, str] = {}
    profiles: dict[str, list[dict[str, Any]]] = {}
    profiles_failed: dict[str, str] = {}
    for region in regions:
        try:
            summaries = _list_region(client_factory(region))
        except (ClientError, BotoCoreError) as exc:
            failed[region] = str(exc)
            continue
        answered.append(region)
        listed[region] = summaries
        try:  # the routing of system profiles from this region (a failure keeps the older routes)
            profiles[region] = _list_profiles(client_factory(region))
        except (ClientError, BotoCoreError) as exc:
            profiles_failed[region] = str(exc)
        for m in summaries:
            mid = m.get("modelId")
            if not mid:
                continue
            info = seen.setdefault(mid, {"provider": m.get("providerName"), "name": m.get("modelName"),
                                         "regions": set()})
            info["regions"].add(region)

    with store.transaction() as con:
        existing = {mid: (set(regs or []), first) for mid, regs, first in
                    store.rows("SELECT model_id, regions, first_seen FROM discovered_models")}
        new = sorted(mid for mid in seen if mid not in existing)
        for mid, (regs, _first) in existing.items():
            if mid in seen:
                continue
            kept = sorted(regs - set(answered))
            if kept != sorted(regs):
                con.execute("UPDATE discovered_models SET regions = ? WHERE model_id = ?", [kept, mid])
        for mid, info in sorted(seen.items()):
            regs = sorted((existing.get(mid, (set(), None))[0] - set(answered)) | info["regions"])
            if mid in existing:
                con.execute("UPDATE discovered_models SET provider = ?, name = ?, regions = ?, last_seen = ? "
                            "WHERE model_id = ?", [info["provider"], info["name"], regs, now, mid])
            else:
                con.execute("INSERT INTO discovered_models VALUES (?, ?, ?, ?, ?, ?)",
                            [mid, info["provider"], info["name"], regs, now, now])
        recorded = sum(rt.record_routes(store, region, got, now) for region, got in profiles.items())
        statuses = sum(lifecycle.record_statuses(store, region, got, now) for region, got in listed.items())
        cataloged = {r[0] for r in store.rows("SELECT model_id FROM model_catalog")}
        unreviewed = sorted(mid for mid in seen if mid not in cataloged)
        entry = audit.append(
            store, actor=actor, action="models.sync", subject=",".join(regions),
            outcome="error" if regions and not answered else "ok", at=now,
            details={"regions": regions, "regions_failed": failed, "discovered": len(seen),
                     "new": new, "unreviewed": unreviewed, "profiles": recorded, "lifecycle": statuses,
                     "profiles_failed": profiles_failed})
    return SyncResult(regions=list(regions), regions_failed=failed, discovered=len(seen), new=new,
                      unreviewed=unreviewed, audit_seq=entry.seq, profiles=recorded, lifecycle=statuses,
                      profiles_failed=profiles_failed)
