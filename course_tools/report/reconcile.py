"""Stage 6, the books: submissions found = graded + reported failures, and no graded student without scores.

:func:`reconcile` returns the problems; the pipeline writes them into the report and the command
exits with status 1 when there are any.
"""

from __future__ import annotations

import pandas as pd

from course_tools.autograde.grader import GRADED, StudentOutcome


def reconcile(students: list[str], outcomes: list[StudentOutcome], scores: pd.DataFrame
              ) -> list[str]:
    """Problems with the books: empty when submissions found = graded + reported failures.

    Also checks that each student has exactly one outcome and that every graded student has scores
    in the gradebook (``scores`` from :func:`question_scores`), so that no grade is silently empty.
    """
    issues = []
    ids = [o.student_id for o in outcomes]
    graded = [o.student_id for o in outcomes if o.status in GRADED]
    failed = [o.student_id for o in outcomes if o.status == "failed"]
    if len(students) != len(graded) + len(failed) or sorted(ids) != sorted(students):
        issues.append(f"{len(students)} submissions found but {len(graded)} graded and "
                      f"{len(failed)} failures reported")
    empty = sorted(set(graded) - set(scores["student_id"]))
    if empty:
        issues.append(f"graded but without scores in the gradebook: {', '.join(empty)}")
    return issues
