"""What of a question its reading did not account for: words the planner does not know, a grouping the
tools cannot make ('by hour', 'per conversation'), a period that has not happened yet. A plan that leaves
any of them out answers `partial` and names them; a question none of whose words the planner knows is
not placed at all. Never a confident answer to another question."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from agent.grouping import GROUPING_WORDS, TIER_WORDS
from agent.answer import Fact
from agent.date_mentions import unread_in_calls
from agent.plan import Plan
from agent.question import Question
from agent.render_words import day
from agent.spoken_periods import YEAR_AGO_PHRASES
from agent.unit_plans import unit_words
from agent.vocabulary import INSTRUCTION_WORDS, KEYWORDS, MONTHS, PREFIXES, STOP_WORDS, VOCABULARY, canonical

# The families whose answer is a reading of the question (writes carry free text: a reason, a note).
READ_FAMILIES = frozenset({"estimate_status", "breakdown", "unattributed", "drift", "catalog", "spend_card",
                           "anomalies", "recommendations", "quota", "iam_policy", "lifecycle", "cache",
                           "pause_status", "claim_status", "charges", "chargeback", "tag_coverage", "unit_cost"})
# Families that report what has happened: a period after today has no figures.
PAST_FAMILIES = frozenset({"breakdown", "unattributed", "drift", "anomalies", "cache", "charges", "chargeback",
                           "tag_coverage"})
# Words that may follow 'by' / 'per' / 'each' and name a grouping the tools make (or a time or a number).
GROUPABLE = ({w for _, words in GROUPING_WORDS for w in words} | set(TIER_WORDS) | set(MONTHS)
             | {"business", "bu", "token", "tokens", "type", "types", "week", "weekly", "month", "monthly", "weeks",
                "months", "days", "tier", "tiers", "family", "families", "this", "last", "next", "end", "far",
                "cost", "spend", "unit", "units"})
GROUP_CUES = ("by", "per", "each", "every")
SERVICE_WORDS = {"bedrock", "aws", "ai", "genai", "llm"}  # 'by Bedrock spend', 'per AWS account': not the noun
# Phrases read as a whole (a period, a forecast's horizon): their words are accounted for by the phrase.
READ_PHRASES = (*YEAR_AGO_PHRASES, "month end", "end of month", "end of the month", "year end", "end of year",
                "week end", "end of the week", "end of life", "end up", "ended up", "year to date", "month to date",
                "week to date", "prompt caching", "prompt cache")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TOOLS_GROUP_BY = ("product, portfolio, department, business unit, account, region, model, principal, tier, "
                  "token kind, day, week or month, or attribution rule")


@dataclass(frozen=True)
class Coverage:
    """The parts of a question a reading leaves out."""

    unknown_words: list[str] = field(default_factory=list)
    groupings: list[str] = field(default_factory=list)  # 'by hours', 'per conversation'
    known: int = 0  # how many of its words are the planner's keywords
    instructions: bool = False  # an instruction to Steward or an identity claimed in the question

    def not_honoured(self) -> list[str]:
        out = [f"grouping {g} (spend is grouped by {TOOLS_GROUP_BY} only)" for g in self.groupings]
        if self.instructions:
            out.append("instructions or an identity in the question (Steward answers as the signed-in caller, "
                       "within their scope)")
        grouped = {g.split()[-1] for g in self.groupings}
        words = [w for w in self.unknown_words if w not in grouped]
        if words:
            out.append(f"what {', '.join(repr(w) for w in words)} ask{'s' if len(words) == 1 else ''} for "
                       "(not something Steward's figures cover)")
        return out

    @property
    def placed(self) -> bool:
        """Some word of the question is one the planner knows, or nothing of it is unknown."""
        return self.known > 0 or not (self.unknown_words or self.groupings)


def _is_number(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


def _grouped_noun(words: list[str]) -> str | None:
    """The noun a cue groups by: the first word after it that is neither a stop word nor the service's name
    ('by Bedrock spend' groups by spend, 'per AWS account' by account)."""
    return next((w for w in words if w not in STOP_WORDS and w not in SERVICE_WORDS), None)


def coverage(q: Question, passed: frozenset[str] = frozenset()) -> Coverage:
    """The unknown words (neither stop words nor keywords, nor names the reading took out or passed to a
    tool) and the groupings after 'by' / 'per' / 'each' / 'every' that the tools cannot make."""
    text = q.text
    for phrase in READ_PHRASES:
        text = text.replace(f" {phrase} ", " ")
    words = [w for w in text.split() if w not in passed]
    emails = EMAIL.findall(q.raw)
    claimed = bool(emails) or any(w in INSTRUCTION_WORDS for w in words)
    unknown = list(dict.fromkeys(w for w in words if w not in VOCABULARY and w not in INSTRUCTION_WORDS
                                 and not _is_number(w)))
    groupings = []
    for i, word in enumerate(words[:-1]):
        nxt = _grouped_noun(words[i + 1: i + 3])
        if word in GROUP_CUES and nxt is not None and nxt not in GROUPABLE and not _is_number(nxt):
            groupings.append(f"{word} {nxt}")
    known = sum(w in KEYWORDS for w in words)
    return Coverage(unknown_words=unknown, groupings=list(dict.fromkeys(groupings)), known=known,
                    instructions=claimed)


def passed_names(q: Question, chosen: Plan) -> frozenset[str]:
    """The words of names the plan passes to its tools ('github-actions-ci' to principal_claim)."""
    values = " ".join(str(v).lower() for step in chosen.steps for v in step.args.values())
    return frozenset(w for name in q.principal_names if name.lower() in values
                     for w in re.findall(r"[a-z0-9]+", name.lower())) | frozenset(
        w for step in chosen.steps for w in unit_words(step.args))


def unknown_object(q: Question, unknown: list[str]) -> list[str]:
    """What a request asks Steward to make or find, when none of it is known ('recommend a good laptop',
    'draft an email'): the words after its opening verb up to the next stop word. A request for something
    else than Steward's figures is not placed, whatever keyword its verb resembles."""
    words = list(q.words)
    while any(words[: len(p)] == p for p in PREFIXES if words):
        words = words[len(next(p for p in PREFIXES if words[: len(p)] == p)):]
    said = [canonical(w) for w in re.findall(r"[a-z0-9]+", q.raw.lower())]
    opens = len(q.words) - len(words)  # the verb is the question's own first word, after 'please', 'can you'
    if not words or words[0] in STOP_WORDS or words[0] in GROUPABLE or said[opens: opens + 1] != words[:1]:
        return []  # a question ('what ...'), a noun first ('product-wise ...') or a name first ('Checkout looks ...')
    phrase: list[str] = []
    for word in words[1:]:
        if word in STOP_WORDS:
            if phrase:
                break
            continue
        phrase.append(word)
    return phrase if phrase and all(w in unknown for w in phrase) else []


