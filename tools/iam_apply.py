"""How a generated role policy is applied: one inline policy when it fits IAM's quota, otherwise
the same statements compressed or split into managed policies, with the exact aws iam commands."""

from __future__ import annotations

import json
import shlex
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools import iam_statements as st
from tools.errors import ToolError


class PolicyDoc(BaseModel):
    name: str
    kind: Literal["inline", "managed"]
    arn: str | None = Field(None, description="The managed policy's ARN (managed only).")
    chars: int = Field(description="Size as IAM counts it (no whitespace).")
    limit: int = Field(description="IAM's limit for this kind of policy.")
    policy: dict[str, Any]


class ApplyPlan(BaseModel):
    mode: Literal["inline", "managed"]
    compressed: bool = Field(description="Whether model ARNs behind profiles were merged into any-Region ARNs.")
    documents: list[PolicyDoc]
    commands: list[str] = Field(description="The exact commands, in order, run in the role's account.")
    update_commands: list[str] = Field(
        default_factory=list, description="For managed parts that already exist: new default version instead of create-policy.")


def compact(policy: dict[str, Any]) -> str:
    return json.dumps(policy, separators=(",", ":"))


def put_role_policy(role: str, name: str, policy: dict[str, Any]) -> str:
    return " ".join(["aws iam put-role-policy", "--role-name", shlex.quote(role), "--policy-name",
                     shlex.quote(name), "--policy-document", shlex.quote(compact(policy))])


def delete_role_policy(role: str, name: str) -> str:
    return " ".join(["aws iam delete-role-policy", "--role-name", shlex.quote(role), "--policy-name", shlex.quote(name)])


def plan(role: str, account: str, name: str, policy: dict[str, Any], *, reserved: int = 0) -> ApplyPlan:
    """Inline if the policy fits in IAM's inline quota less `reserved` (the other inline policies
    Steward may put on the role, e.g. the pause); else compressed; else managed policies of at most
    6,144 characters each (at most 10 per role). Never returns a document IAM would reject."""
    budget = st.INLINE_LIMIT - reserved
    candidates = [(policy, False), (st.compress(policy, account), True)]
    for doc, compressed in candidates:
        if st.policy_chars(doc) <= budget:
            return ApplyPlan(mode="inline", compressed=compressed, documents=[PolicyDoc(
                name=name, kind="inline", chars=st.policy_chars(doc), limit=budget, policy=doc)],
                commands=[put_role_policy(role, name, doc)])
    parts = st.split(candidates[1][0])
    if len(parts) > st.MANAGED_PER_ROLE or any(st.policy_chars(p) > st.MANAGED_LIMIT for p in parts):
        raise ToolError(f"the policy for role {role} needs {len(parts)} managed policies, more than IAM's "
                        f"{st.MANAGED_PER_ROLE} per role: narrow the Regions or accounts of its approved models")
    docs, commands, updates = [], [], []
    for i, part in enumerate(parts, 1):
        pname = f"{name}-{role}-{i}"[:128]
        arn = f"arn:aws:iam::{account}:policy/{pname}"
        docs.append(PolicyDoc(name=pname, kind="managed", arn=arn, chars=st.policy_chars(part),
                              limit=st.MANAGED_LIMIT, policy=part))
        commands.append(" ".join(["aws iam create-policy", "--policy-name", shlex.quote(pname),
                                  "--policy-document", shlex.quote(compact(part))]))
        commands.append(" ".join(["aws iam attach-role-policy", "--role-name", shlex.quote(role),
                                  "--policy-arn", shlex.quote(arn)]))
        updates.append(" ".join(["aws iam create-policy-version", "--policy-arn", shlex.quote(arn),
                                 "--set-as-default", "--policy-document", shlex.quote(compact(part))]))
    # An inline Steward policy left from before would keep its older grants: remove it.
    commands.append(delete_role_policy(role, name))
    return ApplyPlan(mode="managed", compressed=True, documents=docs, commands=commands, update_commands=updates)


def _list(x: Any) -> list[str]:
    return [x] if isinstance(x, str) else list(x)


def summary_line(stmt: dict[str, Any]) -> str:
    """One line a Cloud Engineer can check a statement against."""
    actions = ", ".join(_list(stmt.get("Action", []))) or "every action except " + ", ".join(_list(stmt["NotAction"]))
    res = _list(stmt.get("Resource", []))
    what = res[0] if len(res) == 1 else f"{len(res)} resources"
    line = f"{stmt['Sid']}: {stmt['Effect']} {actions} on {what}"
    if "bedrock:InvokeModel" in actions:
        line += " (InvokeModel and InvokeModelWithResponseStream also authorise Converse and ConverseStream)"
    for op, tests in (stmt.get("Condition") or {}).items():
        for key, val in tests.items():
            vals = _list(val)
            line += f" when {key} {op} {vals[0] if len(vals) == 1 else f'one of {len(vals)} values'}"
    return line


def summary(policy: dict[str, Any]) -> list[str]:
    return [summary_line(s) for s in policy["Statement"]]


def pretty(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2)
