"""Stage 6, the numbers: per-question scores from the gradebook and their summary, with pandas.

:func:`question_scores` reads one row per (student, notebook, graded cell) through nbgrader's
gradebook API; :func:`summarise` gives per question the mean, the share of full marks and the
failures. Written answers awaiting a manual grade stay NaN, never 0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from course_tools.nbgrader_tools import _db_url, awaiting_manual_grade


def question_scores(course: Path, assignment: str) -> pd.DataFrame:
    """One row per (student, notebook, graded cell) from the nbgrader gradebook.

    Columns: student_id, notebook, question, kind ("autograded" or "manual"), score, max_score,
    needs_manual_grade. ``score`` is NaN where a manual grade is still missing.
    """
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(_db_url(course)) as gb:
        for submission in gb.assignment_submissions(assignment):
            for nb in submission.notebooks:
                for g in nb.grades:
                    # Test cells are scored by the autograder (auto_score set); written answers
                    # wait for a manual score. A missing manual score is NaN, not zero.
                    auto = g.cell.cell_type == "code" and g.auto_score is not None
                    missing = awaiting_manual_grade(g)
                    rows.append({
                        "student_id": submission.student.id,
                        "notebook": nb.name,
                        "question": g.name,
                        "kind": "autograded" if auto else "manual",
                        "score": float("nan") if missing else float(g.score),
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
    # A written answer still awaiting its manual grade has no score (NaN): it is left out of the
    # mean, the share of full marks and the failure count, not counted as a fail.
    scored = scores["score"].notna()
    df = scores.assign(full=(scores["score"] >= scores["max_score"]).astype(float).where(scored),
                       failed=(scores["score"] < scores["max_score"]).astype(float).where(scored))
    out = df.groupby(["question", "kind", "max_score"], sort=False).agg(
        mean=("score", "mean"), full_marks_share=("full", "mean"), n_failed=("failed", "sum"),
        n_graded=("score", "count")).reset_index()
    out["n_failed"] = out["n_failed"].astype(int)
    return out.sort_values(["kind", "n_failed"], ascending=[True, False], kind="stable")
