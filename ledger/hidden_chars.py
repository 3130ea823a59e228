"""Characters that make a name read as something else: C0/C1 controls (but newline and tab),
bidirectional overrides and isolates, zero-width and invisible joiners; and names equal once folded."""

from __future__ import annotations

import unicodedata

HIDDEN = frozenset({*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x061C, 0x180E,
                    *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065),
                    *range(0x2066, 0x206A), 0xFEFF})
_ESCAPES = {c: f"\\u{c:04x}" for c in HIDDEN}


def has_hidden(text: str) -> bool:
    return any(ord(ch) in HIDDEN for ch in text)


def escape_hidden(text: str) -> str:
    """Each hidden character as \\uXXXX."""
    return text.translate(_ESCAPES)


def folded(name: str) -> str:
    """The form two names share when they differ only in case or Unicode normalisation."""
    return unicodedata.normalize("NFKC", name).casefold()
