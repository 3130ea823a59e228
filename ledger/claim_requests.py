"""Claim requests: claims a Product Owner may not make directly, kept until a FinOps Lead decides."""

from __future__ import annotations

from datetime import date, datetime

from ledger.store import Store

def open_request(store: Store, *, at: datetime, requested_by: str, principal: str, product: str,
                 reason: str | None, claimed_on: date, kind: str = "principal") -> str:
    """Record an open request (`principal` holds what a claim of `kind` names); its id."""
    n = store.scalar("SELECT count(*) FROM claim_requests") + 1
    request_id = f"CR-{n:04d}"
    store.con.execute("INSERT INTO claim_requests (request_id, created_at, requested_by, principal, product, reason, "
                      "claimed_on, status, kind) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                      [request_id, at, requested_by, principal, product, reason, claimed_on, kind])
    return request_id


def rule(kind: str | None, selector: str) -> str:
    """How a request's claim reads: the principal ARN, or 'tag bedrock:project=fraud'."""
    return selector if kind in (None, "principal") else f"{kind.replace('_', ' ')} {selector}"


def decide(store: Store, request_id: str, *, status: str, by: str, at: datetime, note: str) -> None:
    store.con.execute("UPDATE claim_requests SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? "
                      "WHERE request_id = ?", [status, by, at, note, request_id])


def pending_text(store: Store) -> str:
    """The open requests as YAML comments, for the end of `steward org export` (they are not part of
    the org file: a FinOps Lead decides them with `steward claims approve|reject`)."""
    rows = store.rows("SELECT request_id, principal, kind, product, requested_by, claimed_on, reason "
                      "FROM claim_requests WHERE status = 'open' ORDER BY request_id")
    if not rows:
        return ""
    lines = ["# Pending claim requests (not part of the org file; a FinOps Lead decides them with",
             "# `steward claims approve ID --rationale ...` or `steward claims reject ID --rationale ...`):"]
    for rid, principal, kind, product, by, on, reason in rows:
        why = " ".join((reason or "").split())
        lines.append(f"#   {rid}: {rule(kind, principal)} for {product}, from {on}, asked by {by}" + (f": {why}" if why else ""))
    return "\n".join(lines) + "\n"
