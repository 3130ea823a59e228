"""What the write tools share: who may write, and checks of the ids and names they are given."""

from __future__ import annotations

import re


from ledger.store import Store
from tools.errors import ToolError

PRODUCT_OWNER = frozenset({"product_owner"})
FINOPS_LEAD = frozenset({"finops_lead"})
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def not_blank(v: str) -> str:
    """A rationale or reason, stripped; refused when blank."""
    if not v.strip():
        raise ValueError("must not be blank: say why")
    return v.strip()


def next_position(store: Store, table: str) -> int:
    """Where a new row goes in a registry table whose order the org file export keeps."""
    return store.scalar(f"SELECT coalesce(max(position), -1) + 1 FROM {table}")


def next_claim_position(store: Store) -> int:
    """Where a new claim goes in the org file's one claims list (claims by principal and by profile or
    tag share it: positions order the export and break ties of precedence)."""
    return store.scalar("SELECT coalesce(max(position), -1) + 1 FROM (SELECT position FROM claims "
                        "UNION ALL SELECT position FROM selector_claims)")


def check_accounts(store: Store, accounts: list[str]) -> list[str]:
    known = {r[0] for r in store.rows("SELECT account_id FROM accounts")}
    out = []
    for a in accounts:
        a = a.strip()
        if not ACCOUNT_ID.match(a):
            raise ToolError(f"'{a}' is not an AWS account id (12 digits)")
        if a not in known:
            raise ToolError(f"account {a} is not in the registry's accounts")
        if a not in out:
            out.append(a)
    return out


def check_regions(regions: list[str]) -> list[str]:
    out = []
    for r in regions:
        r = r.strip()
        if not REGION_NAME.match(r):
            raise ToolError(f"'{r}' is not an AWS region name such as us-east-1")
        if r not in out:
            out.append(r)
    return out


def catalog_state(store: Store, model_id: str) -> str:
    """approved, restricted, blocked, or unreviewed."""
    return store.scalar("SELECT state FROM model_catalog WHERE model_id = ?", [model_id]) or "unreviewed"
