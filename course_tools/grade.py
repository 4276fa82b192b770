"""Grade one assignment for a whole class, in one command.

    python -m course_tools.grade ps1                      # grade assignments/submitted/*/ps1
    python -m course_tools.grade ps1 --submissions DIR    # first copy DIR/<student>/ps1/ in

The pipeline drives nbgrader's own CLI and gradebook API; it re-implements no grading:

1. *collect*: optionally copy a folder in nbgrader's ``submitted/<student>/<assignment>/`` layout
   into the course;
2. *release check*: make sure the assignment is in the gradebook (``nbgrader generate_assignment``
   if it is not);
3. *autograde*: ``nbgrader autograde ASSIGNMENT --student S --force`` once per student, each in its
   own process with a time limit, so that one broken or hostile submission cannot stop the others;
4. *feedback*: ``nbgrader generate_feedback`` (hidden tests redacted, see ``course_tools.feedback``);
5. *export*: ``nbgrader export`` to CSV, read back with pandas;
6. *summary*: per-question scores from the gradebook API, summarised with pandas (mean, distribution,
   most-failed tests), written as CSV files and a short Markdown report;
7. *reconciliation*: every submission found is either graded or reported as a failure, with the
   reason. If the counts do not add up the command exits with status 1.

Outputs go to ``<course>/reports/<assignment>/``. Exit status: 0 when every submission was graded or
reported, 1 on a reconciliation mismatch, 2 when there was nothing to grade or nbgrader itself failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

DEFAULT_COURSE = Path(__file__).resolve().parent.parent / "assignments"
#: Seconds allowed for autograding one student's submission (all notebooks, all cells).
DEFAULT_TIMEOUT = 600


@dataclass
class StudentOutcome:
    """What happened to one student's submission."""

    student_id: str
    status: str  # "graded" or "failed"
    message: str = ""


