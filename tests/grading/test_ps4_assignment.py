"""Problem set 4 (from unilateral to recursive mutual learning): validation, exact grading, answer key.

The exact scores below come from the points in the source notebook:

    test_cps_fidelity 1, test_simulate_step 2, test_simulate_checks 1, test_classify 2,
    test_switching 1, test_sweep 2   -> 9 autograded points
    q1_answer 3, q2_answer 3         -> 6 points graded by hand; maximum 15.

* correct: the source's solutions pasted into the release -> 9 (every autograded test passes; the
  written answers are not graded yet and count 0 in nbgrader's total).
* blank: the untouched release -> 0 (every function raises NotImplementedError).
* partly wrong: innovation applied to the producer's old level only, with the learnt capability added
  afterwards, ``p * (1 + g) + to_p`` instead of ``(p + to_p) * (1 + g)``. This is the order-of-steps
  slip students make when they write the two steps as separate increments. It fails the exact
  values of test_simulate_step (2 points) and the reference values of test_sweep (2 points), which
  runs the simulation; test_simulate_checks passes (its runs have no innovation, where the two orders
  agree), and the regime tests use hand-made results, so they pass. 9 - 2 - 2 = 5.
"""

from __future__ import annotations


import numpy as np
import yaml

from conftest import COURSE, hidden_test_lines, load_nb, nbgrader_meta, solution_lines, src
from grading.conftest import (GUARD, check_alternatives_full_marks, check_scores, check_validation, leaks,
                              release_markers, rubric_problems, solution_namespace, structure_problems,
                              unguarded_hidden_sections)

ASSIGNMENT = "ps4"
AUTOGRADED = {"test_cps_fidelity": 1, "test_simulate_step": 2, "test_simulate_checks": 1,
              "test_classify": 2, "test_switching": 1, "test_sweep": 2}
MANUAL = {"q1_answer": 3, "q2_answer": 3}
AUTOGRADED_MAX = 9.0
TOTAL_MAX = 15.0
PLANTED = {"simulate_mutual": ("producer[t + 1] = (p + to_p) * (1.0 + g_p)",
                               "producer[t + 1] = p * (1.0 + g_p) + to_p")}
PARTLY_WRONG_SCORE = 5.0
PARTLY_WRONG_FAILS = {"test_simulate_step", "test_sweep"}


def _source() -> dict:
    return load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def test_source_structure_points_and_guards():
    nb = _source()
    assert structure_problems(nb, AUTOGRADED, MANUAL) == []
    assert not unguarded_hidden_sections(nb)
    # The guard check can fail: drop the guard from one hidden section and it is reported.
    broken = load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for cell in broken["cells"]:
        if nbgrader_meta(cell).get("grade_id") == "test_sweep":
            cell["source"] = src(cell).replace(GUARD, "assert True")
    assert unguarded_hidden_sections(broken) == ["test_sweep"]
    intro = src(nb["cells"][0])
    for phrase in ("Learning goals", "Builds on", "Time.", "hidden", "learning_dynamics"):
        assert phrase in intro


def test_rubric_matches_the_written_answers():
    rubric = yaml.safe_load((COURSE / "rubrics" / f"{ASSIGNMENT}.yaml").read_text("utf-8"))
    assert rubric_problems(rubric, _source()) == []
    assert {q["grade_id"]: q["points"] for q in rubric} == MANUAL


def test_nbgrader_validate_passes_on_source_and_fails_on_release(graded):
    check_validation(graded["course"], ASSIGNMENT)


def test_pipeline_scores_three_submissions_exactly(graded):
    check_scores(graded, AUTOGRADED, TOTAL_MAX, PARTLY_WRONG_FAILS)
    assert graded["result"]["grades"].set_index("student_id").loc["partly_wrong", "score"] == \
        PARTLY_WRONG_SCORE


def test_alternative_solutions_score_full_marks(graded):
    """Correct solutions that differ where the text leaves freedom get every autograded point."""
    check_alternatives_full_marks(graded, AUTOGRADED)


def _solution_namespace(edit: tuple[str, str] | None = None) -> dict:
    """The source's setup and solution cells run in a fresh namespace; ``edit`` plants a mistake."""
    return solution_namespace(ASSIGNMENT, {"simulate_mutual": edit} if edit else None)


