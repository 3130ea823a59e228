"""The embedded offline planner: a deterministic question -> tool calls -> rendered answer.

    answer(ctx, question) -> Answer        plan(ctx, question) -> Plan (what it would call)

No model and no network. It reads the question into a family and parameters, calls the tools
through the one registry (`toolset.call`, so scope, persona checks and write auditing are the
registry's), and renders the results with agent.render. Identity and scope come from `ctx` only:
nothing in the question changes who is asking.

Reading a question
- Words are matched exactly, then, for typos, to the planner's keyword vocabulary with rapidfuzz
  ('withn my estimte' -> 'within my estimate').
- Product, portfolio, department and account names are matched (fuzzily, 'Chekout') against the
  names the caller can see only. A capitalised name that matches none of them ('HR Portal' asked
  by another product's owner) is passed to the tool as written, so the tool answers with its scope
  error, which is the same for a name that exists and one that does not.
- Models: ids (anthropic.claude-opus-4-6-v1), billing names (Claude4.6Opus) and readable names
  ('Claude Opus 4.6', 'opus 4.6', 'Sonnet', 'llama 3 70b'); a version that matches no known model
  ('Opus 4.7') is passed on as written, never rounded to a neighbour.
- Periods: 'this month', 'last month', month names ('November', 'Nov 2026': for questions, the
  latest such month up to now; for estimates being set, the next), '2026-10', days ('2 November',
  'Nov 12th', 2026-11-12; 'since 1 Nov', 'between 1 Nov and Nov 10th', 'the week of 2 November'),
  'this week', 'last week', 'last 7 days', 'yesterday', 'this year'. Top N ('top 3', 'five
  biggest'). Accounts (12 digits or names), regions (us-east-1, 'virginia', 'oregon'), role ARNs,
  task and request ids, amounts ($1,500, 2k USD), token estimates ('5M output tokens') and the
  reason after 'because' / 'note:'.
- Writes need their parameters in the question (a product only when the caller owns exactly one;
  a reason where the tool requires one; accounts and regions for an approval): otherwise the
  planner asks for them and writes nothing.
- A question it cannot place gets the list of what this caller can ask, with examples.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from agent import render
from agent.answer import Answer, Fact
from ledger.model_names import effective_names
from ledger.store import Store
from tools import toolset
from tools.catalog import model_labels
from tools.context import ToolContext
from tools.errors import ToolError
from tools.periods import next_month, prev_month

log = logging.getLogger(__name__)

FAMILIES = ("estimate_status", "breakdown", "unattributed", "drift", "catalog", "spend_card", "anomalies",
            "recommendations", "quota", "tasks", "claims", "set_estimate", "access_requests",
            "model_decisions", "pause", "iam_policy", "scope", "unknown")

# ------------------------------------------------------------------------------ vocabulary

STOP = {"a", "an", "the", "i", "im", "me", "my", "mine", "myself", "we", "our", "ours", "us", "you", "your",
        "yours", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "have",
        "has", "had", "having", "to", "of", "in", "on", "for", "by", "per", "with", "at", "from", "and", "or",
        "but", "not", "no", "what", "whats", "which", "who", "whom", "whose", "how", "hows", "why", "when",
        "where", "there", "here", "it", "its", "this", "that", "these", "those", "than", "then", "as", "about",
        "into", "over", "under", "vs", "versus", "up", "down", "out", "off", "any", "all", "each", "every",
        "some", "much", "many", "more", "most", "less", "least", "please", "could", "would", "should", "can",
        "will", "shall", "may", "might", "must", "just", "only", "also", "too", "very", "so", "if", "else",
        "let", "lets", "tell", "show", "give", "list", "get", "see", "find", "look", "check", "want", "need",
        "like", "know", "kindly", "hey", "hi", "hello", "thanks", "thank", "ok", "okay", "now", "right",
        "currently", "via", "across", "against", "since", "until", "during", "between", "both", "either",
        "their", "they", "them", "he", "she", "his", "her"}

ESTIMATE = {"estimate", "estimates", "estimated", "budget", "budgets", "track", "tracking", "within", "forecast",
            "forecasts", "forecasted", "overrun", "headroom", "exceed", "exceeding", "exceeded", "overspend",
            "overspending", "overspent", "projected", "projection", "pace", "target"}
SOFT_STATUS = {"doing", "status", "standing", "overview", "summary", "going"}
QUOTA = {"quota", "quotas"}
BREAKDOWN = {"spend", "spends", "spending", "spent", "cost", "costs", "costing", "bill", "billed", "charges",
             "expensive", "top", "biggest", "largest", "highest", "breakdown", "usage", "consume", "consumed",
             "consumption", "total", "money", "dollars", "most", "priciest", "costliest", "tokens", "token"}
UNATTRIBUTED = {"unattributed", "unallocated", "unclaimed", "unowned", "orphaned", "orphan", "untracked",
                "untagged"}
DRIFT = {"unapproved", "drift", "drifting", "noncompliant", "compliance", "unauthorized", "unauthorised",
         "unsanctioned", "shadow", "violation", "violations", "rogue"}
CATALOG = {"catalog", "catalogue", "approved", "allowed", "permitted", "blocked", "restricted", "unreviewed",
           "available", "unmapped"}
CARD = {"card", "cards", "scorecard"}
ANOMALY = {"spike", "spikes", "spiking", "spiked", "anomaly", "anomalies", "anomalous", "unusual", "surge",
           "surges", "surged", "jump", "jumps", "jumped", "outlier", "outliers", "abnormal", "sudden",
           "suddenly", "weird", "strange", "unexpected"}
SAVINGS = {"save", "saving", "savings", "cheaper", "reduce", "reducing", "cut", "cutting", "optimize",
           "optimise", "optimizing", "optimising", "optimization", "optimisation", "recommend",
           "recommendation", "recommendations", "efficient", "efficiency", "waste", "trim"}
TASKS = {"task", "tasks", "todo", "queue", "implement", "implementation"}
IAM = {"iam", "policy", "policies"}
USE_WORDS = {"using", "used", "use", "uses", "running", "invoking", "invoked", "calling", "called"}
SET_VERBS = {"set", "change", "update", "raise", "increase", "decrease", "lower", "adjust", "make", "put", "bump"}
DECIDE_VERBS = {"approve": "approved", "allow": "approved", "unblock": "approved", "permit": "approved",
                "enable": "approved", "block": "blocked", "ban": "blocked", "deny": "blocked",
                "reject": "blocked", "forbid": "blocked", "disable": "blocked", "restrict": "restricted"}
PAUSE_VERBS = {"pause", "stop", "halt", "freeze", "suspend"}
RESUME_VERBS = {"resume", "unpause", "restart", "unfreeze"}
DONE_WORDS = {"done", "complete", "completed", "finished", "mark", "close", "closed", "did", "implemented",
              "applied", "ran"}
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
NUMBER_WORDS = {w: i for i, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"))}
OTHER = {"product", "products", "portfolio", "portfolios", "department", "departments", "dept", "business",
         "unit", "units", "model", "models", "principal", "principals", "role", "roles", "user", "users",
         "identity", "identities", "account", "accounts", "region", "regions", "kind", "kinds", "type", "types",
         "input", "output", "daily", "trend", "week", "weekly", "month", "monthly", "day", "workload",
         "workloads", "team", "teams", "application", "applications", "claim", "claims", "claimed",
         "request", "requests", "requested", "access", "permission", "help", "scope", "ask", "examples",
         "this", "last", "previous", "prior", "current", "past", "next", "yesterday", "today", "year", "ytd",
         "mtd", "far", "agentic", "inference", "read", "write", "everywhere", "reason", "rationale", "note",
         "command", "commands", "apply", "use", "using", "used", "invoking", "invoked", "running", "calling",
         "owner", "owns", "attributed", "attribution", "virginia", "oregon", "ohio", "ireland", "frankfurt",
         "london", "paris", "tokyo", "sydney", "singapore", "mumbai", "canada", "stockholm", "seoul",
         "california", "sign", "assign", "nobody", "noone", "never", "days", "weeks", "months", "years",
         "hours", "claiming", "uses", "shouldnt"}
KEYWORDS = (ESTIMATE | SOFT_STATUS | QUOTA | BREAKDOWN | UNATTRIBUTED | DRIFT | CATALOG | CARD | ANOMALY | SAVINGS
            | TASKS | IAM | SET_VERBS | set(DECIDE_VERBS) | PAUSE_VERBS | RESUME_VERBS | DONE_WORDS | set(MONTHS)
            | set(NUMBER_WORDS) | OTHER)
VOCAB = STOP | KEYWORDS
_KEYWORD_LIST = sorted(KEYWORDS)
# Capitalised words that are never the name of something to look up.
NOT_NAMES = {"i", "finops", "aws", "bedrock", "steward", "agent", "bill", "cur", "iam", "mcp", "usd", "ok", "hi",
             "hey", "hello", "please", "thanks", "lead", "leads", "owner", "manager", "cloud", "engineer", "admin",
             "administrator", "ceo", "cfo", "cto", "sql", "json", "yes", "api", "llm", "ai", "genai", "q1", "q2",
             "q3", "q4", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "select",
             "drop", "table", "delete", "insert", "union", "truncate", "alter", "exec", "ignore", "system",
             "assistant", "instructions", "instruction", "prompt", "developer", "root", "sudo", "everyone",
             "everything", "company", "org", "organisation", "organization", "jan", "feb", "mar", "apr", "jun",
             "jul", "aug", "sep", "sept", "oct", "nov", "dec", "am", "pm", "utc", "eu", "us", "uk", "arn",
             "anthropic", "amazon", "meta", "openai", "mistral", "cohere", "ai21", "deepseek", "also", "really",
             "forget", "pretend", "act", "override", "new", "previous", "above", "true", "false", "null"}
REGION_ALIASES = {"n. virginia": "us-east-1", "northern virginia": "us-east-1", "virginia": "us-east-1",
                  "us east": "us-east-1", "ohio": "us-east-2", "oregon": "us-west-2", "us west": "us-west-2",
                  "california": "us-west-1", "ireland": "eu-west-1", "london": "eu-west-2", "paris": "eu-west-3",
                  "frankfurt": "eu-central-1", "stockholm": "eu-north-1", "tokyo": "ap-northeast-1",
                  "seoul": "ap-northeast-2", "singapore": "ap-southeast-1", "sydney": "ap-southeast-2",
                  "mumbai": "ap-south-1", "canada": "ca-central-1", "sao paulo": "sa-east-1"}
PREFIXES = [p.split() for p in ("please", "ok", "okay", "now", "so", "hey", "hi", "kindly", "then", "and",
                                "can you", "could you", "would you", "will you", "i want to", "i would like to",
                                "i d like to", "id like to", "i'd like to", "lets", "let's", "let us",
                                "go ahead and", "i need to", "we need to", "we want to", "help me", "steward",
                                "bill", "agent bill")]

_ARN = re.compile(r"\barn:aws[\w-]*:(?:iam|sts)::\d{12}:[\w+=,.@/\-]+", re.IGNORECASE)
_MODEL_ID = re.compile(r"(?<![\w.])(?:(?:us|eu|apac|global|jp|au|ca)\.)?(?:anthropic|meta|amazon|mistral|cohere|ai21|"
                       r"deepseek|openai|qwen|writer|google|nvidia|minimax|moonshot|twelvelabs|stability|luma)"
                       r"\.[\w.\-:]*\w", re.IGNORECASE)
_TASK = re.compile(r"\bT-\d{3,}\b", re.IGNORECASE)
_REQUEST = re.compile(r"\bAR-\d{3,}\b", re.IGNORECASE)
_ACCOUNT = re.compile(r"(?<![\w:])\d{12}(?![\w:])")
_REGION = re.compile(r"\b(?:us|eu|ap|ca|sa|me|af|il|mx)(?:-gov)?-(?:north|south|east|west|central|northeast|"
                     r"southeast|northwest|southwest)-\d\b", re.IGNORECASE)
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_ISO_MONTH = re.compile(r"\b(\d{4})-(\d{2})\b(?!-\d)")
_REASON = re.compile(r"(?:\bbecause\b|\breason(?:\s+is)?\s*[:\-]|\brationale\s*[:\-]?|\bwhy\s*:|\bdue to\b|"
                     r"\bso that\b|\bnote\s*[:\-]|\bwith (?:the )?note\b)\s*(.+)$", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9&+]*(?:['’.\-][A-Za-z0-9&+]+)*")
_MONEY = re.compile(r"(?:\$|\busd\s?)\s*(\d[\d,]*(?:\.\d+)?)\s*(k|m)?\b|\b(\d[\d,]*(?:\.\d+)?)\s*(k|m)?\s*"
                    r"(?:usd|dollars|bucks)\b", re.IGNORECASE)
_TO_AMOUNT = re.compile(r"(?:\bto|\bat|\bof|\bbe|=)\s*(\d[\d,]*(?:\.\d+)?)\s*(k|m)?(?![\w.%-])(?!\s*(?:input|output|"
                        r"tokens?|%|percent|days?))", re.IGNORECASE)
_TOKEN_EST = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(k|m|b)?\s*(input|output)(?:\s+tokens?)?", re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9}


# ------------------------------------------------------------------------------ plan


@dataclass
class Step:
    tool: str
    args: dict[str, Any]


@dataclass
class Plan:
    family: str
    steps: list[Step] = field(default_factory=list)
    reply: str | None = None  # text without any tool call: help, or a question back
    note: str | None = None   # a line after the rendered results


@dataclass
class Period:
    month: str | None = None  # YYYY-MM
    start: date | None = None
    end: date | None = None   # exclusive
    week: date | None = None  # a day in the wanted Mon-Sun week

    def args(self) -> dict[str, Any]:
        if self.start is not None:
            return {"start": self.start, "end": self.end}
        return {"month": self.month} if self.month else {}


@dataclass
class ModelRef:
    text: str
    model_id: str | None = None
    options: list[str] = field(default_factory=list)  # candidates when ambiguous
    related: list[str] = field(default_factory=list)  # known models sharing a word, when unknown

    @property
    def ambiguous(self) -> bool:
        return self.model_id is None and len(self.options) > 1


# ------------------------------------------------------------------------------ store lookups


@dataclass
class _ModelIndex:
    aliases: list[tuple[frozenset[str], frozenset[str], str]]  # required words, numbers, model id
    words: frozenset[str]
    anchors: list[str]
    known: frozenset[str]
    labels: dict[str, str]


_GENERIC_MODEL_WORDS = {"claude", "b", "v", "g", "instruct", "amazon", "anthropic", "meta", "edition", "bedrock",
                        "model", "text", "chat", "openai", "us", "eu"}
_NON_ANCHORS = {"pro", "lite", "micro", "premier", "text", "instruct", "large", "small", "mini", "medium",
                "edition", "vision", "chat", "express", "plus", "turbo", "embeddings", "embedding", "v"}
_index_lock = threading.Lock()
_index_cache: dict[tuple, _ModelIndex] = {}


def _mtokens(text: str) -> list[str]:
    """'Claude4.6Opus' -> [claude, 4, 6, opus]; 'NovaPro' -> [nova, pro]; 'Llama3-70B' -> [llama, 3, 70, b]."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z]+|\d+", text.lower())


