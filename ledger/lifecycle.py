"""Model lifecycle: Active, Legacy (with its EOL date) or EOL, per model and Region, on a given day.

The shipped table (ledger/data/lifecycle.yaml, researched from the Bedrock lifecycle pages and model
cards) is the default; the status `steward models sync` reads from ListFoundationModels
(`modelLifecycle`) per Region wins over it (table `model_lifecycle`). A date past the EOL date makes
a model EOL whatever a status says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Literal


from ledger import data_files
from ledger.attribution import per_snapshot
from ledger.store import Store


Status = Literal["active", "legacy", "eol", "unknown"]


@dataclass(frozen=True)
class Standing:
    model_id: str
    region: str
    status: Status
    eol: date | None
    successor: str | None
    source: str

    def days_to_eol(self, on: date) -> int | None:
        return (self.eol - on).days if self.eol else None


@cache
def shipped() -> dict[str, Any]:
    """lifecycle.yaml as data (read-only, shared)."""
    return data_files.shipped("lifecycle.yaml")


class Lifecycle:
    """Shipped lifecycle data overlaid with synced statuses."""

    def __init__(self, synced: dict[tuple[str, str], tuple[str, date | None]] | None = None) -> None:
        self.models: dict[str, dict[str, Any]] = shipped()["models"]
        self.synced = synced or {}

    def successor(self, model_id: str) -> str | None:
        return (self.models.get(model_id) or {}).get("successor")

    def standing(self, model_id: str, region: str, on: date) -> Standing:
        """The model's status in a Region on a day (EOL once the EOL date is reached)."""
        spec = self.models.get(model_id) or {}
        regional = (spec.get("regions") or {}).get(region) or {}
        status = regional.get("status") or spec.get("status") or "unknown"
        eol = regional.get("eol") or spec.get("eol")
        source = spec.get("source", "not in lifecycle.yaml")
        if (model_id, region) in self.synced:
            status, synced_eol = self.synced[(model_id, region)]
            eol = synced_eol or eol
            source = "ListFoundationModels modelLifecycle (steward models sync)"
        if eol and on >= eol:
            status = "eol"
        elif status == "eol" and eol is None:
            status = "eol"
        return Standing(model_id, region, status, eol, spec.get("successor"), source)

    def is_current(self, model_id: str, regions: list[str], on: date) -> bool:
        """Active in every one of these Regions: a model advice may point at."""
        return all(self.standing(model_id, r, on).status == "active" for r in regions)


def load(store: Store | None = None) -> Lifecycle:
    """The lifecycle table with the store's synced statuses (once per attribution snapshot)."""
    if store is None:
        return _load(None)
    return per_snapshot(store, ("lifecycle",), lambda: _load(store))


def _load(store: Store | None) -> Lifecycle:
    synced: dict[tuple[str, str], tuple[str, date | None]] = {}
    # A store file written before this table existed and opened read-only has none: no syncs.
    if store is not None and store.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'model_lifecycle'"):
        for model, region, status, eol in store.rows("SELECT model_id, region, status, eol_on FROM model_lifecycle"):
            synced[(model, region)] = (status, eol)
    return Lifecycle(synced)


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def record_statuses(store: Store, region: str, summaries: list[dict[str, Any]], now: datetime) -> int:
    """Replace one Region's synced statuses with ListFoundationModels' `modelLifecycle` (status
    ACTIVE | LEGACY, and endOfLifeTime / legacyTime when given). Runs in the caller's transaction."""
    store.con.execute("DELETE FROM model_lifecycle WHERE region = ?", [region])
    n = 0
    for m in summaries:
        life = m.get("modelLifecycle") or {}
        if not m.get("modelId") or not life.get("status"):
            continue
        store.con.execute("INSERT INTO model_lifecycle VALUES (?, ?, ?, ?, ?, ?)",
                          [m["modelId"], region, str(life["status"]).lower(), _day(life.get("legacyTime")),
                           _day(life.get("endOfLifeTime")), now])
        n += 1
    return n


def decision_check(table: Lifecycle, model_id: str, regions: list[str], on: date) -> tuple[list[str], str | None]:
    """(warnings, refusal) for approving a model in these Regions: a Legacy Region is a warning
    with its EOL date; an EOL Region refuses the approval (calls there fail)."""
    warnings: list[str] = []
    dead: list[str] = []
    for region in regions:
        st = table.standing(model_id, region, on)
        if st.status == "eol":
            dead.append(region)
        elif st.status == "legacy":
            when = f" on {st.eol:%Y-%m-%d} ({st.days_to_eol(on)} days)" if st.eol else ""
            move = f"; plan the move to {st.successor}" if st.successor else ""
            warnings.append(f"{model_id} is Legacy in {region} and reaches end of life{when}{move}")
    if not dead:
        return warnings, None
    st = table.standing(model_id, dead[0], on)
    when = f" on {st.eol:%Y-%m-%d}" if st.eol else ""
    move = f" Approve {st.successor} instead" if st.successor else " Approve a current model instead"
    return warnings, (f"{model_id} reached end of life{when} in {', '.join(dead)}: calls to it fail there, so it "
                      f"cannot be approved in {'that Region' if len(dead) == 1 else 'those Regions'}.{move}, or "
                      "leave those Regions out.")