def future_period(q: Question) -> str | None:
    """The period in words when all of it lies after today (no figures exist for it yet)."""
    period = q.period()
    if period.start is None and period.month is None:
        return None
    start, _ = period.bounds(q.ctx.today)
    return period.describe(q.ctx.today) if start > q.ctx.today else None


def checked(q: Question, chosen: Plan, *, follow_up: bool = False) -> Plan:
    """The plan with what it leaves out of the question named (partial), or a reply instead when the
    question asks about the future or none of its words were understood (unplaced; a follow-up is placed
    by the turn before it)."""
    if chosen.family not in READ_FAMILIES or not chosen.steps:
        return chosen
    if chosen.family in PAST_FAMILIES and (later := future_period(q)) is not None:
        through = q.ctx.today - timedelta(days=1)
        return Plan(chosen.family, outcome="unplaced", reply=(
            f"There are no figures for {later} yet: Steward reports spend that has happened, with data "
            f"through {through.day} {through:%b %Y}. For where this month is heading, ask 'are we on track "
            "this month?' (the month-end forecast against the estimate)."))
    found = coverage(q, passed_names(q, chosen))
    if not follow_up and (not found.placed or unknown_object(q, found.unknown_words)):
        return Plan("unknown", outcome="unplaced")
    missing = found.not_honoured() + unowned(q, chosen) + unread_in_calls(q, chosen.steps)
    if missing:
        chosen.not_honoured = [*chosen.not_honoured, *missing]
    return chosen


def unowned(q: Question, chosen: Plan) -> list[str]:
    """A person's products the question names ('Lena's products') that no tool call narrows to."""
    owners = {str(step.args.get("owner", "")).casefold() for step in chosen.steps}
    return [f"{name}'s products (this answer is not narrowed to a person's products)" for name in q.people
            if name.casefold() not in owners]


def uncovered(facts: list[Fact], first_day: date | None = None) -> list[str]:
    """Periods a spend answer covers with no usage data at all (before the store's first day): 'no
    spend' there would be a figure Steward does not have. A period that only starts before that day
    ('Q3', 'year to date' over a store holding three months) is named too: its total is not the
    period's."""
    out = [f"the period {f.result['period']} (Steward's usage data does not reach back that far)"
           for f in facts if f.tool == "spend_breakdown" and f.result is not None
           and f.result.get("data_through") is None and not f.result.get("rows")]
    out += [f"the period {f.result[f'{which}_label']} (Steward's usage data does not reach back that far)"
            for f in facts if f.tool == "compare_spend" and f.result is not None
            for which in ("first", "second") if f.result.get(f"{which}_through") is None]
    return out + _partly_before(facts, first_day) if first_day else out


def _partly_before(facts: list[Fact], first_day: date) -> list[str]:
    """The days of a spend period before the store's first day of usage, once per period."""
    starts = {(f.result["start"], f.result["period"]) for f in facts
              if f.tool == "spend_breakdown" and f.result and f.result.get("rows")}
    starts |= {(f.result[f"{w}_start"], f.result[f"{w}_label"]) for f in facts
               if f.tool == "compare_spend" and f.result for w in ("first", "second")
               if f.result.get(f"{w}_through") is not None}
    gaps = sorted((start, label) for start, label in ((date.fromisoformat(str(s)), x) for s, x in starts)
                  if start < first_day)
    last = first_day - timedelta(days=1)
    return [f"{day(start, year=True)} to {day(last, year=True)} of {label} (Steward's usage data starts on "
            f"{day(first_day, year=True)}; the figures cover the days from then)" for start, label in gaps]
