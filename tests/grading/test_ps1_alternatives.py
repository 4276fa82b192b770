"""ps1: alternative correct solutions (alternatives/ps1_*.py) get full marks from the hidden tests.

They are graded with a correct, a blank and a partly wrong submission in one run of the instructor
pipeline by the shared ``graded`` fixture (tests/grading/conftest.py). The other problem sets check
their alternatives in their own test module (test_ps2_assignment.py ...).
"""

from __future__ import annotations

from grading.conftest import check_alternatives_full_marks, check_scores

ASSIGNMENT = "ps1"
AUTOGRADED = {"test_unit_cost": 2.0, "test_progress_ratio": 1.0, "test_exponent": 1.0, "test_fit": 3.0,
              "test_compare_phases": 2.0}
TOTAL_MAX = 15.0
# The progress ratio computed as the learning rate fails its own test and the phase comparison.
PLANTED = {"progress_ratio": ("return 2.0 ** (-b)", "return 1.0 - 2.0 ** (-b)")}
PARTLY_WRONG_FAILS = {"test_progress_ratio", "test_compare_phases"}


def test_correct_blank_and_partly_wrong_score_exactly(graded):
    check_scores(graded, AUTOGRADED, TOTAL_MAX, PARTLY_WRONG_FAILS)


def test_alternative_solutions_score_full_marks(graded):
    """Correct solutions that differ where the text leaves freedom get every autograded point."""
    check_alternatives_full_marks(graded, AUTOGRADED)
