"""Run every benchmark in one go and print one Markdown report (the README's "Benchmarks" table).

    .venv/bin/python benchmarks/run.py            # full run: about an hour on 2 cores
    .venv/bin/python benchmarks/run.py --quick    # small workloads, a few minutes
    .venv/bin/python benchmarks/run.py --parts march grading   # some parts only

Parts, run one after another in this order (never at the same time, so they do not slow each
other down):

1. ``march``: March's Figure-1 sweep, vectorised against the loop (``bench_march``);
2. ``book``: cold book build against a rebuild after a one-line prose change (``bench_book``);
3. ``grading``: our pipeline against plain serial ``nbgrader autograde``, classes of 10, 30 and 60,
   with identical grades (``bench_grading``);
4. ``suite``: ``python3 dev.py test`` in a fresh clone (``bench_suite``).

The report starts with the machine (CPU model, cores, memory, Python and key package versions,
commit, date) and the load average sampled every 15 seconds during each part (the machine may be
shared), then a summary of the targets, then each part's table. It is printed and written to
``benchmarks/results/latest.md`` (git-ignored) after each part, so an interrupted run keeps what it
measured. Progress lines go to stderr. Full run: medians of 3 runs (book; March; grading at every class
size), 1 run for the suite (see each module's docstring). ``--quick``:
1 run of each, small workloads; its numbers are not comparable with the targets.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

PARTS = ("march", "book", "grading", "suite")
RESULTS = HERE / "results" / "latest.md"
PACKAGES = ("numpy", "pandas", "nbgrader", "nbclient", "jupyter-book", "sphinx", "jupyter-cache",
            "myst-nb")
#: Targets from the issue: (part, what, threshold).
BOOK_TARGET = 10.0
GRADING_TARGET = 1.8
MARCH_TARGET = 30.0
MARCH_SECONDS = 1.5  # "about a second in all": met if the vectorised sweep's median is at most this


def machine() -> dict:
    """CPU model, cores, memory, OS, Python and package versions, commit and date (UTC)."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "memory_gib": mem, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "versions": versions,
            "commit": commit + (" (working tree with uncommitted changes)" if dirty else ""),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


class LoadSampler:
    """Samples the 1-minute load average every ``interval`` seconds in a background thread."""

    def __init__(self, interval: float = 15.0):
        self.interval, self.samples = interval, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.interval):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> str:
        s = self.samples or [os.getloadavg()[0]]
        return f"{min(s):.1f} / {statistics.median(s):.1f} / {max(s):.1f}"


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_march(quick: bool) -> tuple[str, list]:
    import bench_march
    r = bench_march.measure(quick=quick)
    vec, loop = statistics.median(r["vectorised"]), statistics.median(r["loop"])
    speed = loop / vec
    target = [("March Figure-1 sweep, vectorised vs loop", f">= {MARCH_TARGET:.0f}x and about 1 s",
               f"{speed:.1f}x, {vec:.2f} s (loop {loop:.1f} s); {r['big_reps']:,} replications "
               f"per setting: {r['big_time']:.1f} s",
               speed >= MARCH_TARGET and vec <= MARCH_SECONDS)]
    return bench_march.markdown(r, equilibrium_table=False), target


def run_book(quick: bool) -> tuple[str, list]:
    import bench_book
    runs = 1 if quick else 3
    times = bench_book.measure(runs)
    cold, warm = statistics.median(times["cold"]), statistics.median(times["rebuild"])
    fmt = lambda ts: ", ".join(f"{t:.0f}" for t in ts)  # noqa: E731
    text = "\n".join([
        f"Whole book, strict build as `dev.py book`, in a scratch copy; {runs} run(s) each.", "",
        "| build | median (s) | runs (s) |", "|---|---:|---|",
        f"| cold (empty `_build`, no jupyter-cache) | {cold:.1f} | {fmt(times['cold'])} |",
        f"| rebuild after a one-line prose change | {warm:.1f} | {fmt(times['rebuild'])} |",
        f"| ratio cold / rebuild | {cold / warm:.1f}x | |"])
    target = [("Book: rebuild after one-line change vs cold build", f">= {BOOK_TARGET:.0f}x faster",
               f"{cold / warm:.1f}x ({cold:.0f} s vs {warm:.0f} s)", cold / warm >= BOOK_TARGET)]
    return text, target


