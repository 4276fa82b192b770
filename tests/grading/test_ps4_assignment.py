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

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import (COURSE, HIDDEN_MARKERS, fill_solutions, hidden_test_lines, load_nb, nbgrader_meta,
                      run_tool, save_nb, solution_lines, src)
from course_tools.pipeline import run_pipeline

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
GUARD = 'assert "learning_dynamics" not in sys.modules'


def _source() -> dict:
    return load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


@pytest.fixture
def ps4_released(course):
    """The scratch course with only this assignment generated (others may be work in progress)."""
    proc = run_tool(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return course


def _unguarded_hidden_sections(nb: dict) -> list[str]:
    """grade_ids of cells whose hidden sections do not open with the no-reference-package guard."""
    bad = []
    for cell in nb["cells"]:
        parts = src(cell).split(HIDDEN_MARKERS[0])[1:]
        for part in parts:
            lines = [ln.strip() for ln in part.splitlines() if ln.strip()]
            if lines[:2] != ["import sys", GUARD + ', "the reference package may not be used"']:
                bad.append(nbgrader_meta(cell).get("grade_id"))
    return bad


def test_source_structure_points_and_guards():
    nb = _source()
    graded = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c) for c in nb["cells"]
              if nbgrader_meta(c).get("grade")}
    assert {k: v["points"] for k, v in graded.items() if not v.get("solution")} == AUTOGRADED
    assert {k: v["points"] for k, v in graded.items() if v.get("solution")} == MANUAL
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None
        if nbgrader_meta(cell).get("grade_id") in AUTOGRADED:
            assert HIDDEN_MARKERS[0] in src(cell), nbgrader_meta(cell)["grade_id"]
    assert not _unguarded_hidden_sections(nb)
    # The guard check can fail: drop the guard from one hidden section and it is reported.
    broken = load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for cell in broken["cells"]:
        if nbgrader_meta(cell).get("grade_id") == "test_sweep":
            cell["source"] = src(cell).replace(GUARD, "assert True")
    assert _unguarded_hidden_sections(broken) == ["test_sweep"]
    intro = src(nb["cells"][0])
    for phrase in ("Learning goals", "Builds on", "Time.", "hidden", "learning_dynamics"):
        assert phrase in intro


def test_rubric_matches_the_written_answers():
    rubric = yaml.safe_load((COURSE / "rubrics" / f"{ASSIGNMENT}.yaml").read_text("utf-8"))
    assert isinstance(rubric, list), "same schema as the other rubrics: a list of questions"
    questions = {q["grade_id"]: q for q in rubric}
    assert {k: q["points"] for k, q in questions.items()} == MANUAL
    for q in questions.values():
        assert q["strong_answer"].strip()
        assert sum(max(lv["points"] for lv in c["levels"]) for c in q["criteria"]) == q["points"]
        for c in q["criteria"]:
            assert c["criterion"].strip() and min(lv["points"] for lv in c["levels"]) == 0
            assert all(lv["descriptor"].strip() for lv in c["levels"])


def test_nbgrader_validate_passes_on_source_and_fails_on_release(ps4_released):
    proc = run_tool(["nbgrader", "validate", f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"], ps4_released)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Success! Your notebook passes all the tests." in proc.stdout, proc.stdout[-2000:]
    blank = run_tool(["nbgrader", "validate", f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"], ps4_released)
    assert "Success!" not in blank.stdout
    assert "VALIDATION FAILED" in blank.stdout, blank.stdout[-2000:]


def test_pipeline_scores_three_submissions_exactly(ps4_released, tmp_path):
    release = load_nb(ps4_released / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    source = load_nb(ps4_released / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    subs = tmp_path / "downloads"
    save_nb(fill_solutions(release, source), subs / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    save_nb(release, subs / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    save_nb(fill_solutions(release, source, edits=PLANTED),
            subs / "partly_wrong" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    result = run_pipeline(ASSIGNMENT, course=ps4_released, submissions=subs)
    assert result["reconciled"]
    assert {o.student_id: o.status for o in result["outcomes"]} == {
        "blank": "graded", "correct": "graded", "partly_wrong": "graded"}
    # Honest submissions (correct, partly wrong, blank) are never flagged by the tamper canaries.
    assert not [p for o in result["outcomes"] for p in o.problems if "tampering" in p]

    grades = pd.read_csv(result["out"] / "grades.csv", dtype={"student_id": str}).set_index("student_id")
    assert grades.loc["correct", "score"] == AUTOGRADED_MAX
    assert grades.loc["blank", "score"] == 0.0
    assert grades.loc["partly_wrong", "score"] == PARTLY_WRONG_SCORE
    assert (grades["max_score"] == TOTAL_MAX).all()

    auto = result["scores"].query("kind == 'autograded'")
    assert set(auto["question"]) == set(AUTOGRADED)
    by = auto.set_index(["student_id", "question"])["score"]
    for question, points in AUTOGRADED.items():
        assert by["correct", question] == points
        # Every autograded test fails on the untouched release.
        assert by["blank", question] == 0.0
        expected = 0.0 if question in PARTLY_WRONG_FAILS else points
        assert by["partly_wrong", question] == expected, question


def _solution_namespace(edit: tuple[str, str] = ("", "")) -> dict:
    """Execute the source's setup and solution cells (no tests, no plot) in a fresh namespace.

    ``edit`` = (old, new) is replaced in the code first, to plant a mistake.
    """
    ns: dict = {}
    for cell in _source()["cells"]:
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "code" and not meta.get("grade") and "plt.show" not in src(cell):
            code = src(cell).replace(*edit) if edit[0] else src(cell)
            exec(compile(code, f"{ASSIGNMENT}:{meta.get('grade_id')}", "exec"), ns)
    return ns


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


def _leaks(text: str, lines: list[str]) -> list[str]:
    """Lines of a secret region found in text (the rule of test_release_and_feedback_secrets)."""
    trivial = {"return", "pass", "else:", "try:", "rows = {}"}
    return [ln for ln in lines if ln not in trivial and len(ln) > 12 and ln in text]


def test_release_has_no_solutions_or_hidden_tests(ps4_released):
    source = load_nb(ps4_released / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    text = (ps4_released / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text("utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    assert not _leaks(text, solution_lines(source))
    assert not _leaks(text, hidden_test_lines(source))
    assert "raise NotImplementedError" in text
    # The check can fail: a release with one hidden test line pasted in is caught.
    assert _leaks(text + hidden_test_lines(source)[-1], hidden_test_lines(source))
