#!/usr/bin/env python3
"""Two-command setup: `python3 dev.py demo` and `python3 dev.py test`.

Creates ./.venv with the standard library's venv, installs Steward into it with pip (again only
when pyproject.toml changed), then runs the demo or the test suite. Needs only Python 3.11 and pip.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_env(extras: str) -> None:
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    print(f"installing {target} into {VENV} ...", flush=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", target], check=True)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "help"
    rest = argv[1:]
    if cmd == "demo":
        ensure_env("")
        return subprocess.call([str(BIN / "steward"), "demo", *rest], cwd=ROOT)
    if cmd == "test":
        ensure_env("test")
        return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)
    if cmd == "bench":
        ensure_env("test")
        return subprocess.call([str(BIN / "python"), *rest], cwd=ROOT)
    print(__doc__)
    print("usage: python3 dev.py demo [steward demo options] | test [pytest args] | bench bench/ingest.py [args]")
    return 0 if cmd in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
