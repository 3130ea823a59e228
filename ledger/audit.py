"""The append-only, hash-chained audit log (in the same DuckDB file as everything else).

Each entry's hash is the sha256 of a canonical JSON of all its fields plus the previous entry's
hash; the first entry's previous hash is 64 zeros. `verify` recomputes every link and reports the
first one that is broken (a changed field, a deleted, inserted or reordered entry).

The chain cannot show that entries were cut off the end: keep `AuditVerification.head_hash`
somewhere else (a ticket, a Slack message) to anchor it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from ledger.errors import AuditError
from ledger import audit_anchor as anchor
from ledger import versions
from ledger.store import Store


GENESIS_HASH = "0" * 64

_COLUMNS = 'seq, "at", actor, persona, action, subject, outcome, details, why, prev_hash, hash'


class AuditEntry(BaseModel):
    seq: int
    at: datetime
    actor: str
    persona: str | None = None
    action: str
    subject: str = ""
    outcome: str = "ok"
    details: dict[str, Any] = {}
    why: str | None = None
    prev_hash: str
    hash: str


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH  # hash of the last entry that checked out
    anchored: bool = False  # an anchor beside the store was found and compared
    note: str = ""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace; datetimes and dates as ISO text."""

    def default(o: Any) -> Any:
        if hasattr(o, "isoformat"):
            return o.isoformat()
        if isinstance(o, (set, frozenset, tuple)):
            return list(o)
        if isinstance(o, BaseModel):
            return o.model_dump(mode="json")
        return str(o)

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=default)


def _at_text(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def entry_hash(*, seq: int, at: datetime, actor: str, persona: str | None, action: str,
               subject: str, outcome: str, details_json: str, why: str | None,
               prev_hash: str) -> str:
    """sha256 over the canonical JSON of every field of an entry plus the previous hash."""
    payload = canonical_json({
        "seq": seq,
        "at": _at_text(at),
        "actor": actor,
        "persona": persona,
        "action": action,
        "subject": subject,
        "outcome": outcome,
        "details": details_json,
        "why": why,
        "prev_hash": prev_hash,
    })
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _utc_naive(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if at.tzinfo is not None:
        return at.astimezone(timezone.utc).replace(tzinfo=None)
    return at


def append(
    store: Store,
    *,
    actor: str,
    action: str,
    subject: str = "",
    details: dict | None = None,
    why: str | None = None,
    persona: str | None = None,
    outcome: str = "ok",
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry; joins an outer `store.transaction()` if there is one."""
    if not actor or not action:
        raise ValueError("an audit entry needs an actor and an action")
    at = _utc_naive(at)
    details_json = canonical_json(details or {})
    with store.transaction() as con:
        last = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
        seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS_HASH)
        h = entry_hash(seq=seq, at=at, actor=actor, persona=persona, action=action,
                       subject=subject or "", outcome=outcome, details_json=details_json,
                       why=why, prev_hash=prev)
        con.execute(
            f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, at, actor, persona, action, subject or "", outcome, details_json, why, prev, h],
        )
        # The anchor follows the commit (never ahead of it: a rolled-back entry must not be expected).
        store.after_commit(lambda: anchor.write(store.path, seq, h))
        if topics := versions.topics_of(action, outcome):
            store.changed(*topics)  # the caches' counters move when this commits
    return AuditEntry(seq=seq, at=at, actor=actor, persona=persona, action=action,
                      subject=subject or "", outcome=outcome, details=json.loads(details_json),
                      why=why, prev_hash=prev, hash=h)


def verify(store: Store) -> AuditVerification:
    """Recompute every link; report the first broken one."""
    rows = store.rows(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")
    prev = GENESIS_HASH
    expected_seq = 1
    for seq, at, actor, persona, action, subject, outcome, details, why, prev_hash, h in rows:
        reason = ""
        if seq != expected_seq and expected_seq == 1:
            reason = f"the log starts at entry {seq}, not 1: entries were removed or renumbered"
        elif seq != expected_seq:
            reason = (f"entry {seq} follows entry {expected_seq - 1}: entries are missing or "
                      "were renumbered")
        elif prev_hash != prev:
            reason = (f"entry {seq}'s prev_hash does not match the hash of entry {seq - 1}: "
                      "an entry before it was changed, removed or inserted")
        else:
            recomputed = entry_hash(seq=seq, at=at, actor=actor, persona=persona, action=action,
                                    subject=subject, outcome=outcome, details_json=details,
                                    why=why, prev_hash=prev_hash)
            if recomputed != h:
                reason = f"entry {seq}'s content does not match its hash: it was changed"
        if reason:
            return AuditVerification(ok=False, entries=len(rows), first_broken_seq=seq,
                                     reason=reason, head_hash=prev)
        prev = h
        expected_seq += 1
    return _against_anchor(store, rows, prev)


def _against_anchor(store: Store, rows: list[tuple], head: str) -> AuditVerification:
    """The chain checked out; now compare it with the anchor kept beside the store."""
    kept = anchor.read(store.path)
    if kept is None:
        return AuditVerification(ok=True, entries=len(rows), reason="", head_hash=head, anchored=False,
                                 note="no anchor beside the store yet: entries cut off the end could not be seen")
    where = anchor.anchor_path(store.path)
    if kept.entries < 0:
        return AuditVerification(ok=False, entries=len(rows), reason=f"the anchor {where} is unreadable",
                                 head_hash=head, anchored=True)
    if len(rows) < kept.entries or (kept.entries and rows[kept.entries - 1][-1] != kept.head_hash):
        return AuditVerification(
            ok=False, entries=len(rows), first_broken_seq=min(len(rows), kept.entries) + 1 if kept.entries else None,
            reason=(f"the log has {len(rows)} entries but its anchor ({where}) records {kept.entries} ending in "
                    f"{kept.head_hash[:12]}: entries were removed, or the table was truncated or dropped"),
            head_hash=head, anchored=True)
    note = (f"{len(rows) - kept.entries} entries after the anchor's {kept.entries}" if len(rows) > kept.entries
            else "")
    return AuditVerification(ok=True, entries=len(rows), reason="", head_hash=head, anchored=True, note=note)


def require_intact(store: Store) -> AuditVerification:
    """verify(), raising AuditError when the chain is broken."""
    result = verify(store)
    if not result.ok:
        raise AuditError(
            f"the audit log is broken at entry {result.first_broken_seq}: {result.reason}"
        )
    return result


def _entry(r: tuple) -> AuditEntry:
    seq, at, actor, persona, action, subject, outcome, details, why, prev_hash, h = r
    try:
        parsed = json.loads(details) if details else {}
    except ValueError:
        parsed = {"_unparseable": details}
    if not isinstance(parsed, dict):
        parsed = {"_value": parsed}
    return AuditEntry(seq=seq, at=at, actor=actor, persona=persona, action=action,
                      subject=subject or "", outcome=outcome, details=parsed, why=why,
                      prev_hash=prev_hash, hash=h)


def entries(
    store: Store,
    limit: int | None = 50,
    actor: str | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    """The newest entries first, optionally only one actor's or one action's.
    `action` ending in '.' or '*' matches a prefix ('org.' -> org.apply, org.export ...)."""
    where, params = [], []
    if actor is not None:
        where.append("actor = ?")
        params.append(actor)
    if action is not None:
        if action.endswith(("*", ".")):
            where.append("starts_with(action, ?)")
            params.append(action.rstrip("*"))
        else:
            where.append("action = ?")
            params.append(action)
    sql = f"SELECT {_COLUMNS} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [_entry(r) for r in store.rows(sql, params)]
