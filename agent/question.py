"""Reading a question for the offline planner: its words (typos mended), the names, models,
periods, accounts, regions, ids, amounts and reason in it. Identity and scope come from `ctx`: the
names the question may match are the ones the caller can see.

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
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from ledger.model_names import effective_names
from ledger.store import Store
from tools.catalog import model_labels
from tools.context import ToolContext
from tools.periods import next_month, prev_month

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


# ------------------------------------------------------------------------------ what a question holds


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


GENERIC_MODEL_WORDS = {"claude", "b", "v", "g", "instruct", "amazon", "anthropic", "meta", "edition", "bedrock",
                        "model", "text", "chat", "openai", "us", "eu"}
_NON_ANCHORS = {"pro", "lite", "micro", "premier", "text", "instruct", "large", "small", "mini", "medium",
                "edition", "vision", "chat", "express", "plus", "turbo", "embeddings", "embedding", "v"}
_index_lock = threading.Lock()
_index_cache: dict[tuple, _ModelIndex] = {}


def model_tokens(text: str) -> list[str]:
    """'Claude4.6Opus' -> [claude, 4, 6, opus]; 'NovaPro' -> [nova, pro]; 'Llama3-70B' -> [llama, 3, 70, b]."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z]+|\d+", text.lower())


def model_index(store: Store) -> _ModelIndex:
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
        toks = model_tokens(text.split(".", 1)[-1] if text == mid else text)
        words = {t for t in toks if t.isalpha()}
        every |= words
        aliases.append((frozenset(words - GENERIC_MODEL_WORDS), frozenset(t for t in toks if t.isdigit()), mid))
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


def number_word(word: str) -> int | None:
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
            n = number_word(m.group(1))
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
    q.index = model_index(ctx.store)
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
    if n_days and number_word(n_days.group(1)):
        n = number_word(n_days.group(1)) or 7
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
