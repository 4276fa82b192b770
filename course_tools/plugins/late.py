"""The course's late-submission policy: a penalty for each day (or part of a day) late.

nbgrader 0.9.6's ``LateSubmissionPlugin`` (``nbgrader/plugins/latesubmission.py``) knows only
"none" (its default) and "zero". ``AssignLatePenalties`` (``nbgrader/preprocessors/
latesubmissions.py``) calls ``late_submission_penalty(student_id, score, total_seconds_late)`` for
each notebook of a late submission and caps the penalty at the notebook's score; the seconds late
already count a per-student extension (``Gradebook.grant_extension``), since nbgrader measures
lateness against the due date plus the extension. Configured in the course's nbgrader_config.py::

    c.AssignLatePenalties.plugin_class = "course_tools.plugins.late.PerDayLatePenalty"
    c.PerDayLatePenalty.fraction_per_day = 0.1   # 10 % of the notebook's score per day
"""

from __future__ import annotations

import math
from typing import Optional

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 86_400


class PerDayLatePenalty(LateSubmissionPlugin):
    """Deduct ``fraction_per_day`` of the notebook's score for every started day late."""

    fraction_per_day = Float(
        0.1, help="Share of the notebook's score deducted per day or part of a day late (0 to 1)."
    ).tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> Optional[float]:
        """Points deducted: ``score * min(1, fraction_per_day * days)``, days rounded up.

        ``score`` in points (>= 0), ``total_seconds_late`` in seconds (> 0 when called by
        nbgrader). Returns 0.0 when not late. Raises ValueError for a fraction outside [0, 1].
        """
        if not 0 <= self.fraction_per_day <= 1:
            raise ValueError(f"fraction_per_day must be in [0, 1], not {self.fraction_per_day}")
        if total_seconds_late <= 0:
            return 0.0
        days = math.ceil(total_seconds_late / SECONDS_PER_DAY)
        penalty = score * min(1.0, self.fraction_per_day * days)
        self.log.info("Late penalty for %s: %d day(s) late, %.2f of %.2f points", student_id, days,
                      penalty, score)
        return penalty