def _model_index(store: Store) -> _ModelIndex:
    """Model names and ids the planner recognises, cached per store file until an ingest, a new catalog
    entry or a model-name change."""
    # Registry DDL creates both tables with the store; ingest and model decisions change the rest.
    key = (str(store.path), *store.rows(
        """SELECT (SELECT max(ingested_at) FROM ingested_periods), (SELECT count(*) FROM model_catalog),
                  (SELECT count(*) || '/' || coalesce(max(position), -1) FROM model_name_overrides)""")[0])
    with _index_lock:
        cached = _index_cache.get(key)
    if cached is not None:
        return cached
    labels = model_labels(store)
    names = [(n.billing_name, n.model_id) for n in effective_names(store)]
    catalog = [r[0] for r in store.rows("SELECT model_id FROM model_catalog")]
    used = [r[0] for r in store.rows("SELECT DISTINCT model_id FROM usage_daily WHERE model_id IS NOT NULL")]
    aliases: list[tuple[frozenset[str], frozenset[str], str]] = []
    every: set[str] = set()
    for text, mid in [*names, *labels.items(), *((m, m) for m in catalog + used)]:
        toks = _mtokens(text.split(".", 1)[-1] if text == mid else text)
        words = {t for t in toks if t.isalpha()}
        every |= words
        aliases.append((frozenset(words - _GENERIC_MODEL_WORDS), frozenset(t for t in toks if t.isdigit()), mid))
    anchors = sorted(w for w in every if (len(w) >= 4 or w in ("gpt", "oss")) and w not in _NON_ANCHORS
                     and w not in KEYWORDS and w not in STOP)
    index = _ModelIndex(aliases=aliases, words=frozenset(every), anchors=anchors,
                        known=frozenset(catalog) | frozenset(used), labels=labels)
    with _index_lock:
        if len(_index_cache) > 32:
            _index_cache.clear()
        _index_cache[key] = index
    return index


