"""What a pause can stop for a product reached through profiles or tags on roles it does not claim.

A product claimed by inference profile, resource tag or principal tag often runs on a shared role
(a gateway serving several products). Pausing the role would stop the other products, so the pause
puts a narrower Deny on that role instead: invocation through the product's application inference
profiles, or by sessions carrying its principal tag. It says what that Deny does not stop.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ledger.attribution import ensure_views
from ledger.principals import account_of, principal_type, role_name
from ledger.store import Store
from tools import iam_policy as iam
from tools.display import money


@dataclass
class SharedRolePause:
    """The Deny for one shared role: profile ARNs and principal tags (key, value) it names."""

    principal: str
    profiles: set[str] = field(default_factory=set)
    principal_tags: set[tuple[str, str]] = field(default_factory=set)

    def policy(self) -> dict[str, Any]:
        """Deny model invocation through these profiles, and by sessions with these principal tags."""
        statements: list[dict[str, Any]] = []
        if self.profiles:
            statements.append({"Sid": "StewardPauseProfiles", "Effect": "Deny", "Action": list(iam.PAUSE_ACTIONS),
                               "Resource": sorted(self.profiles)})
        for i, (key, value) in enumerate(sorted(self.principal_tags)):
            statements.append({"Sid": f"StewardPausePrincipalTag{i}", "Effect": "Deny",
                               "Action": list(iam.PAUSE_ACTIONS), "Resource": "*",
                               "Condition": {"StringEquals": {f"aws:PrincipalTag/{key}": value}}})
        return {"Version": "2012-10-17", "Statement": statements}

    def what(self) -> str:
        """How the task title reads: 'through profile …/x' or 'for sessions tagged team=risk'."""
        parts = [f"through application inference profile {p.rsplit('/', 1)[-1]}" for p in sorted(self.profiles)]
        parts += [f"for sessions tagged {k}={v}" for k, v in sorted(self.principal_tags)]
        return " and ".join(parts)


def policy_name(product: str) -> str:
    """The inline policy of a product's pause on a shared role: apart from the role's own pause
    (Steward-Pause), so pausing one product on a role never lifts or replaces another's."""
    return f"{iam.PAUSE_POLICY_NAME}-{re.sub(r'[^A-Za-z0-9+=,.@_-]', '-', product)}"[:128]


def shared_role_pauses(store: Store, product: str,
                       own_roles: set[str]) -> tuple[list[SharedRolePause], list[str], list[str]]:
    """For the spend attributed to `product` by its profile and tag claims: the Deny per role (roles the
    product does not claim itself), the principals no role policy can reach, and what is not covered."""
    ensure_views(store)
    rows = store.rows(
        """SELECT principal, attributed_by, attributed_selector, profile_id, sum(unblended_cost) AS usd
           FROM attributed_daily WHERE product = ? AND attributed_by IN ('inference_profile', 'tag', 'principal_tag')
             AND charge_class = 'usage'
           GROUP BY ALL ORDER BY principal, attributed_by, attributed_selector, profile_id""", [product])
    pauses: dict[str, SharedRolePause] = {}
    skipped: set[str] = set()
    untouchable: dict[tuple[str, str], float] = defaultdict(float)
    for principal, kind, selector, profile, usd in rows:
        if principal in own_roles:
            continue  # the product's own role is paused whole
        if principal_type(principal) != "role":
            skipped.add(principal)
            continue
        pause = pauses.setdefault(principal, SharedRolePause(principal))
        if kind == "principal_tag":
            key, value = selector.split("=", 1)
            pause.principal_tags.add((key, value))
        elif profile:
            pause.profiles.add(profile)
        else:  # a resource tag on a row with no application inference profile: no ARN to deny
            untouchable[(principal, selector)] += usd or 0.0
    ready = [p for p in pauses.values() if p.profiles or p.principal_tags]
    limits = [_limit(p) for p in ready]
    limits += [f"{money(usd)} tagged {selector} on role {role_name(principal) or principal} went through no "
               "application inference profile: an IAM Deny cannot single it out; route those calls through a "
               "tagged profile, or pause the role with its owner's agreement"
               for (principal, selector), usd in sorted(untouchable.items())]
    return ready, sorted(skipped), limits


def _limit(pause: SharedRolePause) -> str:
    """What the narrower Deny on a shared role leaves running."""
    role = role_name(pause.principal) or pause.principal
    left = []
    if pause.profiles:
        left.append("calls it makes to a model directly or through another profile")
    if pause.principal_tags:
        left.append("sessions without the tag")
    return (f"role {role} is shared: only its calls {pause.what()} are denied; {' and '.join(left)} keep "
            "running (they are not this product's spend by its claims), and so do the role's other products")


def shared_role_controls(store: Store, product: str,
                         own_roles: set[str]) -> tuple[list[iam.SharedRoleControl], list[str]]:
    """The per-role Deny a pause of `product` would put on shared roles (exactly pause_product's), and
    what no role policy can reach (tagged spend through no profile, principals that are not roles)."""
    pauses, skipped, limits = shared_role_pauses(store, product, own_roles)
    controls = []
    for pause in pauses:
        role, name, policy = role_name(pause.principal) or pause.principal, policy_name(product), pause.policy()
        controls.append(iam.SharedRoleControl(
            principal=pause.principal, account=account_of(pause.principal) or "", role_name=role,
            reached_through=sorted(pause.profiles) + [f"{k}={v}" for k, v in sorted(pause.principal_tags)],
            policy_name=name, policy=policy,
            command=iam.put_role_policy_command(role, name, policy),
            undo_command=iam.delete_role_policy_command(role, name),
            stops=f"{product}'s model invocation and new batch jobs on role {role} {pause.what()}",
            keeps_running=_limit(pause)))
    said = {c.keeps_running for c in controls}  # each role's own limit is its control's keeps_running
    limits = [x for x in limits if x not in said]
    limits += [f"{p} calls {product} through its profiles or tags but is not an IAM role: no role policy "
               "reaches it" for p in skipped]
    return controls, limits
