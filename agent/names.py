"""Names in a question: products, portfolios, departments and accounts the caller can see (matched
fuzzily), and capitalised names matching none of them (passed on for the tool's scope check)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from agent.vocabulary import NAME_TOKEN, MONTHS, NOT_NAMES, VOCABULARY, blank_out
from tools.caller import subtree
from tools.scope import nameable_accounts, nameable_nodes

if TYPE_CHECKING:
    from agent.question import Question


def find_names(q: Question, rest: str) -> str:
    """Match visible products, portfolios, departments and accounts (fuzzily) and blank them out."""
    ctx = q.ctx
    nodes = nameable_nodes(ctx)
    accounts = nameable_accounts(ctx)
    options: dict[str, tuple[str, str]] = {n.casefold(): (n, k) for n, k in nodes}
    for account_id, name in accounts:
        options.setdefault(name.casefold(), (account_id, "account"))
    if not options:
        return rest
    keys = list(options)
    toks = [(m.start(), m.end(), re.sub(r"['’]s$", "", m.group(0))) for m in NAME_TOKEN.finditer(rest)]
    found: list[tuple[float, int, int, int, str]] = []
    for n in range(1, 5):
        for i in range(len(toks) - n + 1):
            gram = " ".join(t[2] for t in toks[i: i + n])
            low = gram.casefold()
            for key, score, _ in process.extract(low, keys, scorer=fuzz.ratio, limit=3, score_cutoff=85):
                words = len(key.split())
                if abs(words - n) > 1:
                    continue
                if (len(key) <= 4 or low in VOCABULARY) and low != key:
                    continue
                if len(key) <= 4 and low in VOCABULARY and gram != options[key][0]:
                    continue
                found.append((score, n, toks[i][0], toks[i + n - 1][1], key))
    taken: list[tuple[int, int]] = []
    for score, n, start, end, key in sorted(found, key=lambda f: (-f[0], -f[1], f[2])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        name, kind = options[key]
        products = [p for p, k in nodes if k == "product"]
        if kind != "product" and (_product_meant(q, rest, start, end, products)
                                  or _node_or_product(q, rest, start, end, (name, kind), products)):
            rest = blank_out(rest, start, end)
            continue
        target = {"product": q.products, "portfolio": q.portfolios, "department": q.departments,
                  "business_unit": q.business_units, "account": q.accounts}.get(kind)
        if target is not None and name not in target:
            target.append(name)
        rest = blank_out(rest, start, end)
    return rest


PRODUCT_NOUNS = ("product", "app", "application", "service", "workload")


def _product_meant(q: Question, rest: str, start: int, end: int, products: list[str]) -> bool:
    """'the Insights product': a portfolio's or department's name said of a product means the products whose
    names carry it (one: that product; several: the planner asks which)."""
    following = rest[end:].split()
    if not following or following[0].strip(".,;:?!").casefold() not in PRODUCT_NOUNS:
        return False
    said = rest[start:end].casefold()
    matches = sorted(p for p in products if said in p.casefold() and p.casefold() != said)
    if len(matches) == 1 and matches[0] not in q.products:
        q.products.append(matches[0])
    elif len(matches) > 1:
        q.ambiguous_names[rest[start:end]] = matches
    return bool(matches)


NODE_NOUNS = {"portfolio": ("portfolio", "portfolios"), "department": ("department", "departments", "dept", "team"),
              "business_unit": ("bu", "business", "division")}


def _node_or_product(q: Question, rest: str, start: int, end: int, node: tuple[str, str], products: list[str]) -> bool:
    """'Research spend': a one-word node name that is also a word of products' names ('Research Copilot')
    with nothing saying which is meant: the planner asks, rather than answer for one reading silently."""
    name, kind = node
    said = rest[start:end].casefold()
    # Someone scoped to part of the org names their own unit; a kind said anywhere ('which department ...
    # Payments or Mobile') settles it too.
    if not q.ctx.caller.all_access or kind not in NODE_NOUNS or " " in name or said != name.casefold() or (
            set(re.findall(r"[a-z]+", q.raw.casefold())) & set(NODE_NOUNS[kind])):
        return False
    sharing = sorted(p for p in products if said in p.casefold().split())
    before = rest[:start].split()[-1:]
    if before and any(fuzz.ratio(f"{before[0]} {said}".casefold(), p.casefold()) >= 80 for p in sharing):
        return False  # 'custmer insights': the product, misspelt, not the Insights portfolio
    if not sharing or set(sharing) == subtree(q.ctx.store, [name])[1]:  # the same products: the same answer
        return False
    q.ambiguous_names[rest[start:end]] = [f"the {name} {kind.replace('_', ' ')}", *sharing]
    return True


def find_product_words(q: Question, rest: str) -> str:
    """A word or prefix of one visible product's name stands for it ('Checkout' -> Checkout Service);
    a word of several is noted as ambiguous (the planner asks which). Common words never count."""
    nodes = nameable_nodes(q.ctx)
    products = [n for n, kind in nodes if kind == "product"]
    if not products:
        return rest
    for m in NAME_TOKEN.finditer(rest):
        token = re.sub(r"['’]s$", "", m.group(0))
        low = token.casefold()
        if _initials_of_several(q, token, nodes):
            rest = blank_out(rest, m.start(), m.start() + len(token))
            continue
        if len(low) < 4 or low in VOCABULARY or low in NOT_NAMES or low in MONTHS or not token[:1].isalpha():
            continue
        matches = sorted(p for p in products if low in p.casefold().split() or p.casefold().startswith(low))
        if len(matches) == 1 and matches[0] not in q.products:
            q.products.append(matches[0])
        elif len(matches) > 1:
            q.ambiguous_names[token] = matches
        if matches:
            rest = blank_out(rest, m.start(), m.start() + len(token))
    return rest


def _initials_of_several(q: Question, token: str, nodes: list[tuple[str, str]]) -> bool:
    """'HR': a short capitalised abbreviation that begins several visible names (the HR Technology
    department, HR Portal) is noted as ambiguous, not passed on as a name nobody has."""
    if not (2 <= len(token) < 4 and token.isupper() and token.isalpha()) or token.casefold() in NOT_NAMES:
        return False
    low = token.casefold()
    named = [(n, k) for n, k in nodes if n.casefold().split()[0] == low]
    if len(named) < 2:
        return False
    q.ambiguous_names[token] = sorted(
        n if k == "product" else f"the {n} {k.replace('_', ' ')}" for n, k in named)
    return True


def _plain_words(token: str) -> bool:
    """Every part of the token is an ordinary word, never a name ('Bedrock', 'Q4-to-date', 'Month-To-Date')."""
    parts = [p for p in re.split(r"[-.'’]", token.casefold()) if p]
    return bool(parts) and all(p in VOCABULARY or p in NOT_NAMES or p in MONTHS for p in parts)


# A name followed by a date in brackets names that day ('Halloween (31 Oct)', 'Diwali (8 Nov 2026)').
_DATED = re.compile(r"\s*\(\s*(?:\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,}|[A-Za-z]{3,}\s+\d{1,2}(?:st|nd|rd|th)?\b|"
                    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})")


def find_unknown_names(q: Question, rest: str) -> str:
    """Capitalised names matching nothing the caller can see: passed on for the tool's scope check."""
    run: list[tuple[int, int, str]] = []
    runs: list[list[tuple[int, int, str]]] = []
    for m in NAME_TOKEN.finditer(rest):
        tok = re.sub(r"['’]s$", "", m.group(0))
        gap = rest[run[-1][1]: m.start()] if run else ""
        ok = (tok[:1].isupper() and not _plain_words(tok) and not tok.isdigit())
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
        if _DATED.match(rest, r[-1][1]):  # 'Halloween (31 Oct)': a day's name; the date written is read
            rest = blank_out(rest, r[0][0], r[-1][1])
            continue
        q.unknown_names.append(rest[r[0][0]: r[-1][1]])
        rest = blank_out(rest, r[0][0], r[-1][1])
    return rest


