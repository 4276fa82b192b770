"""The scratch copy of the book that every book build outside the working tree starts from.

Plain code (no pytest), so that both ``tests/book/conftest.py`` and ``benchmarks/bench_book.py``
use the same copy: the benchmark loads this file by its path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def copy_book(dst: Path, root: Path = ROOT) -> Path:
    """Copy book/ and notebooks/ (the labs are linked into the book as book/labs) into ``dst``.

    The nbgrader course's config and sources come along too: the build releases the student
    versions from ``../assignments`` (book/_ext/student_versions.py). ``root`` is the repository
    to copy from. Returns ``dst / "book"``.
    """
    shutil.copytree(root / "book", dst / "book", symlinks=True,
                    ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    shutil.copytree(root / "notebooks", dst / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (dst / "assignments").mkdir()
    shutil.copy2(root / "assignments" / "nbgrader_config.py", dst / "assignments")
    shutil.copytree(root / "assignments" / "source", dst / "assignments" / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dst / "book"
