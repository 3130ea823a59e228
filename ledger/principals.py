"""IAM principal normalisation: the attribution key for Bedrock spend."""

from __future__ import annotations

import re

UNKNOWN = "unknown"

_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.*$")
_API_KEY_USER = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:user/(?:.*/)?BedrockAPIKey-[^/]+$")

# The same rules in DuckDB SQL, applied once per distinct principal during ingest.
SQL_NORMALISE = (
    "CASE WHEN coalesce(trim({col}), '') = '' THEN 'unknown' "
    "ELSE regexp_replace(trim({col}), "
    r"'^arn:(aws[a-z-]*):sts::(\d{{12}}):assumed-role/([^/]+)/.*$', 'arn:\1:iam::\2:role/\3') END"
)
SQL_TYPE = (
    "CASE WHEN {norm} = 'unknown' THEN 'unknown' "
    r"WHEN regexp_matches({norm}, '^arn:aws[a-z-]*:iam::\d{{12}}:role/') THEN 'role' "
    r"WHEN regexp_matches({norm}, '^arn:aws[a-z-]*:iam::\d{{12}}:user/(.*/)?BedrockAPIKey-') THEN 'api_key' "
    r"WHEN regexp_matches({norm}, '^arn:aws[a-z-]*:iam::\d{{12}}:user/') THEN 'user' "
    r"WHEN regexp_matches({norm}, '^arn:aws[a-z-]*:iam::\d{{12}}:root$') THEN 'root' "
    "ELSE 'other' END"
)


def normalise_principal(value: str | None) -> str:
    """Assumed-role session ARNs become the role ARN; users and API keys stay as they are."""
    if value is None or not value.strip():
        return UNKNOWN
    value = value.strip()
    m = _ASSUMED_ROLE.match(value)
    if m:
        partition, account, role = m.groups()
        return f"arn:{partition}:iam::{account}:role/{role}"
    return value


def principal_type(normalised: str) -> str:
    if normalised == UNKNOWN:
        return "unknown"
    if re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/", normalised):
        return "role"
    if _API_KEY_USER.match(normalised):
        return "api_key"
    if re.match(r"^arn:aws[a-z-]*:iam::\d{12}:user/", normalised):
        return "user"
    if re.match(r"^arn:aws[a-z-]*:iam::\d{12}:root$", normalised):
        return "root"
    return "other"


def role_name(normalised: str) -> str | None:
    """The role name of a role ARN (the last path segment), else None."""
    m = re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:.*/)?([^/]+)$", normalised)
    return m.group(1) if m else None


def account_of(normalised: str) -> str | None:
    m = re.match(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):", normalised)
    return m.group(1) if m else None
