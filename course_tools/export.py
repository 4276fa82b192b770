"""Stage 5: grades out of the gradebook, as nbgrader's CSV, with failures marked.

:func:`export_grades` runs nbgrader's ``CsvExportPlugin`` (what ``nbgrader export`` runs);
:func:`mark_failures` adds a ``grading_status`` column and blanks the score of a submission that
could not be graded or needs review, so an upload to a learning platform never zeroes or drops that student.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from course_tools.autograde.grader import StudentOutcome
from course_tools.nbgrader_tools import _db_url


def export_grades(course: Path, assignment: str, to: Path) -> None:
    """Write the gradebook's grades for ``assignment`` to the CSV file ``to``.

    Uses nbgrader's own exporter, ``nbgrader.plugins.CsvExportPlugin`` (what ``nbgrader export``
    runs by default), in this process rather than a new ``nbgrader export`` process, which would
    spend seconds starting. Columns: assignment, duedate, timestamp, student_id, last_name,
    first_name, email, raw_score, late_submission_penalty, score, max_score.

    Raises
    ------
    RuntimeError
        If nbgrader cannot read the gradebook or write the file.
    """
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    try:
        with Gradebook(_db_url(course)) as gb:
            CsvExportPlugin(to=str(to), assignment=[assignment]).export(gb)
    except Exception as exc:  # noqa: BLE001 - reported as the pipeline's own failure
        raise RuntimeError(f"nbgrader export failed: {type(exc).__name__}: {exc}") from exc


def mark_failures(grades: pd.DataFrame, assignment: str, outcomes: list[StudentOutcome]
                  ) -> pd.DataFrame:
    """nbgrader's export with a ``grading_status`` column and no made-up score for a failure.

    A student whose submission could not be graded gets a row whether or not nbgrader exported one,
    with ``grading_status`` "failed" and an empty score (never 0.0), so that an upload of the CSV to
    a learning platform cannot silently zero or drop that student. A result that needs review
    (tampering suspected) has ``grading_status`` "needs review" and an empty score too: never a
    clean mark until the instructor has looked.
    """
    status = {o.student_id: o.status for o in outcomes}
    grades = grades.copy()
    missing = sorted(set(status) - set(grades["student_id"]))
    if missing:
        extra = pd.DataFrame({"assignment": assignment, "student_id": missing})
        grades = pd.concat([grades, extra], ignore_index=True)
    if "max_score" in grades and grades["max_score"].notna().any():
        grades["max_score"] = grades["max_score"].fillna(grades["max_score"].max())
    grades["grading_status"] = grades["student_id"].map(status).fillna("not submitted")
    failed = grades["grading_status"].isin(["failed", "needs review"])
    for column in ("raw_score", "score"):
        if column in grades:
            grades[column] = grades[column].astype(float).mask(failed)
    return grades.sort_values("student_id", kind="stable").reset_index(drop=True)
