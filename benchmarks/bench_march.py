"""Benchmark: March (1991) Figure-1 sweep, vectorised model against the per-member loop.

Workload: the design of March's Figure 1, 27 settings (p1 = 0.1..0.9 x p2 in {0.1, 0.5,
0.9}), m = 30 dimensions, n = 50 members, each replication run to equilibrium, 80
replications per setting. Both implementations run the same workload in the same
process; each is timed ``--runs`` times (default 3) and the median is reported. Then the
vectorised model alone runs 10,000 replications per setting once.

Usage::

    .venv/bin/python benchmarks/bench_march.py            # full: about 3 minutes
    .venv/bin/python benchmarks/bench_march.py --quick    # smaller workload, seconds

``--quick`` uses 8 replications per setting for the comparison, one run, and 200
replications per setting for the large run. Output is a markdown table on stdout.
Timings depend on the machine and its load; no test asserts on them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning_dynamics.march import sweep  # noqa: E402
from learning_dynamics.march_loop import sweep_loop  # noqa: E402

P1 = tuple(np.round(np.arange(1, 10) / 10, 1))
P2 = (0.1, 0.5, 0.9)


def _time(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def measure(quick: bool = False, runs: int | None = None, seed: int = 1991) -> dict:
    """Time the Figure-1 sweep: vectorised and loop (``runs`` each), then the large vectorised run.

    Returns {"quick", "seed", "settings", "reps", "vectorised": [s...], "loop": [s...],
    "big_reps", "big_time", "table"} with times in seconds and ``table`` the large run's
    ``march.sweep`` DataFrame.

    Raises
    ------
    ValueError
        If ``runs`` is below 1.
    """
    reps = 8 if quick else 80
    runs = runs if runs is not None else (1 if quick else 3)
    big = 200 if quick else 10_000
    if runs < 1:
        raise ValueError("runs must be >= 1")

    def run_vec():
        return sweep(p1=P1, p2=P2, replications=reps, until_equilibrium=True, seed=seed)

    def run_loop():
        return sweep_loop(p1_values=P1, p2_values=P2, replications=reps, seed=seed)

    run_vec()  # warm-up: first-call imports and allocations are not part of the model's time
    vec_times = _time(run_vec, runs)
    loop_times = _time(run_loop, runs)
    t0 = time.perf_counter()
    table = sweep(p1=P1, p2=P2, replications=big, until_equilibrium=True, seed=seed)
    big_time = time.perf_counter() - t0
    return {"quick": quick, "seed": seed, "settings": len(P1) * len(P2), "reps": reps,
            "vectorised": vec_times, "loop": loop_times, "big_reps": big, "big_time": big_time,
            "table": table}


def markdown(result: dict, equilibrium_table: bool = True) -> str:
    """The result of :func:`measure` as Markdown tables (medians, all runs, speed-up)."""
    fmt = lambda ts: ", ".join(f"{t:.2f}" for t in ts)  # noqa: E731
    vec_med = statistics.median(result["vectorised"])
    loop_med = statistics.median(result["loop"])
    settings, reps, big, big_time = (result["settings"], result["reps"], result["big_reps"],
                                     result["big_time"])
    lines = [f"Workload: {settings} settings x {reps} replications, m = 30, n = 50, run to "
             f"equilibrium; seed {result['seed']}.", "",
             "| implementation | median time (s) | runs (s) | speed-up vs loop |",
             "|---|---:|---|---:|",
             f"| per-member loop (`march_loop.sweep_loop`) | {loop_med:.2f} | "
             f"{fmt(result['loop'])} | 1.0x |",
             f"| vectorised (`march.sweep`) | {vec_med:.2f} | {fmt(result['vectorised'])} | "
             f"{loop_med / vec_med:.1f}x |", "",
             "| vectorised only | replications per setting | time (s) | time per replication (ms) |",
             "|---|---:|---:|---:|",
             f"| Figure-1 sweep, {settings} settings | {big:,} | {big_time:.1f} | "
             f"{1e3 * big_time / (big * settings):.3f} |"]
    if equilibrium_table:
        pivot = result["table"].pivot(index="p1", columns="p2", values="code_knowledge")
        lines += ["", "Mean equilibrium code knowledge (fraction of dimensions matching reality), "
                  f"{big:,} replications:", "",
                  "| p1 | " + " | ".join(f"p2 = {c}" for c in pivot.columns) + " |",
                  "|---:|" + "---:|" * len(pivot.columns)]
        for p1, row in pivot.iterrows():
            lines.append(f"| {p1:.1f} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workload for a smoke run")
    parser.add_argument("--runs", type=int, default=None,
                        help="timed runs per implementation (default 3, quick 1)")
    parser.add_argument("--seed", type=int, default=1991)
    args = parser.parse_args(argv)
    try:
        result = measure(args.quick, args.runs, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"## March (1991) Figure-1 sweep benchmark{' (quick)' if args.quick else ''}\n")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} logical CPUs, {platform.machine()}.\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