# 'Lena's products', "Maria's stuff", 'Hana's app': a person named with what they own
_PERSON_REF = re.compile(r"\b([A-Za-z][A-Za-z-]+)['’]s (products?|apps?|applications?|stuff|workloads?|things|"
                         r"services?)\b", re.IGNORECASE)


# 'which products does Raj own', 'products owned by Raj', 'what Raj owns': a capitalised name with 'own'
_OWNER_REF = re.compile(r"\b(?:do|does|did) ([A-Z][a-z-]+) own\b|\bowned by ([A-Z][a-z-]+)\b|\b([A-Z][a-z-]+) owns\b")


def find_person_refs(q: Question, rest: str) -> str:
    """A person's name with a possessive and a word for what they own ('Lena's products'), or said as who
    owns them ('products owned by Raj'): passed on as the person whose products to keep (the tool resolves
    them within the caller's scope)."""
    for m in [*_PERSON_REF.finditer(rest), *_OWNER_REF.finditer(rest)]:
        group = next(i for i in range(1, (m.re.groups or 0) + 1) if m.group(i)) if m.re is _OWNER_REF else 1
        name = m.group(group)
        low = name.casefold()
        if low in VOCABULARY or low in NOT_NAMES or low in MONTHS:
            continue  # 'my team's products', 'this month's stuff', 'does Steward own'
        q.people.append(name)
        end = m.start(group) + len(name) + (2 if m.re is _PERSON_REF else 0)
        rest = blank_out(rest, m.start(group), end) if m.re is _OWNER_REF else blank_out(rest, m.start(), end)
    return rest
