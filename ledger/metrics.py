"""Business metric names (the units of value whose cost Steward reports): one spelling per unit."""

from __future__ import annotations

import re

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def metric_name(text: str) -> str:
    """The stored name of a metric: lower case, words joined by '_', in the singular ('Documents' ->
    'document', 'PR reviews' -> 'pr_review'), so a CSV, the record_metric tool and an estimate per unit
    agree on it. A ValueError says what a name may be."""
    name = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if len(name) > 3 and name.endswith("s") and not name.endswith("ss"):
        name = name[:-1]
    if not _NAME.match(name):
        raise ValueError(f"{text!r} is not a metric name: use a unit in words, letters first, up to 40 "
                         "letters, digits, spaces or '_' (e.g. document, chat, pr_review)")
    return name


def unit_label(metric: str) -> str:
    """How a metric reads after 'per': 'pr_review' -> 'pr review'."""
    return metric.replace("_", " ")