def _visible_nodes(ctx: ToolContext) -> list[tuple[str, str]]:
    rows = ctx.store.rows("SELECT name, kind FROM org_nodes ORDER BY name")
    c = ctx.caller
    # Cloud Engineers implement for every product (task queue, IAM policies): they may name any.
    everything = c.all_access or c.has("cloud_engineer")
    return [(n, k) for n, k in rows if everything or n in c.nodes or n in c.products]


def _visible_accounts(ctx: ToolContext) -> list[tuple[str, str]]:
    c = ctx.caller
    rows = ctx.store.rows("SELECT account_id, name FROM accounts WHERE name IS NOT NULL ORDER BY account_id")
    return [(a, n) for a, n in rows if c.sees_account(a) or c.has("cloud_engineer")]


# ------------------------------------------------------------------------------ reading the question


@lru_cache(maxsize=8192)
def canonical(word: str) -> str:
    """The keyword a typo stands for ('estimte' -> 'estimate'); known words and short words as they are."""
    if word in VOCAB or len(word) < 4 or not word.isalpha():
        return word
    cutoff = 85 if len(word) == 4 or len(word) >= 8 else 80
    found = process.extractOne(word, _KEYWORD_LIST, scorer=fuzz.ratio, score_cutoff=cutoff)
    return found[0] if found else word


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


