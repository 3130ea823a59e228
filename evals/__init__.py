"""Evals: questions over the demo org with gold answers computed independently of the tools
(evals/build.py), and the runner that scores the agent on them (evals/run.py)."""

from datetime import date

EVAL_AS_OF = date(2026, 11, 23)  # the frozen "now" of the eval world
EVAL_SEED = 7
