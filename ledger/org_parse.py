"""Reading an org file: YAML (duplicate keys rejected), then the schema, then the cross-checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ledger.errors import RegistryError
from ledger.org_checks import cross_check
from ledger.org_errors import Errors, pydantic_errors, raise_errors, show_value
from ledger.org_schema import SECTIONS, OrgFile

class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of keeping the last silently."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark,
                )
            seen.add(key)
        except TypeError:
            pass
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_org_text(text: str, source: str = "org file") -> OrgFile:
    """Parse org-file YAML text; RegistryError with line and column on a YAML syntax error."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{source}, line {mark.line + 1}, column {mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        raise RegistryError(
            where, f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        ) from exc
    return parse_org(data, source)


def load_org_file(path: str | Path) -> OrgFile:
    """Read and validate an org file (schema and cross-references; no store needed)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RegistryError(str(p), "no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(str(p), f"cannot read the org file: {exc}") from exc
    return load_org_text(text, str(p))


def parse_org(data: dict, source: str = "org file") -> OrgFile:
    """Validate an org file already read into Python data: schema, then cross-references."""
    if data is None:
        raise RegistryError(
            source, f"is empty; an org file is a mapping with sections {', '.join(SECTIONS)}"
        )
    if not isinstance(data, dict):
        raise RegistryError(
            source,
            f"must be a mapping with sections {', '.join(SECTIONS)}, got {show_value(data)}",
        )
    schema_errors: Errors = []
    try:
        org = OrgFile.model_validate(data)
    except ValidationError as exc:
        schema_errors = pydantic_errors(exc)
    # Raised outside the except block: the pydantic error is not chained (ours says it all).
    raise_errors(schema_errors)
    raise_errors(cross_check(org))
    org._source = source
    return org
