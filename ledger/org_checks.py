"""Org file cross-checks: references between sections, uniqueness, and claims against the CUR rows."""

from __future__ import annotations

from ledger.attribution import selector_condition
from ledger.hidden_chars import escape_hidden, folded, has_hidden
from ledger.org_errors import Errors, raise_errors, suggest
from ledger.org_schema import ROLE_SCOPE_FIELDS, OrgFile, Person
from ledger.store import Store


class _Hierarchy:
    """The names of the hierarchy (unique across every level) and checks of references to them."""

    def __init__(self, org: OrgFile, errors: Errors) -> None:
        self.errors = errors
        self.kind: dict[str, str] = {}
        self.where: dict[str, str] = {}
        self.folded: dict[str, str] = {}  # case/NFKC-folded name -> where it first appears
        for i, bu in enumerate(org.business_units):
            w_bu = f"business_units[{i}]"
            self._add("business_unit", bu.name, f"{w_bu}.name")
            for j, portfolio in enumerate(bu.portfolios):
                w_pf = f"{w_bu}.portfolios[{j}]"
                self._add("portfolio", portfolio.name, f"{w_pf}.name")
                for k, dep in enumerate(portfolio.departments):
                    w_dep = f"{w_pf}.departments[{k}]"
                    self._add("department", dep.name, f"{w_dep}.name")
                    for m, prod in enumerate(dep.products):
                        self._add("product", prod.name, f"{w_dep}.products[{m}].name")

    def _add(self, kind: str, name: str, where: str) -> None:
        if has_hidden(name):
            self.errors.append((where, f"{escape_hidden(name)!r} contains hidden characters (controls, "
                                       "bidirectional overrides or zero-width); write the name plainly"))
            return
        same = self.folded.get(folded(name))
        if same is not None and name not in self.kind:
            self.errors.append((where, f"{name!r} differs only in case or Unicode form from the name at {same}; "
                                       "they would read as one name: use one spelling"))
            return
        self.folded.setdefault(folded(name), where)
        if name in self.kind:
            self.errors.append((
                where,
                f"{name!r} is already the name of the {self.kind[name].replace('_', ' ')} at "
                f"{self.where[name]}; names must be unique across business units, portfolios, "
                "departments and products",
            ))
            return
        self.kind[name] = kind
        self.where[name] = where

    def check(self, where: str, name: str, kind: str | None) -> bool:
        """Is `name` a node (of `kind`, unless None)? If not, say so at `where`."""
        if name in self.kind and (kind is None or self.kind[name] == kind):
            return True
        if name in self.kind:
            self.errors.append((
                where,
                f"{name!r} is a {self.kind[name].replace('_', ' ')}, not a "
                f"{kind.replace('_', ' ')}",  # type: ignore[union-attr]
            ))
        elif kind is None:
            self.errors.append((
                where,
                f"{name!r} is not a business unit, portfolio, department or product in "
                f"business_units{suggest(name, list(self.kind))}",
            ))
        else:
            pool = [n for n, k in self.kind.items() if k == kind]
            self.errors.append((
                where,
                f"{name!r} is not a {kind.replace('_', ' ')} in business_units{suggest(name, pool)}",
            ))
        return False


def _note_first(first: dict[str, int], key: str, i: int, section: str, field: str, errors: Errors) -> None:
    """Remember where a key first appears in a section; a repeat is an error at the repeat."""
    if key in first:
        errors.append((f"{section}[{i}].{field}", f"{key!r} is listed twice (first at {section}[{first[key]}])"))
    else:
        first[key] = i


def _check_accounts(org: OrgFile, nodes: _Hierarchy, errors: Errors) -> dict[str, int]:
    account_at: dict[str, int] = {}
    for i, acct in enumerate(org.accounts):
        _note_first(account_at, acct.id, i, "accounts", "id", errors)
        if acct.owner is not None:
            nodes.check(f"accounts[{i}].owner", acct.owner, None)
    return account_at


def _check_people(org: OrgFile, nodes: _Hierarchy, errors: Errors) -> dict[str, Person]:
    person_at: dict[str, int] = {}
    slack_at: dict[str, int] = {}
    for i, p in enumerate(org.people):
        w = f"people[{i}]"
        _note_first(person_at, p.email, i, "people", "email", errors)
        if p.slack_id:
            if p.slack_id in slack_at:
                errors.append((f"{w}.slack_id", f"{p.slack_id!r} is already the slack_id of "
                               f"people[{slack_at[p.slack_id]}]"))
            else:
                slack_at[p.slack_id] = i
        for j, role in enumerate(p.roles):
            wr = f"{w}.roles[{j}]"
            for field, kind in ROLE_SCOPE_FIELDS.items():
                for k, name in enumerate(getattr(role, field)):
                    nodes.check(f"{wr}.{field}[{k}]", name, kind)
            if role.persona == "product_owner" and not role.products:
                errors.append((f"{wr}.products",
                               "product_owner needs products: the products this person owns"))
            if role.persona == "portfolio_manager" and not (
                role.portfolios or role.departments or role.business_units
            ):
                errors.append((f"{wr}.portfolios",
                               "portfolio_manager needs portfolios (or departments / "
                               "business_units for managers above portfolio level)"))
    return {p.email: p for p in org.people}