def _nbgrader(args: list[str], course: Path, timeout: float | None = None):
    """Run an nbgrader subcommand in the course root; returns the CompletedProcess."""
    bindir = Path(sys.executable).parent
    exe = bindir / "nbgrader"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]
    env = dict(os.environ)
    env["PATH"] = str(bindir) + os.pathsep + env.get("PATH", "")  # nbgrader calls alembic by name
    return subprocess.run(cmd + args, cwd=course, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _errors(proc) -> str:
    lines = [ln for ln in (proc.stderr or "").splitlines() if "ERROR" in ln or "Error" in ln]
    return " | ".join(lines[-3:]) if lines else (proc.stderr or "").strip()[-300:]


def collect(submissions: Path, course: Path, assignment: str) -> None:
    """Copy ``submissions/<student>/<assignment>/`` folders into ``course/submitted/``.

    Raises
    ------
    FileNotFoundError
        If ``submissions`` is not a folder.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {submissions}")
    target = course / "submitted"
    if submissions.resolve() == target.resolve():
        return
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        src = student_dir / assignment
        if src.is_dir():
            dst = target / student_dir.name / assignment
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)


def find_submissions(course: Path, assignment: str) -> list[str]:
    """Student ids with a ``submitted/<student>/<assignment>/`` folder, sorted."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def ensure_released(course: Path, assignment: str) -> None:
    """Put the assignment into the gradebook (via generate_assignment) if it is not there yet."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    proc = _nbgrader(["generate_assignment", assignment, "--force"], course)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed: {_errors(proc)}")


def autograde(course: Path, assignment: str, students: list[str],
              timeout: float = DEFAULT_TIMEOUT) -> list[StudentOutcome]:
    """Autograde each student in a separate nbgrader process; never stops at a failure."""
    outcomes = []
    for student in students:
        try:
            proc = _nbgrader(["autograde", assignment, "--student", student, "--force"], course,
                             timeout=timeout)
        except subprocess.TimeoutExpired:
            outcomes.append(StudentOutcome(student, "failed",
                                           f"autograding took longer than {timeout:.0f} s"))
            continue
        graded = list((course / "autograded" / student / assignment).glob("*.ipynb"))
        if proc.returncode == 0 and graded:
            outcomes.append(StudentOutcome(student, "graded"))
        else:
            outcomes.append(StudentOutcome(student, "failed", _errors(proc) or "no notebook graded"))
    return outcomes


def question_scores(course: Path, assignment: str) -> pd.DataFrame:
    """One row per (student, notebook, graded cell) from the nbgrader gradebook.

    Columns: student_id, notebook, question, kind ("autograded" or "manual"), score, max_score,
    needs_manual_grade. ``score`` is NaN where a manual grade is still missing.
    """
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            for nb in submission.notebooks:
                for g in nb.grades:
                    # Test cells are scored by the autograder (auto_score set); written answers
                    # wait for a manual score. A missing manual score is NaN, not zero.
                    auto = g.cell.cell_type == "code" and g.auto_score is not None
                    missing = g.manual_score is None and (g.auto_score is None or g.needs_manual_grade)
                    rows.append({
                        "student_id": submission.student.id,
                        "notebook": nb.name,
                        "question": g.name,
                        "kind": "autograded" if auto else "manual",
                        "score": float("nan") if missing and not auto else float(g.score),
                        "max_score": float(g.max_score),
                        "needs_manual_grade": bool(g.needs_manual_grade),
                    })
    return pd.DataFrame(rows, columns=["student_id", "notebook", "question", "kind", "score",
                                       "max_score", "needs_manual_grade"])


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Per question: mean score, share of full marks, number failed (score < max), and counts."""
    if scores.empty:
        return pd.DataFrame(columns=["question", "kind", "max_score", "mean", "full_marks_share",
                                     "n_failed", "n_graded"])
    df = scores.assign(full=scores["score"] >= scores["max_score"],
                       failed=scores["score"] < scores["max_score"])
    out = df.groupby(["question", "kind", "max_score"], sort=False).agg(
        mean=("score", "mean"), full_marks_share=("full", "mean"), n_failed=("failed", "sum"),
        n_graded=("score", "count")).reset_index()
    return out.sort_values(["kind", "n_failed"], ascending=[True, False], kind="stable")


def _markdown_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "(none)\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(out: Path, assignment: str, outcomes: list[StudentOutcome], totals: pd.DataFrame,
                 summary: pd.DataFrame) -> Path:
    """Write report.md: reconciliation, per-student outcomes, score distribution, per-question table."""
    graded = sum(o.status == "graded" for o in outcomes)
    failed = [o for o in outcomes if o.status != "graded"]
    lines = [f"# Grading report: {assignment}", "",
             f"Submissions found: {len(outcomes)}; graded: {graded}; "
             f"reported failures: {len(failed)}.", ""]
    if failed:
        lines += ["## Submissions that could not be graded", "",
                  _markdown_table(pd.DataFrame([asdict(o) for o in failed])), ""]
    if not totals.empty:
        desc = totals["score"].describe()
        lines += ["## Score distribution (autograded and manual points so far)", "",
                  f"Mean {desc['mean']:.2f}, median {totals['score'].median():.2f}, "
                  f"min {desc['min']:.2f}, max {desc['max']:.2f} of {totals['max_score'].max():.0f}.",
                  ""]
    lines += ["## Per question (most-failed first)", "", _markdown_table(summary)]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_pipeline(assignment: str, course: Path = DEFAULT_COURSE, submissions: Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Run the whole pipeline; returns a dict with outcomes, grades, scores, summary and paths.

    Raises
    ------
    FileNotFoundError
        If the course root has no nbgrader_config.py or the submissions folder is missing.
    RuntimeError
        If nbgrader cannot put the assignment in the gradebook.
    """
    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").exists():
        raise FileNotFoundError(f"not an nbgrader course root (no nbgrader_config.py): {course}")
    if submissions is not None:
        collect(Path(submissions), course, assignment)
    ensure_released(course, assignment)
    students = find_submissions(course, assignment)
    outcomes = autograde(course, assignment, students, timeout=timeout)

    out = course / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    if any(o.status == "graded" for o in outcomes):
        proc = _nbgrader(["generate_feedback", assignment, "--force"], course)
        if proc.returncode != 0:
            print(f"warning: generate_feedback reported a problem: {_errors(proc)}", file=sys.stderr)
    grades_csv = out / "grades.csv"
    proc = _nbgrader(["export", "--to", str(grades_csv)], course)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader export failed: {_errors(proc)}")
    grades = pd.read_csv(grades_csv, dtype={"student_id": str})
    grades = grades[grades["assignment"] == assignment]

    scores = question_scores(course, assignment)
    graded_ids = {o.student_id for o in outcomes if o.status == "graded"}
    scores = scores[scores["student_id"].isin(graded_ids)]
    summary = summarise(scores)
    totals = scores.groupby("student_id")[["score", "max_score"]].sum().reset_index()

    pd.DataFrame([asdict(o) for o in outcomes]).to_csv(out / "student_outcomes.csv", index=False)
    scores.to_csv(out / "question_scores.csv", index=False)
    summary.to_csv(out / "question_summary.csv", index=False)
    report = write_report(out, assignment, outcomes, totals, summary)
    reconciled = len(students) == len(outcomes) == sum(
        o.status in {"graded", "failed"} for o in outcomes)
    return {"outcomes": outcomes, "grades": grades, "scores": scores, "summary": summary,
            "report": report, "reconciled": reconciled, "out": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="assignment name, e.g. ps1")
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE,
                        help="nbgrader course root (default: the repository's assignments/)")
    parser.add_argument("--submissions", type=Path, default=None,
                        help="folder in submitted/<student>/<assignment>/ layout to copy in first")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds allowed per student submission")
    args = parser.parse_args(argv)
    try:
        result = run_pipeline(args.assignment, args.course, args.submissions, args.timeout)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcomes = result["outcomes"]
    if not outcomes:
        print(f"error: no submissions for {args.assignment} under {args.course / 'submitted'}",
              file=sys.stderr)
        return 2
    for o in outcomes:
        print(f"{o.student_id}: {o.status}{' - ' + o.message if o.message else ''}")
    print(f"report: {result['report']}")
    return 0 if result["reconciled"] else 1


if __name__ == "__main__":
    sys.exit(main())
