"""Pydantic models of the org file (governance as code).

The org file is YAML; `ledger.org_parse.load_org_file` parses it into `OrgFile`. These models check
each entry on its own (types, required fields, enums, formats); cross-references between sections
(owners, role scopes, claims, decided_by) are checked by `ledger.org_checks` when
`ledger.org_parse.parse_org` reads the file.

Contract: sections and fields may be added, never renamed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ledger.metrics import metric_name
from ledger.months import MonthError, month_key, parse_month
from ledger.personas import PERSONAS, Persona
from ledger.principals import UNKNOWN, normalise_principal

MODEL_STATES = ("approved", "restricted", "blocked")
ACTION_SCOPES = ("inference_only", "agentic_read_only", "agentic_read_write")
NODE_KINDS = ("business_unit", "portfolio", "department", "product")
# Role scope list field -> the node kind its names must have.
ROLE_SCOPE_FIELDS = {
    "products": "product",
    "portfolios": "portfolio",
    "departments": "department",
    "business_units": "business_unit",
}

ModelState = Literal["approved", "restricted", "blocked"]
ActionScope = Literal["inference_only", "agentic_read_only", "agentic_read_write"]

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def _one_of(value: Any, options: tuple[str, ...]) -> Any:
    if isinstance(value, str) and value in options:
        return value
    raise ValueError(f"{value!r} is not one of {', '.join(options)}")


def _account_id(value: Any) -> str:
    if isinstance(value, str) and _ACCOUNT_ID.match(value):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"{value!r} must be a quoted string of 12 digits, e.g. \"{value:012d}\" "
            "(unquoted YAML digits become a number and lose leading zeros)"
        )
    raise ValueError(f"{value!r} is not an AWS account id: a quoted string of 12 digits")


def _a_date(value: Any) -> Any:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date YYYY-MM-DD")


def _email(value: Any) -> Any:
    if isinstance(value, str):
        v = value.strip().lower()
        if re.match(r"^[^@\s]+@[^@\s]+$", v):
            return v
        raise ValueError(f"{value!r} is not an email address")
    return value  # let the str type report the wrong type


class _Strict(BaseModel):
    """Unknown fields are errors; strings are taken as given (no int -> str coercion)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Named(_Strict):
    name: str = Field(min_length=1)


# ---------------------------------------------------------------------------- hierarchy


class Product(_Named):
    pass


class Department(_Named):
    products: list[Product] = []


class Portfolio(_Named):
    departments: list[Department] = []


class BusinessUnit(_Named):
    portfolios: list[Portfolio] = []


# ---------------------------------------------------------------------------- accounts


class Account(_Strict):
    id: str
    name: str | None = None
    owner: str | None = None  # any node name of the hierarchy

    _v_id = field_validator("id", mode="before")(_account_id)


# ---------------------------------------------------------------------------- people


class Role(_Strict):
    persona: Persona
    products: list[str] = []
    portfolios: list[str] = []
    departments: list[str] = []
    business_units: list[str] = []

    @field_validator("persona", mode="before")
    @classmethod
    def _persona(cls, v: Any) -> Any:
        return _one_of(v, PERSONAS)

    def scope(self) -> list[tuple[str, str]]:
        """(node_kind, node_name) for every node this role is scoped to, in file order."""
        return [(kind, n) for f, kind in ROLE_SCOPE_FIELDS.items() for n in getattr(self, f)]


class Person(_Strict):
    email: str
    name: str | None = None
    slack_id: str | None = None
    roles: list[Role] = []

    _v_email = field_validator("email", mode="before")(_email)

    @property
    def personas(self) -> list[str]:
        out: list[str] = []
        for r in self.roles:
            if r.persona not in out:
                out.append(r.persona)
        return out

    def has_persona(self, persona: str) -> bool:
        return any(r.persona == persona for r in self.roles)

    def owns_product(self, product: str) -> bool:
        return any(r.persona == "product_owner" and product in r.products for r in self.roles)


# ---------------------------------------------------------------------------- claims, estimates


# What a claim can name, in precedence order: on a row, the first kind that has a claim in effect wins.
CLAIM_KINDS = ("inference_profile", "tag", "principal_tag", "principal")
_APP_PROFILE = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:application-inference-profile/[A-Za-z0-9]+$")
_TAG = re.compile(r"^([^=\s][^=]*)=(.*)$")


def _tag_pair(value: Any, what: str) -> Any:
    if not isinstance(value, str):
        return value
    m = _TAG.match(value.strip())
    if not m or not m.group(2).strip():
        raise ValueError(f"{value!r} is not a {what} written key=value, e.g. 'bedrock:project=fraud'")
    return f"{m.group(1).strip()}={m.group(2).strip()}"


