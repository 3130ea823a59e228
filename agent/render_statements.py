"""Answers for finance: the chargeback statement and tag coverage, in words."""

from __future__ import annotations

from typing import Any

from agent.render_words import View, pct
from agent.render_words import usd as money
from tools.display import month

RULE_WORDS = {"inference_profile": "application inference profile", "tag": "resource tag",
              "principal_tag": "principal tag", "principal": "the principal's own claim"}
MAX_LINES = 12


def _pct(percent: float | None) -> str:
    """The tool's percent (0-100) in words."""
    return pct(None if percent is None else percent / 100)


def chargeback(s: Any, v: View, args: dict) -> str:
    """The statement's lines, largest first, the unattributed line and the total; the file commands."""
    by = s.by.replace("_", " ")
    title = f"Chargeback for {month(s.period)} by {by}" + (" (restated: the month's CUR was delivered again)"
                                                    if s.restated else "")
    if not s.lines:
        return f"{title}: no Bedrock charges {'' if s.complete else 'in your scope '}that month."
    lines = [f"{title}: total {money(s.total.total_usd)} (usage {money(s.total.usage_usd)}, net "
             f"{money(s.total.usage_net_usd)}; credits {money(s.total.credits_usd)}, refunds "
             f"{money(s.total.refunds_usd)}, taxes {money(s.total.taxes_usd)})."]
    for ln in s.lines[:MAX_LINES]:
        name = "unattributed spend" if ln.node == "(unattributed)" else ln.node
        if ln.account_name:
            name += f" ({ln.account_name})"
        lines.append(f"- {name}: {money(ln.total_usd)} (usage {money(ln.usage_usd)})")
    if len(s.lines) > MAX_LINES:
        lines.append(f"- and {len(s.lines) - MAX_LINES} more lines")
    lines.append("It adds up to the month's CUR total for Bedrock." if s.complete else
                 "Your part of the organisation only, with the unattributed spend of the accounts you own.")
    lines.append(f"As a file: `steward report chargeback --month {s.period} --by {s.by} --format csv|parquet|html`.")
    return "\n".join(lines)


def tag_coverage(c: Any, v: View, args: dict) -> str:
    """The tagged and attributed shares, in total and per account, the rules, and the tag keys present."""
    t = c.total
    if not t.usd:
        return f"No Bedrock usage in {c.period} to measure tag coverage on."
    lines = [f"Tag coverage, {c.period}: {_pct(t.tagged_pct)} of {money(t.usd)} is tagged (profile, resource "
             f"tag or principal tag: {money(t.tagged_usd)}); {_pct(t.attributed_pct)} is attributed to a product "
             f"({money(t.attributed_usd)})."]
    if t.by_rule:
        lines.append("Attributed by: " + ", ".join(f"{RULE_WORDS.get(r, r)} {money(usd)}"
                                                   for r, usd in sorted(t.by_rule.items(), key=lambda x: -x[1])) + ".")
    for a in c.accounts:
        lines.append(f"- {a.account_id}{f' ({a.account_name})' if a.account_name else ''}: {money(a.usd)}, "
                     f"{_pct(a.tagged_pct)} tagged, {_pct(a.attributed_pct)} attributed")
    if c.tag_keys:
        lines.append("Tag keys present: " + ", ".join(f"{k.key} ({money(k.usd)})" for k in c.tag_keys[:8]) + ".")
    return "\n".join(lines)
