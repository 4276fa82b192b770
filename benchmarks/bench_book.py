"""Benchmark: cold book build against a rebuild after a one-line prose change.

Workload: the whole book (chapters, labs, generated pages), built strictly as ``dev.py book`` does,
in a scratch copy so the working tree is untouched.

- *cold*: empty ``_build`` (no Sphinx environment, no jupyter-cache), so every notebook executes;
- *rebuild*: the same copy after one sentence is appended to a prose chapter; Sphinx re-reads the
  changed page (and pages that depend on it) and jupyter-cache skips every unchanged notebook.

Each is timed ``--runs`` times (default 3); medians and the ratio are printed as a Markdown table.
Target (issue "Benchmarks"): the rebuild at least 10 times faster than the cold build.

Usage::

    .venv/bin/python benchmarks/bench_book.py [--runs 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHANGED_PAGE = Path("chapters") / "conclusion.md"


def _load_copy_book():
    """``copy_book`` of the book tests (tests/book/book_copy.py), loaded by path, so that the
    benchmark builds exactly the scratch copy the tests build."""
    spec = importlib.util.spec_from_file_location("book_copy", ROOT / "tests" / "book" / "book_copy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.copy_book


copy_book = _load_copy_book()


def _build(book: Path) -> float:
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "jupyter-book"), "build", str(book), "--warningiserror",
                           "--nitpick", "--keep-going"], cwd=book.parent, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError("book build failed:\n" + (proc.stdout + proc.stderr)[-3000:])
    return elapsed


def measure(runs: int) -> dict[str, list[float]]:
    """Time ``runs`` cold builds and ``runs`` rebuilds (each after a fresh one-line change)."""
    cold, warm = [], []
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            book = copy_book(Path(tmp))
            cold.append(_build(book))
            page = book / CHANGED_PAGE
            page.write_text(page.read_text("utf-8") + f"\nA sentence added for benchmark run {i}.\n",
                            "utf-8")
            warm.append(_build(book))
    return {"cold": cold, "rebuild": warm}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    times = measure(args.runs)
    cold, warm = statistics.median(times["cold"]), statistics.median(times["rebuild"])
    print("| Book build | median (s) | runs (s) |")
    print("|---|---|---|")
    print(f"| cold (empty cache) | {cold:.1f} | {', '.join(f'{t:.1f}' for t in times['cold'])} |")
    print(f"| rebuild after a one-line prose change | {warm:.1f} | "
          f"{', '.join(f'{t:.1f}' for t in times['rebuild'])} |")
    print(f"\nRebuild speed-up: {cold / warm:.1f}x (target: at least 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
