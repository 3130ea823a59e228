"""The eval gate: what each set must reach (accuracy, confident-wrong rate, leaks), and which of those
a report misses. `steward eval` exits non-zero when any is missed; the values are its flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Gate:
    """The bar one eval set must clear."""

    min_accuracy: float
    max_confident_wrong_rate: float = 0.02  # answered in full, yet wrong: worse than a refusal
    max_leaks: int = 0


# dev: the generated set the planner was written with; heldout: written apart from it (issue 14).
GATES = {"dev": Gate(min_accuracy=0.95), "heldout": Gate(min_accuracy=0.85)}


def gate_failures(name: str, report: dict[str, Any], gate: Gate) -> list[str]:
    """What a set's report misses of its gate, in words ('' when it clears it)."""
    out = []
    if report["accuracy"] < gate.min_accuracy:
        out.append(f"{name}: accuracy {report['accuracy']:.1%} is below {gate.min_accuracy:.1%}")
    if report["confident_wrong_rate"] > gate.max_confident_wrong_rate:
        out.append(f"{name}: confident-wrong {report['confident_wrong_rate']:.1%} ({report['confident_wrong']} "
                   f"cases) is above {gate.max_confident_wrong_rate:.1%}")
    if report["leaks"] > gate.max_leaks:
        out.append(f"{name}: {report['leaks']} case(s) leaked (at most {gate.max_leaks})")
    return out
