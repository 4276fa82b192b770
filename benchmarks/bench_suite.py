"""Benchmark: the test suite's wall time on a fresh clone, as CI runs it.

Workload: ``git clone`` of this repository's committed ``HEAD`` into a temporary folder (no
``.venv``, no book build, no jupyter-cache: nothing from the working tree), then ``python3 dev.py
test`` there, exactly as a new developer or CI would. ``dev.py`` first creates ``.venv`` and
installs the pinned requirements from PyPI (pip's own download cache on this machine may make this
faster than on a brand-new machine), checks for Chromium and TeX Live (installed with apt-get only
when missing), then runs pytest on the whole suite.

The run is timed once, split at the moment pytest prints its session header: *environment setup*
(clone excluded; venv, pip, Debian checks) and *pytest run*. It is a single run, not a median: a
run takes a quarter of an hour or more, and three of them would crowd out the other work on a shared
two-core machine. The pytest summary line (passed / failed / skipped) is reported with it; a failing
test does not stop the benchmark, it is reported.

Usage::

    .venv/bin/python benchmarks/bench_suite.py            # the whole suite
    .venv/bin/python benchmarks/bench_suite.py --quick    # a fresh clone, but only tests/models

The clone is removed afterwards; ``--keep`` keeps it (its path is printed) and its full log.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: pytest arguments of the quick mode: the model tests only (a few seconds once set up).
QUICK_ARGS = ["tests/models"]
_HEADER = re.compile(r"=+ test session starts =+")
_SUMMARY = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+) in ([\d.]+)s")
_COUNTS = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|warnings?|deselected)")


def _python3() -> str:
    """The interpreter dev.py is documented to run with: ``python3`` on PATH (3.11)."""
    exe = shutil.which("python3")
    if exe is None:
        raise FileNotFoundError("python3 not found on PATH")
    return exe


def parse_summary(lines: list[str]) -> dict:
    """Counts from pytest's last summary line: {"passed": n, "failed": n, ...}; {} if none."""
    for line in reversed(lines):
        stripped = line.strip().strip("=").strip()
        if " in " in stripped and _COUNTS.search(stripped):
            counts = {}
            for n, word in _COUNTS.findall(stripped.split(" in ")[0]):
                word = {"error": "errors", "warning": "warnings"}.get(word, word)
                counts[word] = int(n)
            return counts
    return {}


def measure(quick: bool = False, keep: bool = False, log=None) -> dict:
    """Clone HEAD into a temporary folder and time ``python3 dev.py test`` there.

    Returns {"commit", "clone", "setup", "pytest", "total" (seconds; total excludes the clone),
    "exit_code", "counts" (pytest summary), "failures" (pytest's FAILED/ERROR summary lines),
    "pytest_seconds_reported", "quick", "log_tail",
    "path" (the clone if kept, else None)}.

    Raises
    ------
    RuntimeError
        If the clone fails or pytest never starts (environment setup failed).
    """
    log = log or (lambda msg: None)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    base = Path(tempfile.mkdtemp(prefix="bench-suite-"))
    clone = base / "clone"
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                              capture_output=True, text=True)
        clone_s = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"git clone failed: {proc.stderr[-1000:]}")
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        # Not this benchmark's venv: dev.py must find python3 and build its own .venv.
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                      if not p.startswith(str(ROOT / ".venv")))
        # Unbuffered, so that pytest's session header reaches the pipe (and its time stamp) when
        # it is printed, not when an 8 KB buffer fills.
        env["PYTHONUNBUFFERED"] = "1"
        cmd = [_python3(), "dev.py", "test", *(QUICK_ARGS if quick else [])]
        log(f"suite: running {' '.join(cmd)} in a fresh clone of {commit} ({clone})")
        lines: list[str] = []
        header_at = None
        logfile = base / "suite.log"
        start = time.perf_counter()
        with open(logfile, "w", encoding="utf-8") as fh:
            run = subprocess.Popen(cmd, cwd=clone, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace",
                                   stdin=subprocess.DEVNULL)
            for line in run.stdout:
                fh.write(line)
                lines.append(line.rstrip("\n"))
                if header_at is None and _HEADER.search(line):
                    header_at = time.perf_counter()
            code = run.wait()
        total = time.perf_counter() - start
        if header_at is None:
            raise RuntimeError("pytest never started (environment setup failed?):\n"
                               + "\n".join(lines[-40:]))
        counts = parse_summary(lines)
        failures = [ln for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
        reported = None
        for line in reversed(lines):
            m = re.search(r" in ([\d.]+)s", line)
            if m and _COUNTS.search(line):
                reported = float(m.group(1))
                break
        if keep:
            log(f"suite: clone kept at {clone}, log {logfile}")
        return {"commit": commit, "clone": clone_s, "setup": header_at - start,
                "pytest": total - (header_at - start), "total": total, "exit_code": code,
                "counts": counts, "failures": failures, "pytest_seconds_reported": reported, "quick": quick,
                "log_tail": lines[-60:], "path": str(clone) if keep else None}
    finally:
        if not keep:
            t_clean = time.perf_counter()
            shutil.rmtree(base, ignore_errors=True)
            log(f"suite: clone removed in {time.perf_counter() - t_clean:.0f} s")


def markdown(result: dict) -> str:
    """The result of :func:`measure` as a Markdown table."""
    counts = ", ".join(f"{n} {k}" for k, n in result["counts"].items()) or "no summary line"
    what = "`python3 dev.py test " + " ".join(QUICK_ARGS) + "`" if result["quick"] else \
        "`python3 dev.py test`"
    return "\n".join([
        f"One run of {what} in a fresh `git clone` of commit `{result['commit']}` "
        "(single run, not a median; see `benchmarks/bench_suite.py`).", "",
        "| stage | wall time |", "|---|---:|",
        f"| environment setup (new `.venv`, pinned requirements from PyPI, Debian checks) | "
        f"{_mmss(result['setup'])} |",
        f"| pytest run | {_mmss(result['pytest'])} |",
        f"| total (`dev.py test`, clone of {result['clone']:.0f} s not included) | "
        f"{_mmss(result['total'])} |", "",
        f"pytest: {counts}; exit code {result['exit_code']}."]
        + (["", "Failed (pytest's short summary):", ""]
           + [f"- `{ln[:200]}`" for ln in result.get("failures", [])[:60]]
           if result.get("failures") else []))


def _mmss(seconds: float) -> str:
    minutes, sec = divmod(int(round(seconds)), 60)
    return f"{minutes} min {sec:02d} s ({seconds:.0f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fresh clone, model tests only")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its log")
    args = parser.parse_args(argv)
    result = measure(args.quick, args.keep, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(markdown(result))
    if result["exit_code"] != 0:
        print("\n" + "\n".join(result["log_tail"][-30:]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
