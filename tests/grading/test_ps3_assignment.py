"""ps3 (March's exploration and exploitation): validation, exact autograded scores, answer key.

The submissions (correct, blank, partly wrong and the alternative correct solutions in
alternatives/ps3_*.py) are graded once per module through the instructor pipeline by the shared
``graded`` fixture (tests/grading/conftest.py). The answer key is compared draw
for draw with learning_dynamics.march.simulate at its default options, which ps3's conventions copy.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import COURSE, load_nb
from grading.conftest import (check_alternatives_full_marks, check_feedback_hides_hidden_tests, check_scores,
                              check_validation, rubric_problems, solution_namespace)
from learning_dynamics import march

ASSIGNMENT = "ps3"
# Autograded points: initialise 2, knowledge 1, actions and superior group 2, socialise 3,
# learn_code 3, simulate 2, sweep 2 (15); two written answers of 3 points each are graded by hand.
AUTOGRADED = {"test_initialise": 2.0, "test_knowledge": 1.0, "test_actions_superior": 2.0,
              "test_socialise": 3.0, "test_learn_code": 3.0, "test_simulate": 2.0, "test_sweep": 2.0}
AUTOGRADED_MAX = sum(AUTOGRADED.values())  # 15
TOTAL_MAX = AUTOGRADED_MAX + 6.0  # 21

# The planted mistake: socialisation moves a member straight to the code's value instead of one
# step towards it (an opposite belief should first become 0). It fails test_socialise (3 points)
# and test_simulate (2 points), whose hidden test compares the trajectory with the reference
# model's for a fixed seed. The sweep is checked for consistency with the student's own simulate,
# so it keeps its 2 points, as do the other step functions: 15 - 3 - 2 = 10.
PLANTED = {"socialise": ("flat[moving] += target[moving]", "flat[moving] = target[moving]")}
PARTLY_WRONG_FAILS = {"test_socialise", "test_simulate"}
PARTLY_WRONG_SCORE = 10.0


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
    return solution_namespace(ASSIGNMENT, edits, skip=("show_table",))


SETTINGS = [(30, 50, 0.1, 0.9), (30, 50, 0.9, 0.9), (30, 50, 0.5, 0.1), (30, 50, 1.0, 1.0),
            (30, 50, 0.0, 0.5), (12, 7, 0.3, 0.6)]


def _key_disagreements(ns: dict, seeds=range(6), periods: int = 25) -> list[str]:
    """Settings where the key's simulate differs from march.simulate (defaults) with the same seed."""
    bad = []
    for m, n, p1, p2 in SETTINGS:
        for seed in seeds:
            ours = ns["simulate"](m, n, p1, p2, periods, np.random.default_rng(seed))
            ref = march.simulate(m=m, n=n, p1=p1, p2=p2, replications=1, periods=periods, seed=seed)
            if not (np.allclose(ours["code_knowledge"], ref.code_knowledge[0])
                    and np.allclose(ours["member_knowledge"], ref.member_knowledge[0])):
                bad.append(f"simulate{(m, n, p1, p2, seed)}")
    return bad


def test_ps3_key_matches_reference_package_draw_for_draw():
    ns = _solution_namespace()
    assert _key_disagreements(ns) == []
    # The initial state is the reference model's initial state (a run of zero periods).
    for seed in range(4):
        reality, beliefs, code = ns["initialise"](30, 50, np.random.default_rng(seed))
        ref = march.simulate(m=30, n=50, replications=1, periods=0, seed=seed)
        assert np.array_equal(reality, ref.reality[0])
        assert np.array_equal(beliefs, ref.beliefs[0])
        assert np.array_equal(code, ref.code[0])
        assert np.isclose(ns["knowledge"](beliefs, reality).mean(), ref.member_knowledge[0, 0])


def test_ps3_sweep_matches_reference_runs_on_one_generator():
    ns = _solution_namespace()
    table = ns["sweep"]([0.1, 0.9], 0.9, 4, 15, 1991)
    rng = np.random.default_rng(1991)
    for row, p1 in zip(table.itertuples(), [0.1, 0.9]):
        runs = [march.simulate(p1=p1, p2=0.9, replications=1, periods=15, seed=rng) for _ in range(4)]
        assert np.isclose(row.code_knowledge, np.mean([r.final_code_knowledge[0] for r in runs]))
        assert np.isclose(row.member_knowledge, np.mean([r.final_member_knowledge[0] for r in runs]))


def test_ps3_step_rules_match_reference_probabilities():
    """learn_code's adoption probability is march's 1 - (1 - p2)**k with k = |net votes|."""
    ns = _solution_namespace()
    rng = np.random.default_rng(3)
    for _ in range(20):
        actions = np.where(rng.random((9, 12)) < 0.5, 1, -1)
        reality = np.where(rng.random(12) < 0.5, 1, -1)
        code = rng.integers(0, 3, size=12) - 1
        sup_ours = ns["superior_group"](actions, code, reality)
        S, sup_ref, source = march._superior_stats(actions[None].astype(np.float32),
                                                   code[None].astype(np.float32),
                                                   reality[None].astype(np.float32), "beliefs", None)
        assert np.array_equal(sup_ours, sup_ref[0])
        prob, _ = march._code_change_prob(S, sup_ref, source, code[None].astype(np.float32),
                                          np.array([0.3]), "net")
        # A fake generator returning u just below / just above each dimension's probability
        # (never below 0, as a real generator's draws).
        for u, expect_change in [(np.maximum(prob[0] - 1e-9, 0.0), True), (prob[0] + 1e-9, False)]:
            class Draws:
                def random(self, size=None, _u=u):
                    return np.asarray(_u, dtype=float)

            new = ns["learn_code"](code, actions, sup_ours, 0.3, Draws())
            changed = new != code
            can = prob[0] > 0
            assert np.array_equal(changed, can & expect_change)


def test_key_comparison_catches_the_planted_mistake():
    """The comparison can fail: one-step socialisation (the partly wrong submission) is caught."""
    bad = _key_disagreements(_solution_namespace(PLANTED), seeds=range(2))
    assert any("0.9, 0.9" in b for b in bad)
    # With p1 = 0 nobody is socialised, so the mistake cannot show there.
    assert not any(", 0.0, 0.5," in b for b in bad)


# ----------------------------------------------------------------------------- rubric


def test_rubric_matches_the_manually_graded_answers():
    yaml = pytest.importorskip("yaml")
    rubric = yaml.safe_load((COURSE / "rubrics" / "ps3.yaml").read_text(encoding="utf-8"))
    source = load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert rubric_problems(rubric, source) == []
    assert {q["grade_id"] for q in rubric} == {"q1_answer", "q2_answer"}
