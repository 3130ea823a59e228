"""Change counters of an open store: numbers that move when a committed transaction changed the
registry or the store's content, so a cache can check that it is current without a query.

Every change is audited (ledger.audit), and the audit entry says what changed: `audit.append` marks
the transaction with the topics of its action, and the counters move once the transaction commits
(never before: a reader that sees the new number must find the new rows). The counters live in the
process that holds the DuckDB file; a process joined to that owner (ledger.owner) marks the owner's
transaction and reads the owner's counters, so a change made from another process moves them too.

They count from 0 when a process first opens the file: they say "changed since you last looked",
not a position in the log, and no cache outlives its process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

STORE = "store"        # anything audited except questions and answers (agent.*): what read results depend on
REGISTRY = "registry"  # who someone is and what they may see or do: people, roles, the hierarchy,
#                        accounts, claims (ledger.registry, tools.caller), MCP grants and tokens
TOPICS = (STORE, REGISTRY)

# Audited actions that change the registry when they succeed. org.apply rewrites people, roles,
# nodes and accounts; the claims tools add claims (a Caller's work accounts); mcp.* are grants and
# tokens. tests/test_versions.py checks that every claims-family write tool is listed here.
REGISTRY_PREFIXES = ("org.", "mcp.")
REGISTRY_ACTIONS = frozenset({"tool.claim_principal", "tool.claim_profile_or_tag", "tool.decide_claim_request"})


def topics_of(action: str, outcome: str = "ok") -> tuple[str, ...]:
    """The topics an audited action changes. Questions and answers change nothing; a refused or
    failed write changed nothing in the registry (its transaction rolled back), but it is in the
    log, and the content version has always moved with every entry but agent.*."""
    if action.startswith("agent."):
        return ()
    if outcome == "ok" and (action.startswith(REGISTRY_PREFIXES) or action in REGISTRY_ACTIONS):
        return (STORE, REGISTRY)
    return (STORE,)


class Versions:
    """The counters of one open database, shared by all its connections in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(TOPICS, 0)

    def get(self, topic: str) -> int:
        return self._counts[topic]  # one dict read: no lock needed to see a whole value

    def bump(self, topics: Iterable[str]) -> None:
        with self._lock:
            for topic in set(topics):
                self._counts[topic] += 1


_BY_FILE: dict[str, Versions] = {}
_BY_FILE_LOCK = threading.Lock()


def of_database(path: Path) -> Versions:
    """The counters of the database at `path`. Two Stores opened on one file in one process share
    DuckDB's instance, so they share these too; each in-memory database has its own."""
    if str(path) == ":memory:":
        return Versions()
    key = str(path.resolve())
    with _BY_FILE_LOCK:
        return _BY_FILE.setdefault(key, Versions())