def run_grading(quick: bool) -> tuple[str, list]:
    import bench_grading
    sizes = (3, 5) if quick else bench_grading.DEFAULT_SIZES
    runs = 1 if quick else 3
    r = bench_grading.measure(sizes, runs=runs, small_runs=runs, log=_log)
    big = r["sizes"][-1]
    med = statistics.median
    ser, pipe = med(big["serial"]), med(big["pipeline"])
    bare = med(big["pipeline_no_feedback"])
    both = med([a + f for a, f in zip(big["serial"], big["serial_feedback"])])
    text = (f"Class sizes {', '.join(str(s) for s in sizes)}; {runs} run(s) of each. Our pipeline: "
            f"`course_tools.pipeline.run_pipeline` with its defaults ({os.cpu_count()} students at a "
            "time, sandboxed kernels, pre-flight, feedback, export, report), and the same with "
            "`--no-feedback`. Serial: plain `nbgrader autograde ps1` over the same submissions in "
            "an identical copy of the course, then `nbgrader generate_feedback ps1` (timed "
            "apart).\n\n" + bench_grading.markdown(r))
    target = [(f"Grading {big['n']} submissions: pipeline vs serial `nbgrader autograde`",
               f">= {GRADING_TARGET}x faster, identical grades (judged like for like: the "
               "pipeline doing the same work)",
               f"{ser / bare:.2f}x doing the same work (`--no-feedback`: {bare:.0f} s vs {ser:.0f} s); "
               f"{both / pipe:.2f}x with feedback on both sides ({pipe:.0f} s vs {both:.0f} s); "
               f"the default pipeline (with feedback) against autograde alone: {ser / pipe:.2f}x; "
               "grades identical",
               ser / bare >= GRADING_TARGET)]
    return text, target


def run_suite(quick: bool) -> tuple[str, list]:
    import bench_suite
    r = bench_suite.measure(quick=quick, log=_log)
    counts = ", ".join(f"{n} {k}" for k, n in r["counts"].items())
    target = [("Test suite on a fresh clone (`python3 dev.py test`)", "(no target: reported)",
               f"{r['total'] / 60:.1f} min: setup {r['setup'] / 60:.1f} min + pytest "
               f"{r['pytest'] / 60:.1f} min; {counts}", None)]
    return bench_suite.markdown(r), target


RUNNERS = {"march": run_march, "book": run_book, "grading": run_grading, "suite": run_suite}
TITLES = {"march": "March (1991) Figure-1 sweep", "book": "Book build",
          "grading": "Grading a class", "suite": "Test suite on a fresh clone"}


def report(info: dict, quick: bool, sections: dict, targets: list, loads: dict) -> str:
    """The whole Markdown report from the machine info and the parts measured so far."""
    v = info["versions"]
    lines = [f"### Benchmark results{' (quick mode: small workloads, not comparable)' if quick else ''}",
             "",
             f"Machine: {info['cpu']}, {info['cores']} logical cores"
             + (f" ({info['usable_cores']} usable)" if info["usable_cores"] not in (None, info["cores"]) else "")
             + f", {info['memory_gib']:.1f} GiB memory, {info['os']}; Python {info['python']}; "
             + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
             f"Date: {info['date']}; commit {info['commit']}. "
             "Command: `" + " ".join([".venv/bin/python benchmarks/run.py", *sys.argv[1:]]) + "`.",
             "",
             "Load average (1 min) during each part, min / median / max (2 cores: above 2 means "
             "other work was competing): "
             + "; ".join(f"{TITLES[p].lower()} {s}" for p, s in loads.items()) + ".", "",
             "| target | wanted | measured (medians) | met |", "|---|---|---|---|"]
    for what, wanted, got, met in targets:
        mark = "n/a" if met is None or quick else ("yes" if met else "**no**")
        lines.append(f"| {what} | {wanted} | {got} | {mark} |")
    for part, text in sections.items():
        lines += ["", f"#### {TITLES[part]}", "", text]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, one run each")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS),
                        help="parts to run (default: all, in the order march book grading suite)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"default {RESULTS}")
    args = parser.parse_args(argv)
    info = machine()
    sections, targets, loads, failed = {}, [], {}, []
    args.output.parent.mkdir(parents=True, exist_ok=True)
    for part in [p for p in PARTS if p in args.parts]:
        _log(f"{part}: start (load {os.getloadavg()[0]:.1f})")
        start = time.perf_counter()
        with LoadSampler() as load:
            try:
                text, target = RUNNERS[part](args.quick)
            except Exception as exc:  # noqa: BLE001 - one part's failure is reported, not fatal
                text, target = f"**Failed:** {type(exc).__name__}: {exc}"[:3000], []
                failed.append(part)
        loads[part] = load.summary()
        sections[part], targets = text, targets + target
        _log(f"{part}: done in {time.perf_counter() - start:.0f} s (load {loads[part]})")
        args.output.write_text(report(info, args.quick, sections, targets, loads), "utf-8")
    text = report(info, args.quick, sections, targets, loads)
    args.output.write_text(text, "utf-8")
    print(text)
    _log(f"report written to {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