def test_answer_key_matches_reference_package():
    from learning_dynamics import mutual

    ns = _solution_namespace()
    f_ref = mutual.cps_fidelity(np.array([[0.1], [0.5]]), np.array([0.0, 0.3, 1.0]))
    assert np.allclose(ns["cps_fidelity"](np.array([[0.1], [0.5]]), np.array([0.0, 0.3, 1.0])), f_ref)

    cases = [
        dict(producer0=[0.5, 0.3, 0.4], customer0=[1.0, 1.0, 1.0], **ns["PARAMS"], cps=0.5),
        dict(producer0=[1.2, 0.4], customer0=[1.0, 0.9], absorptive_producer=[0.9, 0.2],
             absorptive_customer=0.3, base_fidelity=[0.1, 0.6], cps=[0.0, 0.8],
             growth_producer=0.01, growth_customer=[0.04, 0.0]),
    ]
    for kw in cases:
        mine = ns["simulate_mutual"](periods=35, **kw)
        kw_ref = {k: (np.asarray(v) if isinstance(v, list) else v) for k, v in kw.items()}
        ref = mutual.simulate_mutual(periods=35, **kw_ref)
        for key in ("producer", "customer", "to_producer", "to_customer", "fidelity"):
            assert np.allclose(mine[key], getattr(ref, key)[0]), key
        assert list(ns["classify_periods"](mine)) == list(mutual.classify_periods(ref)[0])
        assert ns["switching_period"](mine) == int(mutual.switching_period(ref)[0])

    # The sweep agrees with the reference sweep (scalar rates, which sweep_mutual requires) ...
    p0, c0 = [0.5, 0.3, 0.4], [1.0, 1.0, 1.0]
    cps_values = [0.0, 0.3, 0.6, 0.9]
    mine = ns["cps_sweep"](p0, c0, cps_values, 50, base_fidelity=0.15, growth_producer=0.03,
                           growth_customer=0.02)
    ref = mutual.sweep_mutual(p0, c0, periods=50, cps=cps_values, base_fidelity=0.15,
                              growth_producer=0.03, growth_customer=0.02)
    for col in ("cps", "switch_period", "mutual_share", "producer_final", "customer_final"):
        assert np.allclose(mine[col].to_numpy(float), ref[col].to_numpy(float)), col
    # ... and, for the notebook's scenario with per-domain rates, the batch simulation.
    table = ns["cps_sweep"](ns["P0"], ns["C0"], ns["CPS_VALUES"], ns["PERIODS"], **ns["PARAMS"])
    res = mutual.simulate_mutual(ns["P0"], ns["C0"], periods=ns["PERIODS"], **ns["PARAMS"],
                                 cps=np.array(ns["CPS_VALUES"])[:, None])
    assert list(table["switch_period"]) == list(mutual.switching_period(res))
    assert np.allclose(table["mutual_share"], (mutual.classify_periods(res) == "mutual").mean(axis=1))
    assert np.allclose(table["producer_final"], res.producer[:, -1].mean(axis=1))


def test_answer_key_comparison_can_fail():
    """A key with the planted mistake disagrees with the reference package."""
    from learning_dynamics import mutual

    ns = _solution_namespace(PLANTED["simulate_mutual"])
    mine = ns["simulate_mutual"]([0.5, 0.3], [1.0, 1.0], 20, growth_producer=0.05)
    ref = mutual.simulate_mutual([0.5, 0.3], [1.0, 1.0], periods=20, growth_producer=0.05)
    assert not np.allclose(mine["producer"], ref.producer[0])


def test_release_has_no_solutions_or_hidden_tests(graded):
    source = load_nb(graded["course"] / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    text = (graded["course"] / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text("utf-8")
    assert release_markers(text) == []
    assert not leaks(text, solution_lines(source))
    assert not leaks(text, hidden_test_lines(source))
    assert "raise NotImplementedError" in text
    # The check can fail: a release with one hidden test line pasted in is caught.
    assert leaks(text + hidden_test_lines(source)[-1], hidden_test_lines(source))
