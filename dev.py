#!/usr/bin/env python3
"""Set up and run the course package: ``python3 dev.py book`` or ``python3 dev.py test``.

Both commands first make sure a virtual environment in ``.venv`` holds exactly what
``requirements.txt`` pins (plus this repository's ``learning_dynamics`` package); they reinstall only
when ``requirements.txt`` or ``pyproject.toml`` changed. Needs only Python 3.11 and access to PyPI.

    book    build the Jupyter Book strictly into book/_build/html
    test    run the whole test suite (pytest); extra arguments are passed to pytest
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
STAMP = VENV / ".installed-requirements"


def _requirements_hash() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the pinned requirements if they are missing or out of date."""
    if sys.version_info[:2] != (3, 11):
        print(f"warning: the course is pinned for Python 3.11; this is {sys.version.split()[0]}",
              file=sys.stderr)
    wanted = _requirements_hash()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check"]
    print("Installing pinned requirements (first run only) ...", flush=True)
    subprocess.run(pip + ["install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "--quiet", "-r", str(ROOT / "requirements.txt"),
                          "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted)


def build_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # keeps debugger notices off stderr
    return env


def book(extra: list[str]) -> int:
    """Build the book strictly: warnings are errors, nitpicky references, cached execution."""
    cmd = [str(BIN / "jupyter-book"), "build", str(ROOT / "book"),
           "--warningiserror", "--nitpick", "--keep-going", *extra]
    return subprocess.run(cmd, cwd=ROOT, env=build_env()).returncode


def test(extra: list[str]) -> int:
    cmd = [str(BIN / "python"), "-m", "pytest", *extra]
    return subprocess.run(cmd, cwd=ROOT, env=build_env()).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"book", "test"}:
        print(__doc__)
        return 2
    ensure_environment()
    command, extra = argv[0], argv[1:]
    return book(extra) if command == "book" else test(extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
