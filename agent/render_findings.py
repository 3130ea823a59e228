"""Answers about what needs attention: unattributed spend, spending spikes, ways to save."""

from __future__ import annotations

from typing import Any

from agent.render_words import View, and_more, day, principal_name, times, usd
from tools.catalog import plural


def unattributed(u: Any, v: View, args: dict) -> str:
    lines = [u.summary]
    items = sorted((line for g in u.groups for line in g.lines), key=lambda x: -x.usd)
    for line in items[:5]:
        acct = f"{line.account_name} ({line.account_id})" if line.account_name else line.account_id
        why = {"unclaimed": "unclaimed", "no_principal": "no principal in the CUR",
               "before_claim": f"before its claim on {day(line.claimed_on, year=True)}" if line.claimed_on
               else "before its claim date"}[line.reason]
        top = f", mostly {v.model(line.top_models[0].name)}" if line.top_models else ""
        lines.append(f"- {principal_name(line.principal)} in {acct}: {usd(line.usd)}, {why}{top}.")
    lines += and_more(len(items) - 5)
    first = next((x for x in items if x.reason == "unclaimed" and x.principal_type in ("role", "user")), None)
    if first is not None:
        lines.append(f"The Product Owner whose workload it is claims it: 'claim {first.principal} for <product>'.")
    return "\n".join(lines)


def anomalies(a: Any, v: View, args: dict) -> str:
    if not a.anomalies:
        return (f"No spending spikes in {a.period}: no day stood out from its own recent baseline "
                f"({plural(a.series_checked, a.level + ' series', a.level + ' series')} checked).")
    lines = [f"{plural(len(a.anomalies) + a.more, 'spending spike')} in {a.period}:"]
    for x in a.anomalies[:5]:
        who = principal_name(x.principal) if x.principal else (x.product or "unattributed spend")
        mult = f" ({times(x.multiple_of_baseline)})" if x.multiple_of_baseline else ""
        lines.append(f"- {who} on {day(x.day)}: {usd(x.spend_usd)} against a typical {usd(x.baseline_median_usd)} "
                     f"a day{mult}, mostly {v.model(x.top_model)} ({usd(x.top_model_usd)}).")
    lines += and_more(len(a.anomalies) - min(len(a.anomalies), 5) + a.more)
    lines.append("Check what changed on those days: a release, a batch job, a retry loop.")
    return "\n".join(lines)


def recommendations(r: Any, v: View, args: dict) -> str:
    window = f"the last {r.days_of_data} days of usage" if r.days_of_data else "recent usage"
    if not r.recommendations:
        return f"No savings to recommend from {window}: models, caching and batch use already look right."
    lines = [f"Ways to save, from {window} at list prices as of {r.prices_as_of}:"]
    for x in r.recommendations[:5]:
        m = v.model(x.model)
        what = {
            "right_size": f"move part of the {m} traffic to {v.model(x.target_model)}"
                          + (" (not approved for it yet: request access first)" if x.target_approved is False else ""),
            "batch": f"run work that can wait on {m} as batch inference",
            "cache": f"raise the prompt-cache hit rate on {m} to the healthy level",
            "provisioned_throughput": f"buy provisioned throughput for {m}",
        }[x.kind]
        lines.append(f"- {x.product}: {what}, about {usd(x.monthly_saving_usd)} a month "
                     f"(on {usd(x.basis_monthly_usd)} a month of spend).")
    lines += and_more(len(r.recommendations) - min(len(r.recommendations), 5) + r.more)
    lines.append("Each saving is an estimate under a stated assumption; start with the largest.")
    return "\n".join(lines)