def _check_claims(org: OrgFile, nodes: _Hierarchy, people: dict[str, Person], errors: Errors) -> None:
    claim_at: dict[str, int] = {}
    for i, c in enumerate(org.claims):
        w = f"claims[{i}]"
        if c.rule in claim_at:
            first = org.claims[claim_at[c.rule]]
            errors.append((
                f"{w}.{c.kind}",
                f"{c.selector!r} is already claimed at claims[{claim_at[c.rule]}] "
                f"(for {first.product!r}); a {c.kind.replace('_', ' ')} belongs to one product at a time",
            ))
        else:
            claim_at[c.rule] = i
        product_ok = nodes.check(f"{w}.product", c.product, "product")
        who = people.get(c.claimed_by)
        if who is None:
            errors.append((f"{w}.claimed_by", f"{c.claimed_by!r} is not a person in people"
                           f"{suggest(c.claimed_by, list(people))}"))
        elif product_ok and not (who.owns_product(c.product) or who.has_persona("finops_lead")):
            errors.append((
                f"{w}.claimed_by",
                f"{c.claimed_by!r} is neither a product_owner of {c.product!r} nor a finops_lead",
            ))


def _check_estimates(org: OrgFile, nodes: _Hierarchy, errors: Errors) -> None:
    estimate_at: dict[tuple[str, str], int] = {}
    for i, e in enumerate(org.estimates):
        w = f"estimates[{i}]"
        nodes.check(f"{w}.product", e.product, "product")
        key = (e.product, e.month)
        if key in estimate_at:
            errors.append((f"{w}.month", f"{e.product!r} already has an estimate for {e.month} "
                           f"at estimates[{estimate_at[key]}]"))
        else:
            estimate_at[key] = i


def _check_models(org: OrgFile, nodes: _Hierarchy, people: dict[str, Person], account_at: dict[str, int],
                  errors: Errors) -> None:
    model_at: dict[str, int] = {}
    for i, m in enumerate(org.models):
        w = f"models[{i}]"
        _note_first(model_at, m.id, i, "models", "id", errors)
        if m.state == "restricted" and not m.products:
            errors.append((f"{w}.products",
                           "state restricted needs products: the products allowed to use this model"))
        if m.state != "restricted" and m.products:
            errors.append((f"{w}.products", f"products applies only to state restricted; this "
                           f"entry is {m.state} (remove products or make it restricted)"))
        for k, name in enumerate(m.products):
            nodes.check(f"{w}.products[{k}]", name, "product")
        for k, acct_id in enumerate(m.accounts):
            if acct_id not in account_at:
                errors.append((f"{w}.accounts[{k}]", f"{acct_id!r} is not an account in accounts"))
        who = people.get(m.decided_by)
        if who is None:
            errors.append((f"{w}.decided_by", f"{m.decided_by!r} is not a person in people"
                           f"{suggest(m.decided_by, list(people))}"))
        elif not who.has_persona("finops_lead"):
            errors.append((f"{w}.decided_by", f"{m.decided_by!r} is not a finops_lead; only a "
                           "finops_lead decides on models"))


def cross_check(org: OrgFile) -> Errors:
    """Every problem between sections, in file order: hierarchy names, accounts, people and their
    roles, claims, estimates, the model catalog and model names."""
    errors: Errors = []
    nodes = _Hierarchy(org, errors)
    account_at = _check_accounts(org, nodes, errors)
    people = _check_people(org, nodes, errors)
    _check_claims(org, nodes, people, errors)
    _check_estimates(org, nodes, errors)
    _check_models(org, nodes, people, account_at, errors)
    name_at: dict[str, int] = {}
    for i, n in enumerate(org.model_names):
        _note_first(name_at, n.billing_name, i, "model_names", "billing_name", errors)
    return errors


def _unmatched_selector_claims(store: Store, org: OrgFile) -> list[int]:
    """Positions of the claims by profile or tag that no bedrock_usage row matches (a row's tags are its
    set's, in usage_tag_sets)."""
    missing = []
    for i, c in enumerate(org.claims):
        if c.kind == "principal":
            continue
        condition, params = selector_condition(c, profile="usage.resource_id")
        if not store.rows(f"SELECT 1 FROM bedrock_usage usage LEFT JOIN usage_tag_sets tags "
                          f"USING (billing_period, tag_set) WHERE {condition} LIMIT 1", params):
            missing.append(i)
    return missing


def check_claims_against_usage(store: Store, org: OrgFile) -> None:
    """Every claim must match at least one bedrock_usage row (its principal, profile or tag)."""
    principals = [c.principal for c in org.claims if c.kind == "principal"]
    seen = {r[0] for r in store.rows(
        "SELECT DISTINCT usage.principal FROM bedrock_usage usage "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS principal) claimed ON usage.principal = claimed.principal",
        [principals],
    )} if principals else set()
    missing = [(i, c) for i, c in enumerate(org.claims) if c.kind == "principal" and c.principal not in seen]
    errors: Errors = []
    if missing:
        known = [r[0] for r in store.rows(
            "SELECT DISTINCT principal FROM bedrock_usage WHERE principal <> 'unknown' LIMIT 10000")]
        errors += [
            (f"claims[{i}].principal",
             f"no CUR row has principal {c.principal!r}{suggest(c.principal, known)}; ingest CUR "
             "first, or make a test invocation with the role so it appears in the next CUR delivery")
            for i, c in missing
        ]
    for i in _unmatched_selector_claims(store, org):
        c = org.claims[i]
        where = "line_item_resource_id" if c.kind == "inference_profile" else (
            "resource_tags (activate it as a cost-allocation tag)" if c.kind == "tag"
            else "the IAM principal tags (activate it as a cost-allocation tag of the IAM principal category)")
        errors.append((f"claims[{i}].{c.kind}",
                       f"no CUR row has {c.rule} in {where}; ingest CUR with it first"))
    raise_errors(sorted(errors, key=lambda e: int(e[0].split("[")[1].split("]")[0])))
