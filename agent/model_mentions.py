"""Model mentions in a question: the index of model names and ids the planner recognises (per store),
and finding 'Claude Opus 4.6', 'sonnet', 'NovaPro' or 'llama 3 70b' in the text."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from agent.vocabulary import KEYWORDS, STOP_WORDS, VOCABULARY, blank_out
from ledger.model_names import effective_names
from ledger.store import Store
from tools.catalog import model_labels

if TYPE_CHECKING:
    from agent.question import Question


@dataclass
class ModelRef:
    text: str
    model_id: str | None = None
    options: list[str] = field(default_factory=list)  # candidates when ambiguous
    related: list[str] = field(default_factory=list)  # known models sharing a word, when unknown
    family: str | None = None  # a family word naming several models in use ('Claude', 'Llama', 'Nova')

    @property
    def ambiguous(self) -> bool:
        return self.model_id is None and len(self.options) > 1


@dataclass
class ModelIndex:
    aliases: list[tuple[frozenset[str], frozenset[str], str]]  # required words, numbers, model id
    words: frozenset[str]
    anchors: list[str]
    known: frozenset[str]
    labels: dict[str, str]
    families: frozenset[str] = frozenset()  # the words of the model families in use ('claude', 'opus', 'nova')


GENERIC_MODEL_WORDS = {"claude", "b", "v", "g", "instruct", "amazon", "anthropic", "meta", "edition", "bedrock",
                        "model", "text", "chat", "openai", "us", "eu"}
_NON_ANCHORS = {"pro", "lite", "micro", "premier", "text", "instruct", "large", "small", "mini", "medium",
                "edition", "vision", "chat", "express", "plus", "turbo", "embeddings", "embedding", "v"}
_index_lock = threading.Lock()
_index_cache: dict[tuple, ModelIndex] = {}


def model_tokens(text: str) -> list[str]:
    """'Claude4.6Opus' -> [claude, 4, 6, opus]; 'NovaPro' -> [nova, pro]; 'Llama3-70B' -> [llama, 3, 70, b]."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z]+|\d+", text.lower())


def model_index(store: Store) -> ModelIndex:
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
    families = frozenset(w for r in store.rows("SELECT DISTINCT model_family FROM usage_daily "
                                               "WHERE model_family IS NOT NULL")
                         for w in r[0].lower().split("-") if w.isalpha())
    aliases: list[tuple[frozenset[str], frozenset[str], str]] = []
    every: set[str] = set()
    for text, mid in [*names, *labels.items(), *((m, m) for m in catalog + used)]:
        toks = model_tokens(text.split(".", 1)[-1] if text == mid else text)
        words = {t for t in toks if t.isalpha()}
        every |= words
        aliases.append((frozenset(words - GENERIC_MODEL_WORDS), frozenset(t for t in toks if t.isdigit()), mid))
    anchors = sorted(w for w in every if (len(w) >= 4 or w in ("gpt", "oss")) and w not in _NON_ANCHORS
                     and w not in KEYWORDS and w not in STOP_WORDS)
    index = ModelIndex(aliases=aliases, words=frozenset(every), anchors=anchors,
                        known=frozenset(catalog) | frozenset(used), labels=labels, families=families)
    with _index_lock:
        if len(_index_cache) > 32:
            _index_cache.clear()
        _index_cache[key] = index
    return index



def find_models(q: Question, rest: str) -> str:
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
        if t.isalpha() and len(low) >= 4 and low not in VOCABULARY:
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
        ref = _resolve(index, ws, nums, text)
        if ref.model_id is None and not nums and len(ws) == 1 and ws <= index.families:
            ref.family = next(iter(ws)).capitalize()  # 'Claude', 'Llama': every model of the family, not one of them
        q.models.append(ref)
        rest = blank_out(rest, window[0][0], window[-1][1])
        i = end
    return rest


def _compound(index: ModelIndex, start: int, tok: str) -> list[tuple[int, int, str]]:
    """The token, or its two halves when it is two model words run together ('novapro')."""
    low = tok.lower()
    if tok.isalpha() and len(low) >= 7 and low not in index.words:
        for cut in range(3, len(low) - 2):
            if low[:cut] in index.words and low[cut:] in index.words:
                return [(start, start + cut, tok[:cut]), (start + cut, start + len(tok), tok[cut:])]
    return [(start, start + len(tok), tok)]


def _singular(words: frozenset[str] | set[str]) -> set[str]:
    """'Embeddings' and 'Embedding' name the same model ('Titan Embeddings V2' is billed TitanEmbeddingV2)."""
    return {w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w for w in words}


def _resolve(index: ModelIndex, ws: set[str], nums: set[str], text: str) -> ModelRef:
    best: dict[str, tuple] = {}
    ws = _singular(ws)
    for req, anums, mid in index.aliases:
        if not req or not _singular(req) <= ws or not nums <= anums:
            continue
        rank = (anums == nums, mid in index.known, -len(anums - nums), -len(req))
        if mid not in best or rank > best[mid]:
            best[mid] = rank
    known = sorted(m for m in best if m in index.known)
    if not nums and len(known) > 1 and all(best[m][2] < 0 for m in known):
        # 'Llama' without a version, and every Llama in use has one: any of them, not the shortest id
        # ('Nova Lite' is the one without a version, not Nova 2 Lite).
        return ModelRef(text=text, options=known)
    if best:
        top = max(best.values())
        winners = sorted(m for m, r in best.items() if r == top)
        if len(winners) == 1:
            return ModelRef(text=text, model_id=winners[0])
        return ModelRef(text=text, options=winners)
    related = sorted({mid for req, _, mid in index.aliases if mid in index.known
                      and (req & ws or ("claude" in ws and mid.startswith("anthropic.")))})
    return ModelRef(text=text, related=related)
