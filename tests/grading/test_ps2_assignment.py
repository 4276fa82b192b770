"""ps2 (catch-up under unilateral learning): validation, exact autograded scores, answer key.

The submissions (correct, blank, partly wrong and the alternative correct solutions in
alternatives/ps2_*.py) are graded once per module through the instructor pipeline by the shared
``graded`` fixture (tests/grading/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import COURSE, load_nb
from grading.conftest import (check_alternatives_full_marks, check_feedback_hides_hidden_tests, check_scores,
                              check_validation, rubric_problems, solution_namespace)
from learning_dynamics import catchup

ASSIGNMENT = "ps2"
# Autograded points: test_steady_state 2, test_relative_gap 2, test_time_to_halve 2,
# test_simulate 3, test_sweep 3 (12); two written answers of 3 points each are graded by hand.
AUTOGRADED = {"test_steady_state": 2.0, "test_relative_gap": 2.0, "test_time_to_halve": 2.0,
              "test_simulate": 3.0, "test_sweep": 3.0}
AUTOGRADED_MAX = sum(AUTOGRADED.values())  # 12
TOTAL_MAX = AUTOGRADED_MAX + 6.0  # 18

# The planted mistake: the relative gap converges at the follower's own rate phi instead of phi + g
# (forgetting that the frontier moves while the follower learns). It fails its own test
# (test_relative_gap, 2 points) and the sweep, whose gap_at_horizon column uses relative_gap
# (test_sweep, 3 points). time_to_halve_gap and the simulation do not call relative_gap, so they
# keep their points: 12 - 2 - 3 = 7.
CORRECT_EXPR = "np.exp(-(phi + g) * t)"
WRONG_EXPR = "np.exp(-phi * t)"
PLANTED = {"relative_gap": (CORRECT_EXPR, WRONG_EXPR)}
PARTLY_WRONG_FAILS = {"test_relative_gap", "test_sweep"}
PARTLY_WRONG_SCORE = 7.0


def test_source_validates_and_release_does_not(graded):
    check_validation(graded["course"], ASSIGNMENT)


def test_pipeline_scores_three_submissions_exactly(graded):
    check_scores(graded, AUTOGRADED, TOTAL_MAX, PARTLY_WRONG_FAILS)
    assert graded["result"]["grades"].set_index("student_id").loc["partly_wrong", "score"] == \
        PARTLY_WRONG_SCORE


def test_feedback_shows_no_hidden_test(graded):
    """Feedback for a passing and a failing submission quotes no hidden test line."""
    check_feedback_hides_hidden_tests(graded, ASSIGNMENT, ["correct", "partly_wrong"])


def test_alternative_solutions_score_full_marks(graded):
    """Correct solutions that differ where the text leaves freedom get every autograded point."""
    check_alternatives_full_marks(graded, AUTOGRADED)


# ----------------------------------------------------------------------------- answer key


def _solution_namespace(edits: dict[str, tuple[str, str]] | None = None) -> dict:
    return solution_namespace(ASSIGNMENT, edits)


GRID = [(r0, phi, g) for r0 in (0.3, 0.9, 1.0) for phi in (0.0, 0.02, 0.1, 0.5) for g in (0.0, 0.03, 0.1)
        if phi + g > 0]


def _key_disagreements(ns: dict) -> list[str]:
    """Where the answer key in ``ns`` differs from learning_dynamics.catchup (empty: agreement)."""
    bad = []
    t = np.linspace(0, 60, 13)
    for r0, phi, g in GRID:
        if not np.isclose(ns["steady_state_gap"](phi, g), catchup.steady_state_gap(phi, g)):
            bad.append(f"steady_state_gap{(phi, g)}")
        if not np.allclose(ns["relative_gap"](t, r0, phi, g), catchup.relative_gap(t, r0, phi, g)):
            bad.append(f"relative_gap{(r0, phi, g)}")
        ours, ref = ns["time_to_halve_gap"](r0, phi, g), catchup.time_to_halve_gap(r0, phi, g)
        if not (ours == ref == np.inf or np.isclose(ours, ref)):
            bad.append(f"time_to_halve_gap{(r0, phi, g)}")
    for a, e in [(0.0, 0.5), (0.5, 0.4), (2.0, 1.0)]:
        if not np.isclose(ns["diffusion_rate"](a, e), catchup.diffusion_rate(a, e)):
            bad.append(f"diffusion_rate{(a, e)}")
    for af0, al0, phi, g, t_max, dt in [(0.1, 1.0, 0.2, 0.03, 30.0, 0.05), (0.0, 2.0, 1.0, 0.1, 5.0, 1.0)]:
        ours = ns["simulate_catch_up"](af0, al0, phi, g, t_max, dt)
        ref = catchup.simulate_catch_up(af0, al0, phi, g, t_max, dt)
        if not (np.allclose(ours["t"], ref.t) and np.allclose(ours["leader"], ref.leader)
                and np.allclose(ours["follower"], ref.follower) and np.allclose(ours["gap"], ref.gap)):
            bad.append(f"simulate_catch_up{(af0, al0, phi, g, t_max, dt)}")
    sweep = ns["absorptive_capacity_sweep"]([0.05, 0.1, 0.5, 2.0], 0.4, 0.03, 0.9, 20.0)
    phi = catchup.diffusion_rate(np.array([0.05, 0.1, 0.5, 2.0]), 0.4)
    if not (np.allclose(sweep["steady_state_gap"], catchup.steady_state_gap(phi, 0.03))
            and np.allclose(sweep["gap_at_horizon"], catchup.relative_gap(20.0, 0.9, phi, 0.03))
            and np.array_equal(np.isinf(sweep["years_to_halve_gap"]),
                               np.isinf(catchup.time_to_halve_gap(0.9, phi, 0.03)))):
        bad.append("absorptive_capacity_sweep")
    return bad


def test_ps2_key_matches_reference_package():
    ns = _solution_namespace()
    assert _key_disagreements(ns) == []
    with pytest.raises(ValueError):
        ns["steady_state_gap"](0.0, 0.0)
    with pytest.raises(ValueError):
        ns["simulate_catch_up"](0.1, 1.0, 3.0, 0.0, 10.0, 0.5)


def test_key_comparison_catches_the_planted_mistake():
    """The comparison can fail: the partly wrong submission's relative_gap is caught."""
    bad = _key_disagreements(_solution_namespace(PLANTED))
    assert any(b.startswith("relative_gap") for b in bad)
    assert "absorptive_capacity_sweep" in bad
    assert not any(b.startswith(("steady_state_gap", "simulate_catch_up")) for b in bad)


# ----------------------------------------------------------------------------- rubrics


@pytest.mark.parametrize("assignment", ["ps1", "ps2"])
def test_rubric_matches_the_manually_graded_answers(assignment):
    yaml = pytest.importorskip("yaml")
    rubric = yaml.safe_load((COURSE / "rubrics" / f"{assignment}.yaml").read_text(encoding="utf-8"))
    source = load_nb(COURSE / "source" / assignment / f"{assignment}.ipynb")
    assert rubric_problems(rubric, source) == []
    assert {q["grade_id"] for q in rubric} == {"q1_answer", "q2_answer"}


def test_rubric_check_catches_a_broken_rubric():
    yaml = pytest.importorskip("yaml")
    rubric = yaml.safe_load((COURSE / "rubrics" / "ps2.yaml").read_text(encoding="utf-8"))
    source = load_nb(COURSE / "source" / "ps2" / "ps2.ipynb")
    rubric[0]["criteria"][0]["levels"][0]["points"] = 2  # best levels now add up to 4, not 3
    del rubric[1]  # and q2_answer is missing
    problems = rubric_problems(rubric, source)
    assert any("add up to 4.0" in p for p in problems)
    assert any("differ from the notebook's manual cells" in p for p in problems)
