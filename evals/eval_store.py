"""The eval store: the demo generated, ingested and its org applied once, cached by source hash."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

from evals import EVAL_AS_OF, EVAL_SEED

BASE_DB = "base.duckdb"


def _source_key(as_of: date, seed: int) -> str:
    """Changes when the demo, ingest or registry code changes: the cached store is then rebuilt."""
    root = Path(__file__).parents[1]
    h = hashlib.sha256(f"{as_of}|{seed}".encode())
    for path in sorted([*root.glob("ledger/*.py"), *root.glob("ledger/data/*.yaml"), *root.glob("demo/*.py")]):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_store(work_dir: Path, as_of: date = EVAL_AS_OF, seed: int = EVAL_SEED) -> Path:
    """Generate the demo, ingest it and apply its org into work_dir/base.duckdb (closed, checkpointed)."""
    from ledger import model_names, org_apply, org_parse
    from demo.generate import generate
    from ledger.ingest import ingest
    from ledger.store import Store
    from demo.volumes import RECORDED_BY
    from tools.caller import resolve_caller
    from tools.context import ToolContext
    from tools.volumes import import_volumes_file

    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / BASE_DB
    tmp = work_dir / "building.duckdb"
    tmp.unlink(missing_ok=True)
    result = generate(work_dir / "demo", as_of=as_of, seed=seed)
    at = datetime.combine(as_of, dtime(6, 0))
    store = Store(tmp)
    try:
        ingest(store, [str(result.export_root)], actor="evals", now=at)
        org_apply.apply_org(store, org_parse.load_org_file(result.org_file), actor="evals", now=at,
                           why="eval world")
        model_names.remap(store)
        if result.volumes_file is not None:
            ctx = ToolContext(store=store, caller=resolve_caller(store, RECORDED_BY), today=as_of, clock=at)
            import_volumes_file(ctx, result.volumes_file)
        store.con.execute("CHECKPOINT")
    finally:
        store.close()
    tmp.replace(db)
    return db


def cached_store(as_of: date = EVAL_AS_OF, seed: int = EVAL_SEED, cache_root: Path | None = None) -> Path:
    """The base store under the temp dir, rebuilt only when the ledger code or data change. Built
    in a private folder and moved into place, so concurrent runs never see a half-built store."""
    root = cache_root or Path(tempfile.gettempdir()) / "steward-evals"
    work = root / _source_key(as_of, seed)
    db = work / BASE_DB
    if not db.exists():
        work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=work, prefix="build-") as tmp:
            built = build_store(Path(tmp), as_of, seed)
            os.replace(built, db)
    return db
