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

MAX_ORG_BYTES = 2_000_000   # an org file of thousands of people and accounts is well under this
MAX_EXPANDED_NODES = 200_000  # YAML nodes once aliases are expanded (an alias bomb is billions)
MAX_NESTING = 64  # collections inside collections: an org file needs about 8


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of keeping the last silently, and a document whose
    aliases would expand beyond MAX_EXPANDED_NODES (checked on the composed graph, before building it), or
    whose collections nest deeper than MAX_NESTING (PyYAML composes recursively: 10,000 `[` would end in a
    RecursionError)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= MAX_NESTING:
            raise yaml.composer.ComposerError(
                None, None, f"its collections are nested more than {MAX_NESTING} levels deep; an org file needs "
                "far fewer: is it the right file?", self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"its aliases expand to more than {MAX_EXPANDED_NODES:,} values; write the values out "
                "instead of repeating anchors", node.start_mark)
        return node


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has with every alias expanded: linear in the composed graph (each
    shared node is sized once), however many times it is repeated."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a recursive alias counts once; the constructor refuses nothing here
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        sizes[id(node)] = total
        return total

    return size(root)


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
    if len(text) > MAX_ORG_BYTES:
        raise RegistryError(source, f"the org file is larger than {MAX_ORG_BYTES:,} bytes; is it the right file?")
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
        if p.stat().st_size > MAX_ORG_BYTES:
            raise RegistryError(str(p), f"the org file is larger than {MAX_ORG_BYTES:,} bytes; is it the right file?")
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
