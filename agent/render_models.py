"""Answers about models: drift from the catalog, the catalog itself, one model's status, access requests,
decisions, and the IAM policy a product's roles get."""

from __future__ import annotations

from typing import Any

from agent.render_words import SCOPE_WORDS, View, day, sentence, usd
from tools.catalog import names_text, plural, where_text


def drift(d: Any, v: View, args: dict) -> str:
    text = d.summary
    if not d.models:
        return text
    if v.persona == "finops_lead":
        text += (" Decide on each model: 'approve <model id> in <account> <region> because ...' or "
                 "'block <model id> because ...'.")
    elif v.persona == "product_owner":
        text += (" Move that traffic to an approved model, or ask for access: "
                 "'request access to <model> for <product> because ...'.")
    else:
        text += " Product Owners can request access; the FinOps Lead decides."
    return text


def catalog(c: Any, v: View, args: dict) -> str:
    lines = [c.summary]
    for e in c.entries[:15]:
        where = where_text(e.accounts, e.other_accounts, e.regions)
        if e.state == "blocked":
            what = "blocked"
        elif e.state == "restricted":
            what = f"restricted to {names_text(e.products, e.other_products, 'product')}, {where}"
        else:
            what = f"approved in {where}"
        decided = f" Decided by {e.decided_by}" + (f" on {day(e.decided_on, year=True)}" if e.decided_on else "") + "." \
            if len(c.entries) <= 3 and e.decided_by else ""  # one model asked about: who decided and when
        lines.append(f"- {e.name}: {what}; {SCOPE_WORDS.get(e.action_scope, e.action_scope)}. {sentence(e.rationale)}"
                     f"{decided}")
    if len(c.entries) > 15:
        lines.append(f"- and {len(c.entries) - 15} more entries.")
    for m in c.unreviewed[:10]:
        if m.usd is not None:
            lines.append(f"- {m.name}: no catalog entry; {usd(m.usd)} in the last 90 days.")
    if c.entries:
        lines.append("Ask 'can I use <model> in <region>' for a yes or no in one account and region.")
    return "\n".join(lines)


def model_status(s: Any, v: View, args: dict) -> str:
    return s.answer


def access_requests(lst: Any, v: View, args: dict) -> str:
    if not lst.count:
        return f"No {lst.status if lst.status != 'all' else ''} access requests.".replace("  ", " ")
    lines = [f"{plural(lst.count, (lst.status + ' ' if lst.status != 'all' else '') + 'access request')}:"]
    for r in lst.requests[:8]:
        where = ", ".join(r.accounts) or "its accounts"
        regions = ", ".join(r.regions) or "any region"
        status = "" if r.status == "open" else f" [{r.status}]"
        lines.append(f"- {r.request_id}{status}: {r.product} asks for {r.model_id} (now {r.current_state}) in "
                     f"{where}, {regions}; by {r.requested_by}: {r.reason}")
    if lst.count > 8:
        lines.append(f"- and {lst.count - 8} more.")
    if v.persona == "finops_lead" and any(r.status == "open" for r in lst.requests):
        lines.append("Decide one with 'approve <model id> in <account> <region> because ... for request <id>'.")
    return "\n".join(lines)


def decide_model(d: Any, v: View, args: dict) -> str:
    text = d.message
    if d.tasks:
        text += " Tasks for the Cloud Engineer: " + ", ".join(t.task_id for t in d.tasks) + "."
    if d.warnings:
        text += " Note: " + "; ".join(d.warnings) + "."
    return text


def iam_policy(p: Any, v: View, args: dict) -> str:
    shared = getattr(p, "shared_roles", [])
    if not p.roles and not shared:
        return f"{p.product} has no claimed IAM roles, so there is no role policy to apply yet." + _limits(p)
    lines = [f"{p.product}: {plural(len(p.roles), 'claimed role')}."]
    for r in p.roles:
        size = (f"{r.largest_document_chars:,} of {r.limit:,} characters" if r.mode == "inline" else
                f"{r.chars:,} characters, split into {len(r.documents)} managed policies of at most {r.limit:,}")
        lines.append(f"- {r.role_name} in account {r.account}: allows "
                     f"{', '.join(v.model(m) for m in r.allowed_models) or 'no models'} on "
                     f"{plural(len(r.paths), 'path')}; {SCOPE_WORDS.get(r.action_scope, r.action_scope)}; {size}.")
        lines += [f"  * {line}" for line in r.summary]
        if r.unapproved_paths:
            lines.append(f"  Refused (in use, not approved): {'; '.join(r.unapproved_paths)}.")
        lines.append("  Apply with:\n  " + "\n  ".join(r.commands))
    lines += _shared_roles(p.product, shared)
    if p.skipped:
        lines.append(f"Not roles (no role policy): {', '.join(p.skipped)}.")
    return "\n".join(lines) + _limits(p)


def _shared_roles(product: str, shared: list[Any]) -> list[str]:
    """Shared roles reach the product through its profiles or tags: no role policy, a narrower Deny."""
    lines = []
    for c in shared:
        lines.append(f"- {c.role_name} in account {c.account} is shared: {product} reaches it through "
                     f"{', '.join(c.reached_through)}, so Steward writes no policy for the whole role. "
                     f"A pause puts {c.policy_name} on it, which stops {c.stops}; {c.keeps_running}.")
        lines.append(f"  Pause command:\n  {c.command}")
    return lines


def _limits(p: Any) -> str:
    limits = getattr(p, "limits", [])
    return ("\nNot covered: " + "; ".join(limits) + ".") if limits else ""
