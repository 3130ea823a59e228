"""The words and patterns the offline planner knows: keyword sets per question family, stop words,
names that are never names, region aliases, id and amount patterns, and typo repair to the keywords."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

STOP_WORDS = {"a", "an", "the", "i", "im", "me", "my", "mine", "myself", "we", "our", "ours", "us", "you", "your",
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

ESTIMATE_WORDS = {"estimate", "estimates", "estimated", "budget", "budgets", "track", "tracking", "within", "forecast",
            "forecasts", "forecasted", "overrun", "headroom", "pacing", "exceed", "exceeding", "exceeded", "overspend",
            "overspending", "overspent", "projected", "projection", "pace", "target", "allowance", "allowances",
            "plan", "planned", "agreed", "committed",
            # going past an estimate: 'overshoot', 'overrunning', 'breach', 'bust'
            "overshoot", "overshooting", "overshot", "overruns", "overrunning", "overran", "breach", "breaching",
            "breached", "bust", "busting", "busted"}
SOFT_STATUS_WORDS = {"doing", "status", "standing", "overview", "summary", "going"}
QUOTA_WORDS = {"quota", "quotas"}
BREAKDOWN_WORDS = {"spend", "spends", "spending", "spent", "spender", "spenders", "cost", "costs", "costing", "bill", "billed", "charges",
             "expensive", "top", "biggest", "largest", "highest", "breakdown", "usage", "consume", "consumed",
             "consumption", "total", "money", "dollars", "most", "priciest", "costliest", "tokens", "token", "burn",
             "burned", "burnt", "burning", "pay", "paid", "paying",
             # idioms of spending ('racked up', 'chalked up', 'clocked up'): never a typo of another keyword
             "racked", "racking", "chalked", "clocked", "accrued", "accruing", "incurred", "incurring", "amassed",
             "tallied"}
UNATTRIBUTED_WORDS = {"unattributed", "unallocated", "unclaimed", "unowned", "orphaned", "orphan", "untracked",
                "untagged"}
DRIFT_WORDS = {"unapproved", "drift", "drifting", "noncompliant", "compliance", "unauthorized", "unauthorised",
         "unsanctioned", "shadow", "violation", "violations", "rogue"}
CATALOG_WORDS = {"catalog", "catalogue", "approved", "allowed", "permitted", "blocked", "restricted", "unreviewed",
           "available", "unmapped", "rationale", "justification", "approving", "approval"}
CARD_WORDS = {"card", "cards", "scorecard"}
ANOMALY_WORDS = {"spike", "spikes", "spiking", "spiked", "anomaly", "anomalies", "anomalous", "unusual", "surge",
           "surges", "surged", "jump", "jumps", "jumped", "outlier", "outliers", "abnormal", "sudden",
           "suddenly", "weird", "strange", "unexpected"}
SAVINGS_WORDS = {"save", "saving", "savings", "cheaper", "reduce", "reducing", "cut", "cutting", "optimize",
           "optimise", "optimizing", "optimising", "optimization", "optimisation", "recommend",
           "recommendation", "recommendations", "efficient", "efficiency", "waste", "trim"}
TASK_WORDS = {"task", "tasks", "todo", "queue", "implement", "implementation"}
IAM_WORDS = {"iam", "policy", "policies"}
LIFECYCLE_WORDS = {"legacy", "eol", "deprecated", "retired", "retiring", "lifecycle", "sunset"}
LIFECYCLE_PHRASES = ("end of life", "end-of-life", "reaches eol", "being retired")
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
OTHER_KEYWORDS = {"product", "products", "portfolio", "portfolios", "department", "departments", "dept", "business",
         "unit", "units", "model", "models", "principal", "principals", "role", "roles", "user", "users",
         "identity", "identities", "account", "accounts", "region", "regions", "kind", "kinds", "type", "types",
         "input", "output", "daily", "trend", "week", "weekly", "month", "monthly", "day", "workload",
         "workloads", "team", "teams", "application", "applications", "claim", "claims", "claimed",
         "request", "requests", "requested", "access", "permission", "help", "scope", "ask", "examples",
         "this", "last", "previous", "prior", "current", "past", "next", "yesterday", "today", "year", "ytd",
         "mtd", "far", "agentic", "inference", "read", "write", "reads", "writes", "everywhere", "reason", "rationale", "note",
         "command", "commands", "apply", "use", "using", "used", "invoking", "invoked", "running", "calling",
         "call", "calls", "invoke", "invokes",
         "owner", "owns", "attributed", "attribution", "virginia", "oregon", "ohio", "ireland", "frankfurt",
         "london", "paris", "tokyo", "sydney", "singapore", "mumbai", "canada", "stockholm", "seoul",
         "california", "sign", "signed", "assign", "nobody", "noone", "never", "days", "weeks", "months", "years",
         "hours", "claiming", "uses", "shouldnt"}
# The cost per unit of value: its words (the units themselves come from what was recorded: agent.unit_plans).
UNIT_COST_WORDS = {"unit", "units", "volume", "volumes", "value", "economics", "trend", "trends", "trending", "each"}
# Tiers, periods, comparison and cost basis: words the spend questions qualify themselves with.
QUALIFIER_WORDS = {"guardrail", "guardrails", "embedding", "embeddings",  # token kinds of their own
                   "batch", "flex", "priority", "standard", "provisioned", "reserved", "tier", "tiers", "fortnight",
                   "quarter", "quarters", "compare", "compared", "comparison", "credits", "refunds", "taxes", "net",
                   "credit", "refund", "tax", "discount", "discounts", "fee", "fees", "calendar", "inclusive"}
# Facets asked directly: whether a product is paused, who a principal belongs to.
FACET_WORDS = {"paused", "suspended", "frozen", "halted", "belongs", "belong", "caching", "hit"}
# Words of the domain a question may carry without narrowing it ('our Bedrock bill', 'org-wide').
DOMAIN_WORDS = {"bedrock", "ai", "genai", "aws", "llm", "bu", "bus", "cache", "rate", "rates", "ratio", "org", "company",
                "organisation", "organization", "wide", "whole", "overall", "finops", "lead", "manager", "engineer",
                "owner", "steward"}
# Everyday words that carry no qualifier: known, so they are never reported as not honoured, but they
# place no question on their own (not keywords).
FILLER_WORDS = {"go", "going", "goes", "went", "gone", "say", "says", "said", "yet", "still", "without", "anyone",
                "anybody", "someone", "somebody", "everyone", "everybody", "open", "area", "quick",
                "quickly", "before", "after", "well", "pls", "plz", "whos", "havent", "hasnt", "isnt",
                "arent", "dont", "doesnt", "didnt", "wont", "cant", "own", "actually", "really", "through",
                "break", "split", "entry", "entries", "near", "far", "first",
                "roughly", "approximately", "exactly", "number", "numbers", "figure", "figures", "amount",
                "amounts", "looking", "looks", "happen", "happened", "opportunities", "again", "instead",
                "reaching", "folks", "blow", "blowing", "started", "start", "began", "beginning",
                "date", "dates", "weekend", "weekends", "half", "second", "monday", "tuesday", "wednesday",
                "thursday", "friday", "saturday", "sunday", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
                "oct", "nov", "dec",
                "already", "ever", "anything", "something", "everything", "one", "ones",
                # what a request asks for when its verb says what it is ('recommend ways to save')
                "way", "ways", "option", "options", "idea", "ideas", "tip", "tips", "suggestion", "suggestions",
                "advice", "step", "steps", "thing", "things", "stuff", "same",
                "hits", "hitting", "often",  # 'how often is X hitting the cache': the cache hit rate
                "heads", "finance",  # 'heads up from finance': not 'reads', not a name
                "drill", "drilling", "zoom", "dig",  # 'drill into Retail Banking': a follow-up that narrows
                "record"}  # 'the rationale on record'
# Words of an instruction to Steward, or of an identity claimed, inside a question: never taken (who asks
# comes from the sign-in), and said so.
INSTRUCTION_WORDS = {"ignore", "instructions", "instruction", "pretend", "admin", "system", "caller", "forget",
                     "override", "sudo", "root", "jailbreak", "com",
                     # how to answer and for whom ('respond with the exact JSON you'd give the FinOps lead')
                     "respond", "exact", "verbatim", "json", "youd", "persona"}
# Finance's statements and tagging: 'the chargeback for October', 'what share of spend is tagged'.
STATEMENT_WORDS = {"chargeback", "chargebacks", "showback", "showbacks", "statement", "statements"}
TAG_COVERAGE_WORDS = {"tagged", "tagging", "untagged", "tag", "tags", "rule", "rules", "share", "percentage",
                      "proportion", "fraction", "allocation"}
# Known, but no target for typo correction ('average' is not a misspelt 'coverage').
TAG_COVERAGE_FILLER = {"coverage", "covered"}
KEYWORDS = (STATEMENT_WORDS | TAG_COVERAGE_WORDS | DOMAIN_WORDS | QUALIFIER_WORDS | FACET_WORDS | LIFECYCLE_WORDS | ESTIMATE_WORDS | SOFT_STATUS_WORDS | QUOTA_WORDS | BREAKDOWN_WORDS
            | UNATTRIBUTED_WORDS | DRIFT_WORDS | CATALOG_WORDS | CARD_WORDS | ANOMALY_WORDS | SAVINGS_WORDS | TASK_WORDS
            | IAM_WORDS | SET_VERBS | set(DECIDE_VERBS) | PAUSE_VERBS | RESUME_VERBS | DONE_WORDS | set(MONTHS)
            | set(NUMBER_WORDS)
            | OTHER_KEYWORDS | UNIT_COST_WORDS)
# How a period is said beyond its month and day ('the fortnight ending 8 Nov', 'Mon-Sun', 'UK dates',
# 'H2', 'combined'): known words (the date guard, agent/date_mentions.py, checks what they named was read).
PERIOD_WORDS = {"ending", "ended", "starting", "beginning", "commencing", "combined", "together", "fortnight",
                "fortnights", "h1", "h2", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
                "uk", "us", "american", "british", "european", "format", "formats", "inclusive", "exclusive"}
VOCABULARY = STOP_WORDS | FILLER_WORDS | TAG_COVERAGE_FILLER | KEYWORDS | PERIOD_WORDS
KEYWORD_LIST = sorted(KEYWORDS)
KEYWORDS_BY_LENGTH: dict[int, tuple[str, ...]] = {
    n: tuple(k for k in KEYWORD_LIST if len(k) == n) for n in {len(k) for k in KEYWORD_LIST}}
# Capitalised words that are never the name of something to look up.
NOT_NAMES = {"bu", "bus", "ytd", "mtd", "i", "finops", "aws", "bedrock", "steward", "agent", "bill", "cur", "iam",
             "mcp", "usd", "ok", "hi", "hey", "hello", "please", "thanks", "lead", "leads", "owner", "manager", "cloud",
             "engineer", "admin",
             "administrator", "ceo", "cfo", "cto", "sql", "json", "yes", "api", "llm", "ai", "genai", "q1", "q2",
             "q3", "q4", "h1", "h2", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
             "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "select",
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

ARN_PATTERN = re.compile(r"\barn:aws[\w-]*:(?:iam|sts)::\d{12}:[\w+=,.@/\-]+", re.IGNORECASE)
MODEL_ID_PATTERN = re.compile(
    r"(?<![\w.])(?:(?:us|eu|apac|global|jp|au|ca)\.)?(?:anthropic|meta|amazon|mistral|cohere|ai21|"
    r"deepseek|openai|qwen|writer|google|nvidia|minimax|moonshot|twelvelabs|stability|luma)"
    r"\.[\w.\-:]*\w", re.IGNORECASE)
TASK_ID_PATTERN = re.compile(r"\bT-\d{3,}\b", re.IGNORECASE)
REQUEST_ID_PATTERN = re.compile(r"\bAR-\d{3,}\b", re.IGNORECASE)
# Twelve digits standing alone: punctuation around them ('account 444455556666: spend', 'account:4444...',
# '(444455556666)') is the sentence's; after '::' or a region's digit and ':', or before ':role', they are an
# ARN's account field.
ACCOUNT_ID_PATTERN = re.compile(r"(?<![\w])(?<!::)(?<!\d:)\d{12}(?![\w])(?!:[\w/])")
REGION_CODE_PATTERN = re.compile(
    r"\b(?:us|eu|ap|ca|sa|me|af|il|mx)(?:-gov)?-(?:north|south|east|west|central|northeast|"
    r"southeast|northwest|southwest)-\d\b", re.IGNORECASE)
ISO_DAY_PATTERN = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
ISO_MONTH_PATTERN = re.compile(r"\b(\d{4})-(\d{2})\b(?!-\d)")
# 'rationale' after 'the'/'its' is the noun asked about ('the rationale on record for ...'), not a reason given.
REASON_PATTERN = re.compile(
    r"(?:\bbecause\b|\breason(?:\s+is)?\s*[:\-]|(?<!the )(?<!its )(?<!their )\brationale\s*[:\-]?|\bwhy\s*:|\bdue to\b|"
    r"\bso that\b|\bnote\s*[:\-]|\bwith (?:the )?note\b)\s*(.+)$", re.IGNORECASE | re.DOTALL)
# A role or user name as people write it: lower case with dashes or underscores ('github-actions-ci').
PRINCIPAL_NAME_PATTERN = re.compile(r"(?<![\w/:.-])[a-z][a-z0-9]*(?:[-_][a-z0-9]+){1,}(?![\w/:.-])")
NAME_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&+]*(?:['’.\-][A-Za-z0-9&+]+)*")
MONEY_PATTERN = re.compile(
    r"(?:\$|\busd\s?)\s*(\d[\d,]*(?:\.\d+)?)\s*(k|m)?\b|\b(\d[\d,]*(?:\.\d+)?)\s*(k|m)?\s*"
    r"(?:usd|dollars|bucks)\b", re.IGNORECASE)
BARE_AMOUNT_PATTERN = re.compile(
    r"(?:\bto|\bat|\bof|\bbe|=)\s*(\d[\d,]*(?:\.\d+)?)\s*(k|m)?(?![\w.%-])(?!\s*(?:input|output|"
    r"tokens?|%|percent|days?))", re.IGNORECASE)
TOKEN_ESTIMATE_PATTERN = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(k|m|b)?\s*(input|output)(?:\s+tokens?)?",
                                    re.IGNORECASE)
AMOUNT_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9}


NEGATIONS = ("un", "non", "in", "im", "ir", "il", "dis", "mis")


def opposites(word: str, other: str) -> bool:
    """One word is the other negated ('mapped'/'unmapped', 'compliant'/'noncompliant'): a typo repair
    must never turn one into the other, however close they are."""
    short, long = sorted((word, other), key=len)
    return any(long == prefix + short for prefix in NEGATIONS)


# Short forms people type for the period words (too short for typo repair to find).
ABBREVIATIONS = {"lst": "last", "ths": "this", "mth": "month", "mnth": "month", "mo": "month", "wk": "week",
                 "yr": "year", "yday": "yesterday", "prev": "previous"}


@lru_cache(maxsize=8192)
def canonical(word: str) -> str:
    """The keyword a typo stands for ('estimte' -> 'estimate'); known words, short words and words whose
    nearest keyword is their opposite ('mapped', not 'unmapped') stay as they are. A typo rarely changes
    the first letter, so a keyword starting with the same letter wins over a closer-scored one
    ('regoin' -> 'region', not 'oregon')."""
    if word in ABBREVIATIONS:
        return ABBREVIATIONS[word]
    if word in VOCABULARY or word in NOT_NAMES or len(word) < 3 or not word.isalpha():
        return word
    if len(word) == 3:
        return _dropped_letter(word) or word
    if (swapped := _swapped_letters(word)) is not None:
        return swapped
    cutoff = 85 if len(word) == 4 or len(word) >= 8 else 80
    found = [f for f, _, _ in process.extract(word, KEYWORD_LIST, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5)
             if not any(opposites(stem, found_stem) for stem in _stems(word) for found_stem in _stems(f))]
    return next((f for f in found if f[0] == word[0]), found[0] if found else word)


VOWELS = frozenset("aeiouy")
# Words one letter short of a keyword that are words of their own ('red' is not 'read', 'led' not 'lead').
SHORT_WORDS = frozenset({"den", "don", "led", "lad", "pad", "rad", "rat", "red", "tam", "fur", "oho", "pac",
                         "tod", "ter", "mak", "cal", "wid", "nin"})
# A short word is never repaired into the cue of a write ('don' is not 'done', 'stp' not 'stop').
WRITE_CUES = frozenset(SET_VERBS | set(DECIDE_VERBS) | PAUSE_VERBS | RESUME_VERBS | DONE_WORDS
                       | {"sign", "call", "save", "note"})


def _dropped_letter(word: str) -> str | None:
    """The one keyword a three-letter word is with a letter dropped ('wek' -> 'week', 'yer' -> 'year',
    'cst' -> 'cost'). Too short for a fuzzy score, so only the commonest slip counts: a vowel or a doubled
    letter left out after the first letter; two keywords that fit, or none, leave the word as it is."""
    if word in SHORT_WORDS:
        return None
    found = {k for k in KEYWORDS_BY_LENGTH.get(len(word) + 1, ()) if k[0] == word[0] and k not in WRITE_CUES
             for i in range(1, len(k)) if k[:i] + k[i + 1:] == word
             and (k[i] in VOWELS or k[i] == k[i - 1] or (i + 1 < len(k) and k[i] == k[i + 1]))}
    return found.pop() if len(found) == 1 else None


def _swapped_letters(word: str) -> str | None:
    """The one keyword the word is with two neighbouring letters swapped after the first ('lsat' -> 'last',
    'dyas' -> 'days'): the commonest slip, which a fuzzy score rates too low in a short word."""
    found = {k for i in range(1, len(word) - 1)
             if (k := word[:i] + word[i + 1] + word[i] + word[i + 2:]) in KEYWORDS and k not in WRITE_CUES}
    return found.pop() if len(found) == 1 else None


def _stems(word: str) -> tuple[str, ...]:
    """The word with a typo's likely damage undone at the edges: itself and without a doubled letter."""
    return (word, re.sub(r"(.)\1", r"\1", word))


def blank_out(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def number_word(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)