@dataclass
class Question:
    raw: str
    ctx: ToolContext
    reason: str | None = None
    arns: list[str] = field(default_factory=list)
    model_ids: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    portfolios: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    unknown_names: list[str] = field(default_factory=list)
    models: list[ModelRef] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    amount_text: str = ""
    index: _ModelIndex | None = None

    # -- helpers over the canonical words

    @property
    def text(self) -> str:
        return " " + " ".join(self.words) + " "

    @property
    def wordset(self) -> set[str]:
        return set(self.words)

    def has(self, *groups: Iterable[str]) -> bool:
        ws = self.wordset
        return any(ws & set([g] if isinstance(g, str) else g) for g in groups)

    def phrase(self, *phrases: str) -> bool:
        t = self.text
        return any(f" {p} " in t for p in phrases)

    @property
    def verb(self) -> str | None:
        """The imperative verb the question starts with, after 'please', 'can you' and the like."""
        ws = list(self.words)
        changed = True
        while changed and ws:
            changed = False
            for p in PREFIXES:
                if ws[: len(p)] == p:
                    ws = ws[len(p):]
                    changed = True
        return ws[0] if ws else None

    @property
    def first(self) -> str | None:
        return self.words[0] if self.words else None

    @property
    def model(self) -> ModelRef | None:
        if self.model_ids:
            return ModelRef(text=self.model_ids[0], model_id=self.model_ids[0])
        return self.models[0] if self.models else None

    @property
    def name_targets(self) -> list[str]:
        """Products named (visible ones, else names passed through for the tool's scope check)."""
        return self.products or self.unknown_names

    # -- parameters

    def period(self, *, future: bool = False) -> Period:
        return _period(self, self.ctx.today, future=future)

    def top(self) -> int | None:
        m = re.search(r"\btop (\w+)\b", self.text) or re.search(
            r"\b(\w+) (?:biggest|largest|most|highest|priciest|costliest|top|leading|main)\b", self.text)
        if m:
            n = _number(m.group(1))
            if n and 1 <= n <= 100:
                return n
        return None

    def amount(self) -> float | None:
        text = self.amount_text
        m = _MONEY.search(text)
        if m:
            num, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        else:
            m = _TO_AMOUNT.search(text)
            if not m:
                return None
            num, unit = m.group(1), m.group(2)
        return float(num.replace(",", "")) * _SCALE.get((unit or "").lower(), 1.0)

    def token_estimates(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in _TOKEN_EST.finditer(self.amount_text):
            out[f"{m.group(3).lower()}_tokens"] = int(float(m.group(1).replace(",", ""))
                                                      * _SCALE.get((m.group(2) or "").lower(), 1.0))
        return out


def read(ctx: ToolContext, question: str) -> Question:
    """Parse the question: ids, names, models, periods and the canonical words for classifying."""
    q = Question(raw=question, ctx=ctx)
    rest = question
    m = _REASON.search(rest)
    if m and m.group(1).strip():
        q.reason = m.group(1).strip().strip("\"'").strip()
        rest = rest[: m.start()]
    for pattern, target in ((_ARN, q.arns), (_MODEL_ID, q.model_ids), (_TASK, q.task_ids),
                            (_REQUEST, q.request_ids), (_REGION, q.regions)):
        for hit in pattern.finditer(rest):
            value = hit.group(0)
            target.append(value.upper() if pattern in (_TASK, _REQUEST) else
                          value.lower() if pattern is _REGION else value.rstrip(".,;"))
            rest = _blank(rest, hit.start(), hit.end())
    q.amount_text = rest
    for hit in _ISO_DAY.finditer(rest):
        try:
            q.days.append(date(int(hit.group(1)), int(hit.group(2)), int(hit.group(3))))
        except ValueError:
            continue
        rest = _blank(rest, hit.start(), hit.end())
    for hit in _ISO_MONTH.finditer(rest):
        rest = _blank(rest, hit.start(), hit.end())
    for hit in _ACCOUNT.finditer(rest):
        q.accounts.append(hit.group(0))
        rest = _blank(rest, hit.start(), hit.end())
    lowered = rest.lower()
    for alias, region in sorted(REGION_ALIASES.items(), key=lambda kv: -len(kv[0])):
        for hit in re.finditer(rf"\b{re.escape(alias)}\b(?![\s-]*\d)", lowered):
            if region not in q.regions:
                q.regions.append(region)
            rest = _blank(rest, hit.start(), hit.end())
            lowered = rest.lower()
    rest = _names(q, rest)
    q.index = _model_index(ctx.store)
    rest = _models(q, rest)
    rest = _unknown_names(q, rest)
    words = []
    for w in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", rest.lower().replace("’", "'")):
        if w.endswith("'s"):
            w = w[:-2]
        elif w.endswith(("n't", "'d", "'m", "'re", "'ll", "'ve")):
            w = w.replace("'", "")
        words.append(canonical(w))
    q.words = words
    return q


def _names(q: Question, rest: str) -> str:
    """Match visible products, portfolios, departments and accounts (fuzzily) and blank them out."""
    ctx = q.ctx
    nodes = _visible_nodes(ctx)
    accounts = _visible_accounts(ctx)
    options: dict[str, tuple[str, str]] = {n.casefold(): (n, k) for n, k in nodes}
    for account_id, name in accounts:
        options.setdefault(name.casefold(), (account_id, "account"))
    if not options:
        return rest
    keys = list(options)
    toks = [(m.start(), m.end(), re.sub(r"['’]s$", "", m.group(0))) for m in _WORD.finditer(rest)]
    found: list[tuple[float, int, int, int, str]] = []
    for n in range(1, 5):
        for i in range(len(toks) - n + 1):
            gram = " ".join(t[2] for t in toks[i: i + n])
            low = gram.casefold()
            for key, score, _ in process.extract(low, keys, scorer=fuzz.ratio, limit=3, score_cutoff=85):
                words = len(key.split())
                if abs(words - n) > 1:
                    continue
                if (len(key) <= 4 or low in VOCAB) and low != key:
                    continue
                if len(key) <= 4 and low in VOCAB and gram != options[key][0]:
                    continue
                found.append((score, n, toks[i][0], toks[i + n - 1][1], key))
    taken: list[tuple[int, int]] = []
    for score, n, start, end, key in sorted(found, key=lambda f: (-f[0], -f[1], f[2])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        name, kind = options[key]
        target = {"product": q.products, "portfolio": q.portfolios, "department": q.departments,
                  "account": q.accounts}.get(kind)
        if target is not None and name not in target:
            target.append(name)
        rest = _blank(rest, start, end)
    return rest


def _models(q: Question, rest: str) -> str:
    """Find model mentions ('Claude Opus 4.6', 'sonnet', 'llama 3 70b') and blank them out."""
    index = q.index
    assert index is not None
    # Billing-style names are one word: 'NovaMicro' splits at the case change, 'novamicro' where both
    # halves are model words.
    toks = [t for m in re.finditer(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+(?:\.\d+)*", rest)
            for t in _compound(index, m.start(), m.group(0))]

    def word(t: str) -> str | None:
        low = t.lower()
        if low in index.words:
            return low
        if t.isalpha() and len(low) >= 4 and low not in VOCAB:
            hit = process.extractOne(low, index.anchors, scorer=fuzz.ratio, score_cutoff=85 if len(low) <= 4 else 80)
            if hit:
                return hit[0]
        return None

    i = 0
    while i < len(toks):
        w = word(toks[i][2])
        if w is None or (w not in index.anchors and w != "claude"):
            i += 1
            continue
        start = i
        while start > 0 and (toks[start - 1][2][0].isdigit() or word(toks[start - 1][2]) == "claude") \
                and i - start < 2 and rest[toks[start - 1][1]: toks[start][0]].strip() in ("", "-"):
            start -= 1
        end = i + 1
        while end < len(toks) and rest[toks[end - 1][1]: toks[end][0]].strip() in ("", "-") and (
                toks[end][2][0].isdigit() or word(toks[end][2]) is not None):
            end += 1
        window = toks[start:end]
        ws = {x for t in window if (x := word(t[2])) and t[2].isalpha()}
        nums = {n for t in window if t[2][0].isdigit() for n in t[2].split(".")}
        text = rest[window[0][0]: window[-1][1]]
        q.models.append(_resolve(index, ws, nums, text))
        rest = _blank(rest, window[0][0], window[-1][1])
        i = end
    return rest


def _compound(index: _ModelIndex, start: int, tok: str) -> list[tuple[int, int, str]]:
    """The token, or its two halves when it is two model words run together ('novapro')."""
    low = tok.lower()
    if tok.isalpha() and len(low) >= 7 and low not in index.words:
        for cut in range(3, len(low) - 2):
            if low[:cut] in index.words and low[cut:] in index.words:
                return [(start, start + cut, tok[:cut]), (start + cut, start + len(tok), tok[cut:])]
    return [(start, start + len(tok), tok)]


def _resolve(index: _ModelIndex, ws: set[str], nums: set[str], text: str) -> ModelRef:
    best: dict[str, tuple] = {}
    for req, anums, mid in index.aliases:
        if not req or not req <= ws or not nums <= anums:
            continue
        rank = (anums == nums, mid in index.known, -len(anums - nums), -len(req))
        if mid not in best or rank > best[mid]:
            best[mid] = rank
    if best:
        top = max(best.values())
        winners = sorted(m for m, r in best.items() if r == top)
        if len(winners) == 1:
            return ModelRef(text=text, model_id=winners[0])
        return ModelRef(text=text, options=winners)
    related = sorted({mid for req, _, mid in index.aliases if mid in index.known
                      and (req & ws or ("claude" in ws and mid.startswith("anthropic.")))})
    return ModelRef(text=text, related=related)


def _unknown_names(q: Question, rest: str) -> str:
    """Capitalised names matching nothing the caller can see: passed on for the tool's scope check."""
    run: list[tuple[int, int, str]] = []
    runs: list[list[tuple[int, int, str]]] = []
    for m in _WORD.finditer(rest):
        tok = re.sub(r"['’]s$", "", m.group(0))
        gap = rest[run[-1][1]: m.start()] if run else ""
        ok = (tok[:1].isupper() and tok.casefold() not in VOCAB and tok.casefold() not in NOT_NAMES
              and not tok.isdigit() and tok.casefold() not in MONTHS)
        if ok and (not run or gap.strip() in ("", "&", "-")):
            run.append((m.start(), m.start() + len(tok), tok))
            continue
        if run:
            runs.append(run)
        run = [(m.start(), m.start() + len(tok), tok)] if ok else []
    if run:
        runs.append(run)
    for r in runs:
        before = rest[: r[0][0]].rstrip()
        initial = not before or before[-1] in ".?!:;"
        if initial and len(r) == 1 and not any(ch.isupper() or ch.isdigit() for ch in r[0][2][1:]):
            continue  # 'Compare ...', 'Payroll?' at a sentence start: an ordinary capitalised word
        q.unknown_names.append(rest[r[0][0]: r[-1][1]])
        rest = _blank(rest, r[0][0], r[-1][1])
    return rest


_MONTH_ABBR = {m[:3]: i for i, m in enumerate(MONTHS, start=1)} | {"sept": 9}


def _month_of(name: str) -> int | None:
    if name in MONTHS:
        return MONTHS.index(name) + 1
    return _MONTH_ABBR.get(name)


_MONTH_WORD = "(" + "|".join([*MONTHS, "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept", "sep", "oct", "nov",
                               "dec"]) + ")"
_SPOKEN_DAY = re.compile(rf"(?<= )(?:(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_MONTH_WORD}|{_MONTH_WORD} "
                         r"(\d{1,2})(?:st|nd|rd|th)?)(?: (\d{4}))?(?= )")


def _spoken_days(text: str, today: date, *, future: bool) -> list[date]:
    """'2 November', 'Nov 2nd', 'the 2nd of November 2026' in the canonical text."""
    out = []
    for m in _SPOKEN_DAY.finditer(text):
        day_text, month_text = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        month = _month_of(month_text)
        if month is None:
            continue
        year = int(m.group(5)) if m.group(5) else today.year
        try:
            d = date(year, month, int(day_text))
            if not m.group(5) and not future and d > today:
                d = d.replace(year=year - 1)
            elif not m.group(5) and future and d < today:
                d = d.replace(year=year + 1)
        except ValueError:
            continue
        out.append(d)
    return out


def _period(q: Question, today: date, *, future: bool) -> Period:
    t = q.text
    this_month = today.replace(day=1)
    monday = today - timedelta(days=today.weekday())
    m = re.search(r" (this|current|last|previous|prior|past|next) (month|week|year) ", t)
    kind = m.group(2) if m else None
    which = m.group(1) if m else None
    n_days = re.search(r" (?:last|past|previous) (\w+) days? ", t)
    if n_days and _number(n_days.group(1)):
        n = _number(n_days.group(1)) or 7
        return Period(start=today - timedelta(days=n), end=today)
    if q.phrase("yesterday"):
        return Period(start=today - timedelta(days=1), end=today, week=today - timedelta(days=1))
    if kind == "week" or q.phrase("week to date"):
        if which in ("last", "previous", "prior") and not q.phrase("past week"):
            start = monday - timedelta(days=7)
        elif which == "past":
            return Period(start=today - timedelta(days=7), end=today, week=today - timedelta(days=7))
        else:
            start = monday
        return Period(start=start, end=start + timedelta(days=7), week=start)
    if kind == "year" or q.phrase("year to date", "ytd"):
        if which in ("last", "previous", "prior"):
            return Period(start=date(today.year - 1, 1, 1), end=date(today.year, 1, 1))
        return Period(start=date(today.year, 1, 1), end=today + timedelta(days=1))
    if kind == "month":
        if which in ("last", "previous", "prior", "past"):
            return Period(month=f"{prev_month(this_month):%Y-%m}")
        if which == "next":
            return Period(month=f"{next_month(this_month):%Y-%m}")
        return Period(month=f"{this_month:%Y-%m}")
    if q.phrase("month to date", "mtd", "so far"):
        return Period(month=f"{this_month:%Y-%m}")
    iso = _ISO_MONTH.search(q.amount_text) or _ISO_MONTH.search(q.raw)
    days = q.days or _spoken_days(t, today, future=future)
    if len(days) >= 2:
        a, b = sorted(days[:2])
        return Period(start=a, end=b + timedelta(days=1), week=a)
    if days:
        d = days[0]
        if q.phrase("week of", "week starting", "week beginning", "week from"):
            monday_of = d - timedelta(days=d.weekday())
            return Period(start=monday_of, end=monday_of + timedelta(days=7), week=d, month=f"{d:%Y-%m}")
        if q.phrase("since", "from", "starting", "after") and d <= today:
            return Period(start=d, end=today + timedelta(days=1), week=d, month=f"{d:%Y-%m}")
        return Period(start=d, end=d + timedelta(days=1), week=d, month=f"{d:%Y-%m}")
    if iso and 1 <= int(iso.group(2)) <= 12:
        return Period(month=f"{int(iso.group(1)):04d}-{int(iso.group(2)):02d}")
    for hit in re.finditer(r"(?<= )(?:(in|for|of|during|since|until|from) )?([a-z]+)(?: (\d{4}))?(?= )", t):
        month = _month_of(hit.group(2))
        if month is None or (hit.group(2) == "may" and not (hit.group(1) or hit.group(3))):
            continue
        if hit.group(3):
            year = int(hit.group(3))
        elif future:
            year = today.year if month >= today.month else today.year + 1
        else:
            year = today.year if month <= today.month else today.year - 1
        return Period(month=f"{year:04d}-{month:02d}")
    return Period()


# ------------------------------------------------------------------------------ classifying


def family(q: Question) -> str:
    """The question family (see FAMILIES); writes are recognised by their imperative verb."""
    v, ws = q.verb, q.wordset
    # writes
    if q.task_ids and ws & DONE_WORDS:
        return "tasks"
    if v in ("mark", "complete", "close", "finish") and ws & ({"task", "tasks"} | DONE_WORDS) and \
            not q.has(CARD, ESTIMATE):
        return "tasks"
    if (q.arns and q.has({"claim", "assign", "attribute"})) or v == "claim":
        return "claims"
    if q.has({"estimate", "estimates", "budget", "budgets"}) and (
            v in SET_VERBS or q.phrase("new estimate", "new budget")
            or ((ws & SET_VERBS or q.phrase("should be")) and q.amount() is not None)):
        return "set_estimate"
    if v in ("approve", "sign") and q.has(CARD | {"week"}):
        return "spend_card"
    if (v == "request" and not q.has({"requests"})) or q.phrase(
            "need access", "want access", "get access", "like access", "ask for access", "apply for access",
            "request access", "requesting access"):
        return "access_requests"
    if v in DECIDE_VERBS:
        return "model_decisions"
    if (v in PAUSE_VERBS or v in RESUME_VERBS) and q.name_targets:
        return "pause"
    # reads
    if q.phrase("access request", "access requests", "pending requests", "open requests", "my requests") or (
            q.has({"requests", "requested"}) and q.has({"access", "model", "models"})):
        return "access_requests"
    if q.phrase("who am i", "what can i ask", "what can you do", "what can i do", "what do you do", "what can i see",
                "my scope", "what is my role", "what are my roles", "whats my role", "what am i",
                "what should i ask", "what can you tell me", "what do i have access to") or (
            q.words and set(q.words) <= {"help", "me", "please", "examples"}):
        return "scope"
    if q.has(TASKS) or (q.phrase("to do", "commands to run", "should i run") and _can(q.ctx, "task_queue")):
        return "tasks"
    if q.has(UNATTRIBUTED) or q.phrase("not attributed", "no owner", "nobody owns", "who owns", "not claimed",
                                       "without an owner", "no one has claimed") \
            or (q.has({"claim", "claiming"}) and not q.arns) \
            or (q.has({"claimed"}) and q.has({"nobody", "noone", "not", "never", "no"})):
        return "unattributed"
    asking_permission = q.phrase("can i", "may i", "can we", "could i", "am i allowed", "are we allowed")
    in_use = q.has(USE_WORDS) and not asking_permission
    if q.has(DRIFT) or (q.phrase("not approved", "haven't approved", "havent approved", "not been approved",
                                 "outside the catalog", "not in the catalog", "outside catalog",
                                 "without approval", "isn't approved", "isnt approved", "aren't approved",
                                 "arent approved", "non compliant") and not asking_permission) or (
            in_use and (q.has({"blocked", "restricted", "unreviewed"})
                        or q.phrase("shouldnt", "should not", "not supposed", "not allowed", "isnt allowed",
                                    "arent allowed"))):
        return "drift"
    if q.has(IAM):
        return "iam_policy"
    if q.phrase("can i use", "may i use", "could i use", "am i allowed", "are we allowed", "can we use",
                "may we use", "allowed to use", "permitted to use", "ok to use", "okay to use", "can use",
                "may use", "allowed in", "approved in", "approved for", "allowed for") or (
            q.model and q.first in ("is", "are", "can", "may") and q.has(CATALOG)):
        return "catalog"
    if q.has({"catalog", "catalogue"}) or (q.has(CATALOG) and (q.has({"model", "models"}) or q.model)):
        return "catalog"
    if q.has(CARD):
        return "spend_card"
    if q.has(ANOMALY):
        return "anomalies"
    if q.has(SAVINGS) or q.phrase("spend less", "bring down", "lower my", "lower our", "save money"):
        return "recommendations"
    if q.has(QUOTA) or (q.has({"which", "who", "products"}) and q.has({"over", "exceeded", "exceeding", "exceed",
                                                                         "above", "near"})
                        and q.has({"estimate", "estimates", "budget", "budgets"})):
        return "quota"
    if q.has(ESTIMATE) or q.phrase("on track", "how am i doing", "how are we doing", "am i over", "are we over",
                                   "how am i", "how are we", "how are my", "how is my",
                                   # the estimate status carries the cache hit rate against the healthy level
                                   "hit rate", "cache hit", "cache hits", "cache rate", "cache ratio"):
        return "estimate_status"
    if q.has(BREAKDOWN) or q.phrase("how much") or q.top() is not None or _dimension(q):
        return "breakdown"
    if q.has(SOFT_STATUS) and (q.name_targets or q.portfolios):
        return "estimate_status"
    if q.products or (q.unknown_names and not q.model):
        return "estimate_status"
    if q.portfolios or q.departments:
        return "breakdown"
    if q.model:
        return "catalog"
    return "unknown"


_DIMENSIONS = [
    ("model", {"model", "models", "llm", "llms"}), ("region", {"region", "regions"}),
    ("account", {"account", "accounts"}), ("portfolio", {"portfolio", "portfolios"}),
    ("department", {"department", "departments", "dept", "depts"}),
    ("principal", {"principal", "principals", "role", "roles", "user", "users", "identity", "identities"}),
    ("day", {"day", "daily", "trend"}), ("kind", {"kind", "kinds"}),
    ("product", {"product", "products", "workload", "workloads", "app", "apps", "application", "applications",
                 "team", "teams"}),
]


def _dimension(q: Question) -> str | None:
    """What to group spend by, from the words ('by region', 'top 3 models', 'which of my products')."""
    if q.phrase("business unit", "business units", "bu"):
        return "business_unit"
    if q.phrase("token type", "token types", "token kind", "input vs output", "input and output",
                "input versus output"):
        return "kind"
    if q.phrase("per day", "each day", "by day", "over time", "day by day"):
        return "day"
    best: tuple[int, int, str] | None = None
    for i, w in enumerate(q.words):
        for dim, words in _DIMENSIONS:
            if w in words:
                before = q.words[i - 1] if i else ""
                weight = 2 if before in ("by", "per", "each", "which", "what", "top", "across", "every") \
                    or _number(before) else 1
                if best is None or weight > best[0]:
                    best = (weight, -i, dim)
    return best[2] if best else None


# ------------------------------------------------------------------------------ builders


def _can(ctx: ToolContext, tool: str) -> bool:
    return any(t.name == tool for t in toolset.tools_for(ctx))


def _gate(q: Question, family_name: str, tool: str) -> Plan | None:
    """A write the caller's personas may not make: say who can, before asking for any parameter."""
    return None if _can(q.ctx, tool) else Plan(family_name, reply=_not_allowed(q.ctx, tool))


def _own(ctx: ToolContext) -> list[str]:
    return sorted(ctx.caller.owned_products)


def _product_or_ask(q: Question, what: str, example: str) -> tuple[str | None, str | None]:
    """The product a write is for: the one named, else the caller's only product; else a question back."""
    if q.name_targets:
        return q.name_targets[0], None
    own = _own(q.ctx)
    if len(own) == 1:
        return own[0], None
    if own:
        return None, (f"Which product {what}? You own {', '.join(own)}. For example: "
                      f"'{example.format(p=own[0])}'.")
    return None, f"Which product {what}? Name it, for example: '{example.format(p='<product>')}'."


def _build_estimate(q: Question) -> Plan:
    month = q.period().month
    base = {"month": month} if month else {}
    if q.name_targets:
        return Plan("estimate_status", [Step("estimate_status", {**base, "product": p}) for p in q.name_targets[:5]])
    if q.portfolios:
        return _build_breakdown(q, family="estimate_status")
    own = _own(q.ctx)
    if 1 <= len(own) <= 5:
        return Plan("estimate_status", [Step("estimate_status", {**base, "product": p}) for p in own])
    return Plan("estimate_status", [Step("quota_status", dict(base))])


def _build_quota(q: Question) -> Plan:
    month = q.period().month
    args: dict[str, Any] = {"month": month} if month else {}
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("quota", [Step("quota_status", args)])


def _build_breakdown(q: Question, family: str = "breakdown") -> Plan:
    period = q.period()
    dim = _dimension(q)
    if dim is None and q.regions:
        dim = "region"
    elif dim is None and q.accounts:
        dim = "account"
    model = q.model
    base: dict[str, Any] = period.args()
    top = q.top()
    if top:
        base["top"] = top
    if model is not None:
        if model.ambiguous:
            return Plan(family, reply=_which_model(q, model))
        base["model"] = model.model_id or model.text
    if q.portfolios:
        base["portfolio"] = q.portfolios[0]
    elif q.unknown_names and q.has({"portfolio", "portfolios"}) and not q.products:
        base["portfolio"] = q.unknown_names[0]
    targets = [] if "portfolio" in base else q.name_targets
    if dim in (None, "product") and targets:
        dim = "model"
    if dim is None:
        visible = q.ctx.caller.products
        dim = "product" if "model" in base or q.ctx.caller.all_access or len(visible) != 1 else "model"
    if targets:
        return Plan(family, [Step("spend_breakdown", {**base, "by": dim, "product": p}) for p in targets[:3]])
    return Plan(family, [Step("spend_breakdown", {**base, "by": dim})])


def _build_unattributed(q: Question) -> Plan:
    return Plan("unattributed", [Step("unattributed_spend", q.period().args())])


def _build_drift(q: Question) -> Plan:
    args: dict[str, Any] = q.period().args()
    if q.name_targets:
        args["product"] = q.name_targets[0]
    model = q.model
    if model is not None and not model.ambiguous:
        args["model"] = model.model_id or model.text
    return Plan("drift", [Step("model_drift", args)])


_STATES = {"approved": "approved", "allowed": "approved", "permitted": "approved", "available": "approved",
           "blocked": "blocked", "restricted": "restricted", "unreviewed": "unreviewed", "unmapped": "unmapped"}


def _build_catalog(q: Question) -> Plan:
    model = q.model
    can_use = q.phrase("can i use", "may i use", "could i use", "am i allowed", "are we allowed", "can we use",
                       "may we use", "allowed to use", "permitted to use", "ok to use", "okay to use", "can use",
                       "may use") or (model is not None and q.first in ("is", "are", "can", "may"))
    if model is not None and can_use:
        if model.ambiguous:
            return Plan("catalog", reply=_which_model(q, model))
        c = q.ctx.caller
        accounts = q.accounts or (sorted(c.accounts | c.work_accounts)
                                  if len(c.accounts | c.work_accounts) == 1 else [])
        if accounts and q.regions:
            args = {"model": model.model_id or model.text, "account": accounts[0], "region": q.regions[0]}
            product = q.name_targets[0] if q.name_targets else (_own(q.ctx)[0] if len(_own(q.ctx)) == 1 else None)
            if product:
                args["product"] = product
            return Plan("catalog", [Step("model_status", args)])
        missing = " and ".join(x for x, ok in (("account", accounts), ("region", q.regions)) if not ok)
        return Plan("catalog", [Step("model_catalog", {"model": _catalog_filter(model)})],
                    note=f"For a yes or no, name the {missing}: e.g. 'can I use {model.text} in "
                         f"{q.accounts[0] if q.accounts else '<account>'} "
                         f"{q.regions[0] if q.regions else 'us-east-1'}'.")
    args: dict[str, Any] = {}
    states = [_STATES[w] for w in q.words if w in _STATES]
    if states:
        args["state"] = states[0]
    if model is not None:
        args["model"] = _catalog_filter(model)
    return Plan("catalog", [Step("model_catalog", args)])


def _catalog_filter(model: ModelRef) -> str:
    if model.model_id:
        return model.model_id
    words = [w for w in _mtokens(model.text) if w.isalpha() and w not in _GENERIC_MODEL_WORDS]
    return words[0] if words else model.text


def _which_model(q: Question, model: ModelRef) -> str:
    labels = q.index.labels if q.index else {}
    names = ", ".join(f"{labels.get(m, m)} ({m})" for m in (model.options or model.related)[:8])
    return f"Which model do you mean by '{model.text}'? " + (f"I know: {names}." if names else
                                                             "Give its Bedrock model id.")


def _build_card(q: Question) -> Plan:
    period = q.period()
    week = period.week
    if q.verb in ("approve", "sign"):
        return _build_approve_card(q, week)
    args: dict[str, Any] = {"week_start": week} if week else {}
    c = q.ctx.caller
    targets = q.name_targets or _own(q.ctx)[:3] or (sorted(c.products)[:3] if len(c.products) <= 3 else [])
    if not targets:
        return Plan("spend_card", reply="Which product's spend card? Name one, e.g. 'this week's spend card for "
                                        f"{min(c.products) if c.products else '<product>'}'.")
    return Plan("spend_card", [Step("spend_card", {**args, "product": p}) for p in targets])


def _build_approve_card(q: Question, week: date | None) -> Plan:
    if (gate := _gate(q, "spend_card", "approve_spend_card")) is not None:
        return gate
    product, ask = _product_or_ask(q, "should I approve the spend card for", "approve my {p} spend card for last week")
    if ask:
        return Plan("spend_card", reply=ask)
    args: dict[str, Any] = {"product": product}
    if week:
        args["week_start"] = week - timedelta(days=week.weekday())
    if q.reason:
        args["note"] = q.reason
    return Plan("spend_card", [Step("approve_spend_card", args)])


def _build_anomalies(q: Question) -> Plan:
    args: dict[str, Any] = q.period().args()
    if q.has({"principal", "principals", "role", "roles", "user", "users", "identity", "identities"}):
        args["level"] = "principal"
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("anomalies", [Step("anomalies", args)])


def _build_recommendations(q: Question) -> Plan:
    args = {"product": q.name_targets[0]} if q.name_targets else {}
    return Plan("recommendations", [Step("recommendations", args)])


def _build_tasks(q: Question) -> Plan:
    if q.task_ids or q.verb in ("mark", "complete", "close", "finish"):
        if (gate := _gate(q, "tasks", "complete_task")) is not None:
            return gate
        if not q.task_ids:
            return Plan("tasks", reply="Which task? Give its id, e.g. 'mark T-000012 done, note: applied in "
                                       "change CHG-1'. Ask 'what do I need to implement' for the open ones.")
        args: dict[str, Any] = {"task_id": q.task_ids[0]}
        if q.reason:
            args["note"] = q.reason
        return Plan("tasks", [Step("complete_task", args)])
    status = "done" if q.has({"done", "completed", "finished", "implemented"}) else \
        "all" if q.phrase("all tasks", "every task") else "open"
    args = {"status": status}
    if q.name_targets:
        args["product"] = q.name_targets[0]
    return Plan("tasks", [Step("task_queue", args)])


def _build_iam(q: Question) -> Plan:
    product, ask = _product_or_ask(q, "do you want the IAM policy for", "what IAM policy does {p} need")
    if ask:
        return Plan("iam_policy", reply=ask)
    return Plan("iam_policy", [Step("iam_policy", {"product": product})])


def _build_claim(q: Question) -> Plan:
    if (gate := _gate(q, "claims", "claim_principal")) is not None:
        return gate
    if not q.arns:
        return Plan("claims", reply="Which principal? Give its full ARN, e.g. 'claim arn:aws:iam::<account>:role/"
                                    "<role> for <product>'. Ask 'what spend is unattributed' to see unclaimed "
                                    "roles in your accounts.")
    if len(q.arns) > 1:
        return Plan("claims", reply="One principal at a time, please: 'claim <ARN> for <product>'.")
    if q.ctx.caller.all_access and not q.name_targets:
        return Plan("claims", reply=f"Which product should {q.arns[0]} belong to? Say 'claim {q.arns[0]} for "
                                    "<product>'.")
    product, ask = _product_or_ask(q, f"should {q.arns[0]} belong to", "claim " + q.arns[0] + " for {p}")
    if ask:
        return Plan("claims", reply=ask)
    args: dict[str, Any] = {"principal": q.arns[0], "product": product}
    if q.days:
        args["claimed_on"] = q.days[0]
    if q.reason:
        args["note"] = q.reason
    return Plan("claims", [Step("claim_principal", args)])


def _build_set_estimate(q: Question) -> Plan:
    if (gate := _gate(q, "set_estimate", "set_estimate")) is not None:
        return gate
    amount = q.amount()
    product, ask = _product_or_ask(q, "is the estimate for", "set my estimate for {p} to <amount> for December")
    if ask:
        return Plan("set_estimate", reply=ask)
    if amount is None:
        return Plan("set_estimate", reply=f"What amount? Say it in USD, e.g. 'set my estimate for {product} to "
                                          "<amount> for December'.")
    period = q.period(future=True)
    args: dict[str, Any] = {"product": product, "usd": amount, **q.token_estimates()}
    if period.month:
        args["month"] = period.month
    if q.reason:
        args["reason"] = q.reason
    return Plan("set_estimate", [Step("set_estimate", args)])


def _build_access_request(q: Question) -> Plan:
    if q.verb != "request" and not q.phrase("need access", "want access", "get access", "like access",
                                            "ask for access", "apply for access", "request access",
                                            "requesting access"):
        args = {"status": "closed" if q.has({"closed", "decided"}) else "all" if q.has({"all"}) else "open"}
        return Plan("access_requests", [Step("access_requests", args)])
    if (gate := _gate(q, "access_requests", "request_model_access")) is not None:
        return gate
    model = q.model
    if model is None or not model.model_id:
        known = f" I don't know '{model.text}'." if model is not None and not model.ambiguous else ""
        if model is not None and model.ambiguous:
            return Plan("access_requests", reply=_which_model(q, model))
        return Plan("access_requests", reply=f"Which model?{known} Give its name or Bedrock model id, e.g. "
                                             "'request access to anthropic.claude-opus-4-6-v1 for <product> in "
                                             "us-east-1 because <why>'.")
    product, ask = _product_or_ask(q, "is the request for",
                                   f"request access to {model.text} for {{p}} in us-east-1 because <why>")
    if ask:
        return Plan("access_requests", reply=ask)
    if not q.reason:
        return Plan("access_requests", reply=f"Why does {product} need {model.text}? The FinOps Lead decides on the "
                                             f"reason: say 'request access to {model.text} for {product} because "
                                             "<why>'.")
    args: dict[str, Any] = {"product": product, "model_id": model.model_id, "reason": q.reason}
    if q.accounts:
        args["accounts"] = q.accounts
    if q.regions:
        args["regions"] = q.regions
    return Plan("access_requests", [Step("request_model_access", args)])


def _build_decision(q: Question) -> Plan:
    if (gate := _gate(q, "model_decisions", "decide_model")) is not None:
        return gate
    verb = q.verb or ""
    state = DECIDE_VERBS.get(verb, "approved")
    if state == "approved" and (q.phrase("only for", "restricted to", "limited to") and q.products):
        state = "restricted"
    model = q.model
    if model is None or (not model.model_id and "." not in model.text):
        if model is not None and model.ambiguous:
            return Plan("model_decisions", reply=_which_model(q, model))
        return Plan("model_decisions", reply=f"Which model should I record as {state}? Give its Bedrock model id, "
                                             "e.g. 'approve anthropic.claude-opus-4-6-v1 in <account> us-east-1 "
                                             "inference only because <why>'.")
    model_id = model.model_id or model.text
    if not q.reason:
        return Plan("model_decisions", reply=f"A catalog decision needs a written rationale: say '{verb} {model_id} "
                                             "... because <why>'.")
    everywhere = q.phrase("everywhere", "all accounts", "every account", "any account", "all regions",
                          "every region", "any region", "across the board")
    if state == "approved" and not everywhere and not (q.accounts and q.regions):
        return Plan("model_decisions", reply=f"In which accounts and regions? Approvals don't carry across "
                                             f"environments: e.g. '{verb} {model_id} in <account> us-east-1 because "
                                             "...', or say 'in all accounts and regions'.")
    if state == "restricted" and not q.products:
        return Plan("model_decisions", reply=f"Restricted to which products? e.g. 'restrict {model_id} to <product> "
                                             "because ...'.")
    scope = "inference_only"
    if q.phrase("read write", "readwrite", "full agentic"):
        scope = "agentic_read_write"
    elif q.phrase("read only", "readonly", "agentic read", "agentic") and not q.phrase("inference only"):
        scope = "agentic_read_only"
    args: dict[str, Any] = {"model_id": model_id, "state": state, "rationale": q.reason, "action_scope": scope,
                            "accounts": q.accounts, "regions": q.regions}
    if state == "restricted":
        args["products"] = q.products
    if q.request_ids:
        args["request_id"] = q.request_ids[0]
    return Plan("model_decisions", [Step("decide_model", args)])


def _build_pause(q: Question) -> Plan:
    if (gate := _gate(q, "pause", "pause_product")) is not None:
        return gate
    tool = "resume_product" if q.verb in RESUME_VERBS else "pause_product"
    word = "resume" if tool == "resume_product" else "pause"
    product = q.name_targets[0]
    if not q.reason:
        return Plan("pause", reply=f"A {word} needs a reason for the audit log: say '{word} {product} because <why>'.")
    return Plan("pause", [Step(tool, {"product": product, "rationale": q.reason})])


def _build_scope(q: Question) -> Plan:
    return Plan("scope", [Step("my_scope", {})], note=help_text(q.ctx, intro=False))


BUILDERS = {
    "estimate_status": _build_estimate, "quota": _build_quota, "breakdown": _build_breakdown,
    "unattributed": _build_unattributed, "drift": _build_drift, "catalog": _build_catalog,
    "spend_card": _build_card, "anomalies": _build_anomalies, "recommendations": _build_recommendations,
    "tasks": _build_tasks, "iam_policy": _build_iam, "claims": _build_claim, "set_estimate": _build_set_estimate,
    "access_requests": _build_access_request, "model_decisions": _build_decision, "pause": _build_pause,
    "scope": _build_scope,
}

# ------------------------------------------------------------------------------ help

EXAMPLES = [
    ("estimate_status", "Am I within my estimate this month?"),
    ("spend_breakdown", "Which of my products spends most this month?"),
    ("spend_breakdown", "Top 3 models last month"),
    ("quota_status", "Which products are over their estimate?"),
    ("spend_card", "Show last week's spend card for {p}"),
    ("unattributed_spend", "What spend is unattributed?"),
    ("model_drift", "Are we using any unapproved models?"),
    ("model_catalog", "Which models are approved?"),
    ("model_status", "Can I use Claude Sonnet 4.6 in us-east-1?"),
    ("anomalies", "Any spending spikes this month?"),
    ("recommendations", "How can I save on Bedrock?"),
    ("task_queue", "What do I need to implement?"),
    ("complete_task", "Mark <task id> done, note: <what you did>"),
    ("iam_policy", "What IAM policy does {p} need?"),
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
    c = ctx.caller
    names = {t.name for t in toolset.tools_for(ctx)}
    product = (_own(ctx) or sorted(c.products) or ["<product>"])[0]
    persona = " and ".join(render.PERSONA_NAMES.get(p, p) for p in sorted(c.personas))
    lines = [("I couldn't place that question, so I won't guess. " if intro else "")
             + f"As a {persona} you can ask me, for example:"]
    lines += [f"- {text.format(p=product)}" for tool, text in EXAMPLES if tool in names]
    lines.append("Ask in your own words: months ('last month', 'October'), products, models, accounts and "
                 "regions are understood, typos too.")
    return "\n".join(lines)


def _not_allowed(ctx: ToolContext, tool: str) -> str:
    t = toolset.get(tool)
    if t is not None and t.personas & ctx.caller.personas and t.action not in ctx.actions:
        return (f"That is a {t.action} action, and here (over {ctx.caller.channel}) you have read access only: "
                f"a FinOps Lead can grant the {t.action} scope with `steward mcp grant`.\n"
                + help_text(ctx, intro=False))
    names = [render.PERSONA_NAMES.get(p, p) for p in sorted(t.personas)] if t else ["someone else"]
    who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    me = " and ".join(render.PERSONA_NAMES.get(p, p) for p in sorted(ctx.caller.personas))
    return f"That is for a {who}, not a {me}.\n" + help_text(ctx, intro=False)


# ------------------------------------------------------------------------------ entry points


def plan(ctx: ToolContext, question: str) -> Plan:
    """The family and the tool calls for a question (or the reply, when no tool call fits)."""
    if not question.strip():
        return Plan("unknown", reply=help_text(ctx, intro=False))
    q = read(ctx, question)
    fam = family(q)
    builder = BUILDERS.get(fam)
    if builder is None:
        return Plan("unknown", reply=help_text(ctx))
    p = builder(q)
    for step in p.steps:
        if not _can(ctx, step.tool):
            return Plan(p.family, reply=_not_allowed(ctx, step.tool))
    return p


def call(ctx: ToolContext, step: Step) -> Fact:
    """One tool call through the registry; a tool error (scope, persona, arguments) becomes the fact's error."""
    try:
        result = toolset.call(ctx, step.tool, step.args)
    except ToolError as exc:
        return Fact(tool=step.tool, args=_jsonable(step.args), error=str(exc))
    except Exception:  # an internal failure must not crash the conversation
        log.exception("tool %s failed", step.tool)
        return Fact(tool=step.tool, args=_jsonable(step.args),
                    error=f"the tool {step.tool} failed with an internal error")
    return Fact(tool=step.tool, args=_jsonable(step.args), result=result.model_dump(mode="json"))


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in args.items()}


def view(ctx: ToolContext, labels: dict[str, str] | None = None) -> render.View:
    return render.View(labels=labels if labels is not None else model_labels(ctx.store),
                       persona=ctx.caller.primary_persona, owned=tuple(sorted(ctx.caller.owned_products)))


def answer(ctx: ToolContext, question: str) -> Answer:
    """Answer offline: plan, call the tools, render. Never raises for a question it cannot place."""
    try:
        p = plan(ctx, question)
    except Exception:  # a reading bug must not crash the conversation: say what can be asked
        log.exception("planning failed for %r", question[:200])
        p = Plan("unknown", reply=help_text(ctx))
    facts = [call(ctx, step) for step in p.steps]
    parts = [p.reply] if p.reply else []
    if facts:
        index = _model_index(ctx.store)
        parts.append(render.render_facts(facts, view=view(ctx, index.labels)))
    if p.note:
        parts.append(p.note)
    text = "\n\n".join(x for x in parts if x) or help_text(ctx)
    return Answer(question=question, text=text, facts=facts, family=p.family, mode="offline")
