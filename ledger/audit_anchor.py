"""The audit chain's anchor outside the table it protects: the entry count and head hash, in a file beside
the store (`<store>.audit-head`), rewritten after every commit that appends to the log.

With it, `audit verify` notices entries cut off the end, a truncated table or a dropped one, which the
hash chain alone cannot show. It does not stop someone who can write both the store and this file;
a deployment that needs that keeps a copy elsewhere (the nightly digest, a KMS-signed object)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel

SUFFIX = ".audit-head"


class Anchor(BaseModel):
    entries: int
    head_hash: str


def anchor_path(store_path: Path) -> Path | None:
    """Where the anchor of a store file lives (None for an in-memory store)."""
    if str(store_path) == ":memory:":
        return None
    return store_path.with_name(store_path.name + SUFFIX)


def write(store_path: Path, entries: int, head_hash: str) -> None:
    """Replace the anchor atomically (a reader sees the old one or the new one)."""
    path = anchor_path(store_path)
    if path is None:
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"entries": entries, "head_hash": head_hash}) + "\n")
    os.replace(tmp, path)


def read(store_path: Path) -> Anchor | None:
    """The anchor, or None when there is none (a store from before anchors, or in memory)."""
    path = anchor_path(store_path)
    if path is None or not path.exists():
        return None
    try:
        return Anchor.model_validate_json(path.read_text())
    except ValueError:
        return Anchor(entries=-1, head_hash="unreadable")
