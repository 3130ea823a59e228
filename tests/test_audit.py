"""The hash-chained audit log: append, verify, and detection of every kind of tampering."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from ledger import audit
from ledger.errors import AuditError
from ledger.store import Store

T0 = datetime(2026, 11, 1, 8, 0, 0)


@pytest.fixture
def log(store: Store) -> Store:
    for i, (actor, action, subject) in enumerate([
        ("lead@example.com", "org.apply", "org.yaml"),
        ("maria@example.com", "claim.add", "arn:aws:iam::111122223333:role/a"),
        ("U0ENG001", "task.done", "t-1"),
        ("lead@example.com", "model.approve", "anthropic.claude-sonnet-4-6"),
        ("lead@example.com", "org.apply", "org.yaml"),
    ]):
        audit.append(store, actor=actor, action=action, subject=subject,
                     details={"n": i, "items": ["b", "a"]}, at=T0 + timedelta(minutes=i),
                     why="because" if i == 3 else None)
    return store


def test_entries_chain_and_hash_over_canonical_json(store: Store) -> None:
    first = audit.append(store, actor="lead@example.com", action="org.apply", subject="org.yaml",
                         details={"b": 2, "a": [1, "x"]}, why="initial", persona="finops_lead",
                         at=datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc))
    second = audit.append(store, actor="system", action="ingest", at=T0)

    payload = json.dumps({
        "seq": 1, "at": "2026-11-01T08:00:00.000000", "actor": "lead@example.com",
        "persona": "finops_lead", "action": "org.apply", "subject": "org.yaml", "outcome": "ok",
        "details": '{"a":[1,"x"],"b":2}', "why": "initial", "prev_hash": "0" * 64,
    }, sort_keys=True, separators=(",", ":"))
    assert first.prev_hash == "0" * 64
    assert first.hash == hashlib.sha256(payload.encode()).hexdigest()
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert store.rows("SELECT seq, details, hash FROM audit_log ORDER BY seq") == [
        (1, '{"a":[1,"x"],"b":2}', first.hash),
        (2, "{}", second.hash),
    ]
    v = audit.verify(store)
    assert (v.ok, v.entries, v.head_hash, v.anchored) == (True, 2, second.hash, True)


def test_an_empty_log_verifies(store: Store) -> None:
    result = audit.verify(store)
    assert (result.ok, result.entries, result.first_broken_seq) == (True, 0, None)


def test_entries_newest_first_with_filters(log: Store) -> None:
    assert [e.seq for e in audit.entries(log)] == [5, 4, 3, 2, 1]
    assert [e.seq for e in audit.entries(log, limit=2)] == [5, 4]
    assert [e.seq for e in audit.entries(log, actor="lead@example.com")] == [5, 4, 1]
    assert [e.seq for e in audit.entries(log, action="org.apply")] == [5, 1]
    assert [e.seq for e in audit.entries(log, action="org.")] == [5, 1]
    e4 = audit.entries(log, action="model.approve")[0]
    assert (e4.actor, e4.subject, e4.why, e4.details, e4.at) == (
        "lead@example.com", "anthropic.claude-sonnet-4-6", "because", {"items": ["b", "a"], "n": 3},
        T0 + timedelta(minutes=3))


def test_append_joins_an_outer_transaction(log: Store) -> None:
    with pytest.raises(RuntimeError):
        with log.transaction():
            audit.append(log, actor="x", action="y")
            raise RuntimeError("abort")
    assert log.scalar("SELECT max(seq) FROM audit_log") == 5
    with log.transaction():
        assert audit.append(log, actor="x", action="y").seq == 6
    assert audit.verify(log).ok


def test_intact_log_verifies(log: Store) -> None:
    result = audit.verify(log)
    assert (result.ok, result.entries, result.first_broken_seq) == (True, 5, None)
    assert result.head_hash == audit.entries(log, limit=1)[0].hash
    assert audit.require_intact(log).ok


@pytest.mark.parametrize(
    ("tamper", "broken", "reason"),
    [
        pytest.param(["UPDATE audit_log SET actor = 'mallory@example.com' WHERE seq = 2"], 2,
                     "content does not match its hash", id="changed-actor"),
        pytest.param(["UPDATE audit_log SET details = '{\"n\":9}' WHERE seq = 3"], 3,
                     "content does not match its hash", id="changed-details"),
        pytest.param(["UPDATE audit_log SET \"at\" = \"at\" + INTERVAL 1 SECOND WHERE seq = 4"], 4,
                     "content does not match its hash", id="changed-time"),
        pytest.param(["UPDATE audit_log SET why = NULL WHERE seq = 4"], 4,
                     "content does not match its hash", id="removed-why"),
        pytest.param(["UPDATE audit_log SET hash = repeat('f', 64) WHERE seq = 2"], 2,
                     "content does not match its hash", id="changed-hash"),
        pytest.param(["DELETE FROM audit_log WHERE seq = 3"], 4,
                     "entry 4 follows entry 2", id="deleted-middle-row"),
        pytest.param(["DELETE FROM audit_log WHERE seq = 1"], 2,
                     "the log starts at entry 2, not 1", id="deleted-first-row"),
        pytest.param([
            "UPDATE audit_log SET seq = 100 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 100",
        ], 2, "prev_hash does not match", id="swapped-rows"),
    ],
)
def test_tampering_is_detected_at_the_first_broken_link(
    log: Store, tamper: list[str], broken: int, reason: str
) -> None:
    for sql in tamper:
        log.con.execute(sql)
    result = audit.verify(log)
    assert result.ok is False
    assert result.first_broken_seq == broken
    assert reason in result.reason
    with pytest.raises(AuditError, match=f"broken at entry {broken}"):
        audit.require_intact(log)


def test_an_inserted_forged_entry_is_detected(log: Store) -> None:
    """Renumber 3..5 to 4..6 and forge a well-hashed entry 3: entry 4 no longer links to it."""
    for seq in (5, 4, 3):
        log.con.execute("UPDATE audit_log SET seq = seq + 1 WHERE seq = ?", [seq])
    prev = log.scalar("SELECT hash FROM audit_log WHERE seq = 2")
    at = T0 + timedelta(minutes=1, seconds=30)
    h = audit.entry_hash(seq=3, at=at, actor="mallory", persona=None, action="model.approve",
                         subject="x", outcome="ok", details_json="{}", why=None, prev_hash=prev)
    log.con.execute(
        "INSERT INTO audit_log VALUES (3, ?, 'mallory', NULL, 'model.approve', 'x', 'ok', '{}', "
        "NULL, ?, ?)", [at, prev, h])
    result = audit.verify(log)
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert result.head_hash == h  # the forged entry itself checks out; its successor does not
