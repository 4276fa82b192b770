"""The per-day late penalty on its own (course_tools/plugins/late.py); the class loop checks it in
nbgrader's gradebook with a real extension (test_class_loop.py)."""

from __future__ import annotations

import pytest

from course_tools.plugins.late import PerDayLatePenalty

DAY = 86_400


@pytest.mark.parametrize("seconds, expected", [
    (0, 0.0),               # not late
    (1, 1.0),               # any part of a day counts as a day: 10 % of 10 points
    (DAY, 1.0),
    (DAY + 1, 2.0),
    (36 * 3600, 2.0),       # the loop's case: 36 hours, two started days
    (30 * DAY, 10.0),       # never more than the score
])
def test_penalty_per_started_day(seconds, expected):
    assert PerDayLatePenalty().late_submission_penalty("s", 10.0, seconds) == pytest.approx(expected)


def test_fraction_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="fraction_per_day"):
        PerDayLatePenalty(fraction_per_day=1.5).late_submission_penalty("s", 10.0, DAY)
