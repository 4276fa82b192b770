"""Benchmark: our grading pipeline against plain serial ``nbgrader autograde``, same class, same grades.

Workload: a synthetic class of ps1 submissions made from the ps1 release of a scratch copy of the
course (only ps1's source is copied). Student ``s001``, ``s002``, ... gets, in turn, one of five
deterministic kinds of submission (:data:`KINDS`): correct, blank (the untouched release), and
three partly wrong answers, each a one-line change to the solution that fails known tests. The
expected autograded points of each kind (out of 9) are stated and checked.

For each class size (10, 30, 60 by default) and each run, two identical copies of the released
course get identical copies of the submissions in ``submitted/``; then

- *pipeline*: ``course_tools.pipeline.run_pipeline("ps1", course)`` with its defaults (students graded
  ``os.cpu_count()`` at a time, pre-flight, sandboxed kernels, feedback, export, report);
- *pipeline without feedback*: the same with ``feedback=False`` (``--no-feedback``), the same work
  as plain ``nbgrader autograde``, in a third copy;
- *serial*: plain ``nbgrader autograde ps1`` in the other copy: one process, students one after
  another, with the course's ``nbgrader_config.py`` (the same preprocessors); then, timed
  separately, ``nbgrader generate_feedback ps1``, so that the pipeline can also be compared with
  plain nbgrader doing the same work (the issue's target compares it with autograde alone).

The order of the two alternates from run to run so that a drift in the machine's load favours
neither. After each run the per-student totals and per-question scores of the two gradebooks are
compared (manual questions, not yet graded, are NaN in both); any difference, or a total other than
the expected one, stops the benchmark with an error.

Usage::

    .venv/bin/python benchmarks/bench_grading.py [--sizes 10 30 60] [--runs 3] [--small-runs 1]
    .venv/bin/python benchmarks/bench_grading.py --quick     # 3 and 5 students, one run each

``--runs`` applies to the largest size, ``--small-runs`` to the others (fewer, to keep the whole
benchmark within about half an hour on two shared cores). Output: a Markdown table on stdout.
Timings depend on the machine and its load; no test asserts on them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import fill_solutions, load_nb, run_tool, save_nb  # noqa: E402
import course_tools.sandbox.uids as _uids  # noqa: E402
from course_tools.pipeline import run_pipeline  # noqa: E402
from course_tools.report.scores import question_scores  # noqa: E402
from course_tools.release import release  # noqa: E402

ASSIGNMENT = "ps1"
#: Autograded points of ps1: unit_cost 2, progress_ratio 1, exponent 1, fit 3, compare_phases 2.
AUTOGRADED_MAX = 9.0
#: Kind of submission -> (edits for ``fill_solutions`` or None for the blank release, expected
#: autograded points). Students cycle through the kinds in this order.
KINDS = {
    "correct": ({}, 9.0),
    "blank": (None, 0.0),
    # progress ratio computed as the learning rate: fails test_progress_ratio (1) and
    # test_compare_phases (2), which uses it.
    "wrong_progress_ratio": ({"progress_ratio": ("return 2.0 ** (-b)",
                                                 "return 1.0 - 2.0 ** (-b)")}, 6.0),
    # slope returned with the wrong sign: fails test_fit (3) and test_compare_phases (2).
    "wrong_fit_sign": ({"fit_learning_curve": ("float(-slope)", "float(slope)")}, 4.0),
    # a negative exponent is accepted: fails the hidden bad-input check of test_unit_cost (2).
    "no_input_check": ({"unit_cost": ('raise ValueError("b must be non-negative")', "pass")}, 7.0),
}
DEFAULT_SIZES = (10, 30, 60)
#: Sandbox user ids for this benchmark's kernels (as root). After each student the pipeline kills
#: every process of its worker's user id; with the default base (64000) it would kill the kernels
#: of a test run grading on the same machine at the same time, and be killed by it.
BENCH_UID_BASE = 64200


def make_template(base: Path) -> Path:
    """A released scratch course holding only ps1 (``course_tools.release``), under ``base``."""
    course = base / "template"
    shutil.copytree(ROOT / "assignments", course, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "preflight",
        ".regrade-backup", "*.csv", ".ipynb_checkpoints"))
    for path in sorted((course / "source").iterdir()):
        if path.name != ASSIGNMENT:
            shutil.rmtree(path)
    release(course, ASSIGNMENT)
    return course


def student_ids(n: int) -> list[str]:
    """``s001`` ... ``s<n>``, zero-padded to three digits."""
    return [f"s{i:03d}" for i in range(1, n + 1)]


def kind_of(student: str) -> str:
    """The kind of submission student ``sNNN`` gets (cycling through :data:`KINDS`)."""
    names = list(KINDS)
    return names[(int(student[1:]) - 1) % len(names)]


def make_submissions(template: Path, n: int) -> dict[str, dict]:
    """The notebooks of a class of ``n``: {student id: notebook dict}, deterministic.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"class size must be a positive integer, got {n!r}")
    rel = load_nb(template / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    source = load_nb(template / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    made = {}
    for kind, (edits, _) in KINDS.items():
        made[kind] = rel if edits is None else fill_solutions(rel, source, edits=edits or None)
    return {s: made[kind_of(s)] for s in student_ids(n)}


def _course_with(template: Path, dst: Path, notebooks: dict[str, dict]) -> Path:
    shutil.copytree(template, dst)
    for student, nb in notebooks.items():
        save_nb(nb, dst / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return dst


def _scores(course: Path) -> tuple[pd.Series, pd.Series]:
    """(per-question score indexed by (student, question), per-student total of scored points)."""
    scores = question_scores(course, ASSIGNMENT).set_index(["student_id", "question"])["score"]
    scores = scores.sort_index()
    totals = scores.groupby(level=0).sum()  # NaN (manual, not graded yet) counts as nothing
    return scores, totals


def compare_grades(pipeline: Path, serial: Path, students: list[str]) -> dict:
    """Check both gradebooks hold identical grades, and the expected totals.

    Returns {"questions": number of (student, question) scores compared, "totals": {student: total}}.

    Raises
    ------
    AssertionError
        If a student is missing, a score differs, or a total is not the expected one for its kind.
    """
    p_scores, p_totals = _scores(pipeline)
    s_scores, s_totals = _scores(serial)
    if sorted(p_totals.index) != students or sorted(s_totals.index) != students:
        raise AssertionError(f"students graded: pipeline {len(p_totals)}, serial {len(s_totals)}, "
                             f"expected {len(students)}")
    pd.testing.assert_series_equal(p_scores, s_scores, check_names=False)
    pd.testing.assert_series_equal(p_totals, s_totals, check_names=False)
    wrong = {s: (float(p_totals[s]), KINDS[kind_of(s)][1]) for s in students
             if float(p_totals[s]) != KINDS[kind_of(s)][1]}
    if wrong:
        raise AssertionError(f"totals differ from the expected ones (got, expected): {wrong}")
    return {"questions": len(p_scores), "totals": p_totals.to_dict()}


def _time_pipeline(course: Path, feedback: bool = True) -> float:
    """Seconds for the whole pipeline (feedback included unless ``feedback`` is False)."""
    _uids.SANDBOX_UID_BASE = BENCH_UID_BASE
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        result = run_pipeline(ASSIGNMENT, course=course, feedback=feedback,
                              progress=lambda *a: None)
    total = time.perf_counter() - start
    if not result["reconciled"] or any(o.status != "graded" for o in result["outcomes"]):
        failed = [(o.student_id, o.message) for o in result["outcomes"] if o.status != "graded"]
        raise RuntimeError(f"pipeline did not grade every student: {failed[:5]}")
    return total


def _time_serial(course: Path) -> tuple[float, float]:
    """Seconds for plain ``nbgrader autograde``, then for ``nbgrader generate_feedback``."""
    times = []
    for command in ("autograde", "generate_feedback"):
        start = time.perf_counter()
        proc = run_tool(["nbgrader", command, ASSIGNMENT], course, timeout=7200)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader {command} failed:\n" + proc.stderr[-2000:])
    return times[0], times[1]


def measure(sizes=DEFAULT_SIZES, runs: int = 3, small_runs: int = 1, log=None) -> dict:
    """Time pipeline and serial autograde for each class size; check identical grades each run.

    ``runs`` timed runs for the largest size, ``small_runs`` for the others. ``log`` (a callable
    taking a string) receives progress lines. Returns {"sizes": [{"n", "runs", "pipeline",
    "pipeline_no_feedback", "serial", "serial_feedback", "questions"}...], "kinds": {kind: expected points}}; times in
    seconds, one entry per run.

    Raises
    ------
    ValueError
        If a size or a run count is below 1.
    AssertionError / RuntimeError
        If grades differ between the two, or either fails to grade a student.
    """
    sizes = sorted(int(n) for n in sizes)
    if not sizes or sizes[0] < 1 or runs < 1 or small_runs < 1:
        raise ValueError("sizes and run counts must be at least 1")
    log = log or (lambda msg: None)
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        template = make_template(base)
        for n in sizes:
            notebooks = make_submissions(template, n)
            n_runs = runs if n == sizes[-1] else small_runs
            row = {"n": n, "runs": n_runs, "pipeline": [], "pipeline_no_feedback": [],
                   "serial": [], "serial_feedback": []}
            for r in range(n_runs):
                work = base / f"n{n}-run{r}"
                pipe_course = _course_with(template, work / "pipeline", notebooks)
                bare_course = _course_with(template, work / "pipeline-no-feedback", notebooks)
                serial_course = _course_with(template, work / "serial", notebooks)
                order = ["pipeline", "pipeline_no_feedback", "serial"]
                order = order[r % 3:] + order[:r % 3]  # rotated, so that drifting load favours none
                for which in order:
                    if which == "pipeline":
                        row["pipeline"].append(_time_pipeline(pipe_course))
                    elif which == "pipeline_no_feedback":
                        row["pipeline_no_feedback"].append(_time_pipeline(bare_course, False))
                    else:
                        autograde_s, feedback_s = _time_serial(serial_course)
                        row["serial"].append(autograde_s)
                        row["serial_feedback"].append(feedback_s)
                row["questions"] = compare_grades(pipe_course, serial_course, student_ids(n))["questions"]
                compare_grades(bare_course, serial_course, student_ids(n))
                log(f"grading n={n} run {r + 1}/{n_runs}: pipeline {row['pipeline'][-1]:.1f} s "
                    f"(without feedback {row['pipeline_no_feedback'][-1]:.1f} s), serial "
                    f"{row['serial'][-1]:.1f} s (+ feedback {row['serial_feedback'][-1]:.1f} s); "
                    f"grades identical ({row['questions']} scores)")
                shutil.rmtree(work, ignore_errors=True)
            out.append(row)
    return {"sizes": out, "kinds": {k: v[1] for k, v in KINDS.items()}}


def markdown(result: dict) -> str:
    """The result of :func:`measure` as Markdown: one row per class size, medians and ratios."""
    fmt = lambda ts: ", ".join(f"{t:.0f}" for t in ts)  # noqa: E731
    med = statistics.median
    lines = ["| class size | runs | serial `nbgrader autograde` (s) | pipeline `--no-feedback` (s) "
             "| speed-up, same work | serial autograde + `generate_feedback` (s) | pipeline, "
             "default (s) | speed-up, same work | default pipeline vs autograde alone | grades "
             "identical |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in result["sizes"]:
        ser, pipe = med(row["serial"]), med(row["pipeline"])
        bare = med(row["pipeline_no_feedback"])
        both = med([a + f for a, f in zip(row["serial"], row["serial_feedback"])])
        lines.append(
            f"| {row['n']} | {row['runs']} | {ser:.1f} ({fmt(row['serial'])}) | "
            f"{bare:.1f} ({fmt(row['pipeline_no_feedback'])}) | {ser / bare:.2f}x | {both:.1f} | "
            f"{pipe:.1f} ({fmt(row['pipeline'])}) | {both / pipe:.2f}x | {ser / pipe:.2f}x | "
            f"yes, {row['questions']} scores |")
    kinds = ", ".join(f"{k} {v:g}" for k, v in result["kinds"].items())
    lines += ["", "Times are medians (single runs in brackets). A pipeline time covers everything: "
              "pre-flight, sandboxed autograding, (feedback,) export and report.",
              "", f"Submissions cycle through five kinds (expected autograded points of 9: {kinds}); "
              "every run's totals matched these and the three gradebooks matched score for score."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 and 5 students, one run each")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--runs", type=int, default=None, help="runs for the largest size (3)")
    parser.add_argument("--small-runs", type=int, default=1, help="runs for smaller sizes (1)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ((3, 5) if args.quick else DEFAULT_SIZES)
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    try:
        result = measure(sizes, runs, args.small_runs,
                         log=lambda m: print(m, file=sys.stderr, flush=True))
    except ValueError as exc:
        parser.error(str(exc))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
