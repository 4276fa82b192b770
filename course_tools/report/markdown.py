"""Stage 6, the text: ``report.md`` for the instructor, with Markdown tables.

:func:`write_report` names the reconciliation problems, the submissions that failed, every problem
found per student (suspected tampering included: "needs review"), the downloaded files left out,
pending hand-marking, the score distribution and the per-question summary.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from course_tools.autograde.grader import GRADED, StudentOutcome


def _markdown_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "(none)\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def not_collected_text(skipped) -> str:
    """One downloaded file or archive entry not collected (an ``intake.archives.Skipped``), as
    report.md lists it and the command's terminal summary prints it."""
    return f"`{skipped.archive}`: `{skipped.entry}`: {skipped.reason}"


def held_guidance(assignment: str) -> str:
    """What to do about files held back at intake (``intake.held``), for report.md."""
    return (f"Held files are kept in `downloaded/{assignment}/held/` in the course folder (an "
            "archive's files under `<archive name>.d/`). For two different files of one student, "
            "decide which one counts, copy it to "
            f"`submitted/<student>/{assignment}/<notebook>` (for example "
            f"`submitted/alice/{assignment}/{assignment}.ipynb`) and run the grading command "
            "again; the rest of the class is already in `submitted/`, so `--downloads` is no "
            "longer needed.")


def write_report(out: Path, assignment: str, outcomes: list[StudentOutcome], totals: pd.DataFrame,
                 summary: pd.DataFrame, reconciliation: list[str] | None = None,
                 pending_manual: tuple[int, int] = (0, 0), feedback: bool = True,
                 sections: list[str] | None = None, not_collected: list | None = None,
                 held: bool = False) -> Path:
    """Write report.md: reconciliation, failures, results that need review, downloaded files not
    collected (``intake.archives.Skipped``), every problem per student, scores, questions, then
    ``sections`` (further lines, e.g. platform export, roster and item analysis). With ``held``
    (files were moved to ``downloaded/<assignment>/held/``) the list of files not collected, or
    the reconciliation problems when there is no such list, ends with :func:`held_guidance`."""
    graded = sum(o.status in GRADED for o in outcomes)
    review = [o for o in outcomes if o.status == "needs review"]
    failed = [o for o in outcomes if o.status not in GRADED]
    lines = [f"# Grading report: {assignment}", "",
             f"Submissions found: {len(outcomes)}; graded: {graded}"
             + (f" ({len(review)} of them need review)" if review else "")
             + f"; reported failures: {len(failed)}.", ""]
    for issue in reconciliation or []:
        lines += [f"**Reconciliation problem:** {issue}", ""]
    if held and not not_collected:
        lines += [held_guidance(assignment), ""]
    if failed:
        lines += ["## Submissions that could not be graded", "",
                  _markdown_table(pd.DataFrame([{"student_id": o.student_id, "reason": o.message}
                                                for o in failed])), ""]
    if review:
        lines += ["## Results that need review", "",
                  "The tamper checks found that these students' code may have changed how the tests "
                  "ran, or could not verify the tests that passed because the kernel died first "
                  "(see their problems below). Their scores are left out of grades.csv "
                  "(grading_status \"needs review\"); read the autograded notebook before "
                  "accepting or correcting the score in the formgrader.", "",
                  _markdown_table(pd.DataFrame([{"student_id": o.student_id, "reason": o.message}
                                                for o in review])), ""]
    if not_collected:
        lines += ["## Downloaded files not collected", ""]
        lines += [f"- {not_collected_text(s)}" for s in not_collected]
        lines.append("")
        if held:
            lines += [held_guidance(assignment), ""]
    noted = [o for o in outcomes if o.problems]
    if noted:
        lines += ["## Problems found, per student", ""]
        for o in noted:
            lines.append(f"- **{o.student_id}** ({o.status})")
            lines += [f"  - {p}" for p in o.problems]
        lines.append("")
    answers, students = pending_manual
    if answers:
        then = ("feedback generated now shows them as 0: return feedback after hand-marking and a "
                "regrade." if feedback else "no feedback was generated in this run (--no-feedback): "
                "run the command again after hand-marking, without --no-feedback.")
        lines += [f"**Hand-marking pending:** {answers} written answer(s) from {students} student(s) "
                  "await a manual grade (formgrader). Until then the totals and per-question figures "
                  f"below leave those answers out, and {then}", ""]
    elif not feedback:
        lines += ["No feedback was generated in this run (--no-feedback).", ""]
    if not totals.empty:
        desc = totals["score"].describe()
        lines += ["## Score distribution (autograded and manual points so far)", "",
                  f"Mean {desc['mean']:.2f}, median {totals['score'].median():.2f}, "
                  f"min {desc['min']:.2f}, max {desc['max']:.2f} of {totals['max_score'].max():.0f}.",
                  ""]
    lines += ["## Per question (most-failed first)", "", _markdown_table(summary)]
    lines += sections or []
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
