"""One strict, clean book build per test session, shared by tests/book and tests/browser.

``clean_book_build`` copies ``book/`` and ``notebooks/`` to a scratch folder (``copy_book``, from
``book_copy.py``, which ``benchmarks/bench_book.py`` uses too) and runs the strict build there
(``jupyter-book build --warningiserror --nitpick --keep-going``), so the tests never depend on,
or disturb, a build in the working tree. The result is kept in this module, so every fixture
that calls it in the same session (``clean_build`` here, ``built_html`` in
tests/browser/conftest.py) gets the same folder and the book is built once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from book.book_copy import copy_book  # noqa: F401 - also imported from here by tests/browser
from conftest import run_tool

_SESSION: dict[str, tuple[Path, int, str]] = {}


def build_book(book: Path, *extra: str, timeout: float = 3000) -> tuple[int, str]:
    """Run the strict HTML build of ``book`` (extra arguments are passed to jupyter-book).

    Returns (exit code, stdout + stderr).
    """
    proc = run_tool(["jupyter-book", "build", str(book), "--warningiserror", "--nitpick",
                     "--keep-going", *extra], cwd=book.parent, timeout=timeout,
                    own_network=True)
    return proc.returncode, proc.stdout + proc.stderr


def clean_book_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book folder of this session's clean strict build (built on the first call only).

    Fails the calling test with the end of the build log if the build failed.
    """
    if "clean" not in _SESSION:
        book = copy_book(tmp_path_factory.mktemp("clean"))
        code, log = build_book(book)
        _SESSION["clean"] = (book, code, log)
    book, code, log = _SESSION["clean"]
    assert code == 0, f"the strict book build failed:\n{log[-5000:]}"
    return book


@pytest.fixture(scope="session")
def clean_build(tmp_path_factory) -> Path:
    """The book folder (sources, ``_build/html``, execution cache) of the session's clean build."""
    return clean_book_build(tmp_path_factory)