class Claim(_Strict):
    """A product's claim on Bedrock spend: exactly one of principal, inference_profile, tag or
    principal_tag, counted from claimed_on."""

    principal: str | None = None
    inference_profile: str | None = None  # an application inference profile ARN (line_item_resource_id)
    tag: str | None = None  # a cost-allocation resource tag, key=value as in AWS
    principal_tag: str | None = None  # an IAM principal (session) tag, key=value
    product: str
    claimed_by: str
    claimed_on: date
    note: str | None = None

    _v_by = field_validator("claimed_by", mode="before")(_email)
    _v_on = field_validator("claimed_on", mode="before")(_a_date)

    @field_validator("principal", mode="before")
    @classmethod
    def _principal(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        norm = normalise_principal(v)
        if norm == UNKNOWN or not norm.startswith("arn:"):
            raise ValueError(f"{v!r} is not an IAM principal ARN (arn:aws:iam::<account>:role/<name>)")
        return norm

    @field_validator("inference_profile", mode="before")
    @classmethod
    def _profile(cls, v: Any) -> Any:
        if isinstance(v, str) and not _APP_PROFILE.match(v.strip()):
            raise ValueError(
                f"{v!r} is not an application inference profile ARN (arn:aws:bedrock:<region>:<account>:"
                "application-inference-profile/<id>); system-defined profiles (us.…, global.…) are shared "
                "by every caller and cannot be claimed")
        return v.strip() if isinstance(v, str) else v

    @field_validator("tag", mode="before")
    @classmethod
    def _tag(cls, v: Any) -> Any:
        return _tag_pair(v, "resource tag")

    @field_validator("principal_tag", mode="before")
    @classmethod
    def _principal_tag(cls, v: Any) -> Any:
        return _tag_pair(v, "principal tag")

    @model_validator(mode="after")
    def _exactly_one(self) -> Claim:
        named = [k for k in CLAIM_KINDS if getattr(self, k) is not None]
        if len(named) != 1:
            raise ValueError(f"a claim names exactly one of {', '.join(CLAIM_KINDS)}; "
                             + (f"this one names {' and '.join(named)}" if named else "this one names none"))
        return self

    @property
    def kind(self) -> str:
        """Which of CLAIM_KINDS this claim names."""
        return next(k for k in CLAIM_KINDS if getattr(self, k) is not None)

    @property
    def selector(self) -> str:
        """What the claim names (an ARN, or key=value)."""
        return str(getattr(self, self.kind))

    @property
    def rule(self) -> str:
        """How the claim reads to a person: 'tag bedrock:project=fraud'."""
        return f"{self.kind.replace('_', ' ')} {self.selector}"


class Estimate(_Strict):
    product: str
    month: str
    usd: float = Field(ge=0)
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    unit: str | None = None  # a business metric ('document'): with usd_per_unit, the expected cost per unit
    usd_per_unit: float | None = Field(default=None, ge=0)

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, v: Any) -> Any:
        return metric_name(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _unit_pair(self) -> Estimate:
        if (self.unit is None) != (self.usd_per_unit is None):
            raise ValueError("a per-unit estimate names both unit (e.g. document) and usd_per_unit (e.g. 0.05)")
        return self

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Any:
        if isinstance(v, str):
            return month_key(parse_month(v))
        raise MonthError(f"{v!r} is not a month; use YYYY-MM, e.g. 2026-11")

    @field_validator("usd", "input_tokens", "output_tokens", "usd_per_unit", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(f"{v!r} is not a number")
        return v


# ---------------------------------------------------------------------------- model catalog


class ModelEntry(_Strict):
    id: str = Field(min_length=1)
    state: ModelState
    products: list[str] = []  # only for state restricted: the products allowed to use it
    accounts: list[str] = []  # empty means all accounts
    regions: list[str] = []  # empty means all regions
    action_scope: ActionScope = "inference_only"
    rationale: str
    decided_by: str
    decided_on: date | None = None

    _v_by = field_validator("decided_by", mode="before")(_email)
    _v_on = field_validator("decided_on", mode="before")(_a_date)

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, v: Any) -> Any:
        return _one_of(v, MODEL_STATES)

    @field_validator("action_scope", mode="before")
    @classmethod
    def _scope(cls, v: Any) -> Any:
        return _one_of(v, ACTION_SCOPES)

    @field_validator("accounts", mode="before")
    @classmethod
    def _accounts(cls, v: Any) -> Any:
        if isinstance(v, list):
            bad = [a for a in v if not (isinstance(a, str) and _ACCOUNT_ID.match(a))]
            if bad:
                raise ValueError(
                    f"{bad[0]!r} is not an AWS account id: a quoted string of 12 digits"
                )
        return v

    @field_validator("regions", mode="before")
    @classmethod
    def _regions(cls, v: Any) -> Any:
        if isinstance(v, list):
            bad = [r for r in v if not (isinstance(r, str) and _REGION.match(r))]
            if bad:
                raise ValueError(f"{bad[0]!r} is not an AWS region name such as us-east-1")
        return v

    @field_validator("rationale", mode="before")
    @classmethod
    def _rationale(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            raise ValueError("is blank: say why this decision was made")
        return v


class ModelNameOverride(_Strict):
    billing_name: str = Field(min_length=1)
    model_id: str = Field(min_length=1)
    family: str | None = None


# ---------------------------------------------------------------------------- the file


class OrgFile(_Strict):
    accounts: list[Account] = []
    business_units: list[BusinessUnit] = []
    people: list[Person] = []
    claims: list[Claim] = []
    estimates: list[Estimate] = []
    models: list[ModelEntry] = []
    model_names: list[ModelNameOverride] = []

    # Where the file came from (a path, or "org file"); not part of the content.
    _source: str = PrivateAttr(default="org file")

    @property
    def source(self) -> str:
        return self._source

    def __eq__(self, other: object) -> bool:
        """Equal content, wherever each came from (the source is not part of the content)."""
        if not isinstance(other, OrgFile):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    def nodes(self) -> list[tuple[str, str, str | None, int]]:
        """(kind, name, parent, position within parent) for every node, depth first."""
        out: list[tuple[str, str, str | None, int]] = []
        for i, bu in enumerate(self.business_units):
            out.append(("business_unit", bu.name, None, i))
            for j, pf in enumerate(bu.portfolios):
                out.append(("portfolio", pf.name, bu.name, j))
                for k, dep in enumerate(pf.departments):
                    out.append(("department", dep.name, pf.name, k))
                    for m, prod in enumerate(dep.products):
                        out.append(("product", prod.name, dep.name, m))
        return out

    def products(self) -> list[str]:
        return [n for kind, n, _, _ in self.nodes() if kind == "product"]


SECTIONS = tuple(OrgFile.model_fields)
