"""What a caller can ask (examples by the tools their personas may call), and why a tool is not theirs."""

from __future__ import annotations

from ledger.personas import persona_name, persona_names
from tools import toolset
from tools.context import ToolContext

EXAMPLES = [
    ("estimate_status", "Am I within my estimate this month?"),
    ("spend_breakdown", "Which of my products spends most this month?"),
    ("spend_breakdown", "Top 3 models last month"),
    ("quota_status", "Which products are over their estimate?"),
    ("spend_card", "Show last week's spend card for {p}"),
    ("unattributed_spend", "What spend is unattributed?"),
    ("chargeback_statement", "Give me the chargeback for last month by department"),
    ("tag_coverage", "What share of our Bedrock spend is tagged?"),
    ("spend_breakdown", "How is {p} attributed?"),
    ("model_drift", "Are we using any unapproved models?"),
    ("model_catalog", "Which models are approved?"),
    ("model_status", "Can I use Claude Sonnet 4.6 in us-east-1?"),
    ("anomalies", "Any spending spikes this month?"),
    ("recommendations", "How can I save on Bedrock?"),
    ("task_queue", "What do I need to implement?"),
    ("complete_task", "Mark <task id> done, note: <what you did>"),
    ("iam_policy", "What IAM policy does {p} need?"),
    ("model_lifecycle", "Which of our models are legacy or past end of life?"),
    ("claim_principal", "Claim <role ARN> for {p}"),
    ("set_estimate", "Set my estimate for {p} to <amount> for December"),
    ("request_model_access", "Request access to <model> for {p} in us-east-1 because <why>"),
    ("access_requests", "Show open access requests"),
    ("approve_spend_card", "Approve my {p} spend card for last week"),
    ("decide_model", "Approve <model id> in <account> us-east-1 inference only because <why>"),
    ("pause_product", "Pause <product> because <why>"),
    ("my_scope", "Who am I, and what can I see?"),
]


def help_text(ctx: ToolContext, *, intro: bool = True) -> str:
    """What this caller can ask, by the tools their personas may call, with examples."""
    caller = ctx.caller
    names = {t.name for t in toolset.tools_for(ctx)}
    product = (sorted(caller.owned_products) or sorted(caller.products) or ["<product>"])[0]
    lines = [("I couldn't place that question, so I won't guess. " if intro else "")
             + f"As a {persona_names(caller.personas)} you can ask me, for example:"]
    lines += [f"- {text.format(p=product)}" for tool, text in EXAMPLES if tool in names]
    lines.append("Ask in your own words: months ('last month', 'October'), products, models, accounts and "
                 "regions are understood, typos too.")
    return "\n".join(lines)


def not_allowed(ctx: ToolContext, tool_name: str) -> str:
    """Why this caller may not call the tool (another persona's, or an action scope not granted here)."""
    tool = toolset.get(tool_name)
    if tool is not None and tool.personas & ctx.caller.personas and tool.action not in ctx.actions:
        return (f"That is a {tool.action} action, and here (over {ctx.caller.channel}) you have read access only: "
                f"a FinOps Lead can grant the {tool.action} scope with `steward mcp grant`.\n"
                + help_text(ctx, intro=False))
    names = [persona_name(p) for p in sorted(tool.personas)] if tool else ["someone else"]
    who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"That is for a {who}, not a {persona_names(ctx.caller.personas)}.\n" + help_text(ctx, intro=False)
