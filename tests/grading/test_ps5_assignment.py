"""Problem set 5 (communities of practice and value-chain governance): validation, exact grading, key.

The exact scores below come from the points in the source notebook:

    test_network 2, test_trust 2, test_degroot 2, test_newcomer 2,            (Part A, 8)
    test_key_table 1, test_classify 2, test_classify_links 1, test_summary 2  (Part B, 6)
    -> 14 autograded points; q1_answer 3, q2_answer 3 graded by hand; maximum 20.

* correct: the source's solutions pasted into the release -> 14 (written answers not graded yet).
* blank: the untouched release -> 0 (every function raises NotImplementedError).
* partly wrong: two realistic slips.
  1. trust_matrix divides by the degree vector without adding an axis, ``a / safe`` instead of
     ``a / safe[:, None]``: numpy broadcasts it along the columns, so rows no longer sum to 1.
     Fails test_trust (2). The DeGroot test uses its own matrices, so it is unaffected.
  2. classify maps low complexity, high codifiability and low capability to "market" instead of
     "exclusion from the value chain" (reading "market" as "anything simple and codifiable").
     Fails test_classify (2) and test_classify_links (1), which classifies links with that
     combination through the student's classify; test_summary summarises its own hand-made table
     and checks only the shape of the student's summary of the simulated links, so it passes.
  14 - 2 - 2 - 1 = 9.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import (COURSE, HIDDEN_MARKERS, fill_solutions, hidden_test_lines, load_nb, nbgrader_meta,
                      run_tool, save_nb, solution_lines, src)
from course_tools.pipeline import run_pipeline

ASSIGNMENT = "ps5"
AUTOGRADED = {"test_network": 2, "test_trust": 2, "test_degroot": 2, "test_newcomer": 2,
              "test_key_table": 1, "test_classify": 2, "test_classify_links": 1, "test_summary": 2}
MANUAL = {"q1_answer": 3, "q2_answer": 3}
AUTOGRADED_MAX = 14.0
TOTAL_MAX = 20.0
PLANTED = {
    "trust_matrix": ("w = (1.0 - self_weight) * a / safe[:, None]", "w = (1.0 - self_weight) * a / safe"),
    "classify": ('("low", "high", "low"): "exclusion from the value chain"', '("low", "high", "low"): "market"'),
}
PARTLY_WRONG_SCORE = 9.0
PARTLY_WRONG_FAILS = {"test_trust", "test_classify", "test_classify_links"}
GUARD = 'assert "learning_dynamics" not in sys.modules'


def _source() -> dict:
    return load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


@pytest.fixture
def ps5_released(course):
    """The scratch course with only this assignment generated (others may be work in progress)."""
    proc = run_tool(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return course


def _unguarded_hidden_sections(nb: dict) -> list[str]:
    """grade_ids of cells whose hidden sections do not open with the no-reference-package guard."""
    bad = []
    for cell in nb["cells"]:
        for part in src(cell).split(HIDDEN_MARKERS[0])[1:]:
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
    broken = _source()
    for cell in broken["cells"]:
        if nbgrader_meta(cell).get("grade_id") == "test_degroot":
            cell["source"] = src(cell).replace("import sys\n", "", 1)
    assert _unguarded_hidden_sections(broken) == ["test_degroot"]
    intro = src(nb["cells"][0])
    for phrase in ("Learning goals", "Builds on", "Time.", "hidden", "learning_dynamics"):
        assert phrase in intro
    # The governance table is presented with its verification status, not as the paper's own table.
    text = " ".join(" ".join(src(c).split()) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "table used in this course" in text and "could not read the article's own table" in text


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


def test_nbgrader_validate_passes_on_source_and_fails_on_release(ps5_released):
    proc = run_tool(["nbgrader", "validate", f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"], ps5_released)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Success! Your notebook passes all the tests." in proc.stdout, proc.stdout[-2000:]
    blank = run_tool(["nbgrader", "validate", f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"], ps5_released)
    assert "Success!" not in blank.stdout
    assert "VALIDATION FAILED" in blank.stdout, blank.stdout[-2000:]


def test_pipeline_scores_three_submissions_exactly(ps5_released, tmp_path):
    release = load_nb(ps5_released / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    source = load_nb(ps5_released / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    subs = tmp_path / "downloads"
    save_nb(fill_solutions(release, source), subs / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    save_nb(release, subs / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    save_nb(fill_solutions(release, source, edits=PLANTED),
            subs / "partly_wrong" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    result = run_pipeline(ASSIGNMENT, course=ps5_released, submissions=subs)
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


def _solution_namespace(edits: dict[str, tuple[str, str]] | None = None) -> dict:
    """Execute the source's setup and solution cells (no tests, no use cells) in a fresh namespace."""
    ns: dict = {}
    for cell in _source()["cells"]:
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "code" and not meta.get("grade") and "plt.show" not in src(cell):
            code = src(cell)
            if edits and meta.get("grade_id") in edits:
                code = code.replace(*edits[meta["grade_id"]])
            exec(compile(code, f"{ASSIGNMENT}:{meta.get('grade_id')}", "exec"), ns)
    return ns


def test_answer_key_matches_reference_package():
    from learning_dynamics import community, governance

    ns = _solution_namespace()
    for args, seed in [((4, 16, 0.9, 0.25, 0.05), 2013), ((3, 12, 0.7, 0.1, 0.1), 8), ((1, 5, 1.0, 0.0, 0.0), 2),
                       ((6, 0, 0.5, 0.5, 0.5), 9)]:
        mine = ns["core_periphery_network"](*args, np.random.default_rng(seed))
        ref = community.core_periphery_network(*args, seed=np.random.default_rng(seed))
        assert np.array_equal(mine, ref), (args, seed)
        for s in (0.0, 0.3, 1.0):
            assert np.allclose(ns["trust_matrix"](mine, s), community.trust_matrix(ref, s))
    adjacency = community.core_periphery_network(4, 16, 0.9, 0.25, 0.05, seed=2013)
    w = community.trust_matrix(adjacency, 0.4)
    b0 = np.random.default_rng(1).random((20, 3))
    assert np.allclose(ns["degroot"](w, b0, 25), community.degroot(w, b0, 25))
    assert np.allclose(ns["degroot"](w, b0[:, 0], 25), community.degroot(w, b0[:, 0], 25))
    for kw in [dict(steps=40, initial_tie=0.05, max_tie=0.5, participation_sensitivity=0.25),
               dict(steps=12, initial_tie=0.2, max_tie=0.9, participation_sensitivity=2.0,
                    initial_knowledge=3.0, core_knowledge=-1.0)]:
        pd.testing.assert_frame_equal(ns["newcomer_trajectory"](**kw), community.newcomer_trajectory(**kw),
                                      check_dtype=False)

    key_mine = ns["key_determinants_table"]()
    key_ref = governance.key_determinants_table()
    pd.testing.assert_frame_equal(key_mine, key_ref[key_mine.columns], check_dtype=False)
    for combo in itertools.product(("high", "low"), repeat=3):
        assert ns["classify"](*combo) == governance.classify(*combo), combo
    links = ns["make_links"]()
    classified = ns["classify_links"](links)
    ref_types = governance.classify_frame(links, "complexity", "codifiability", "capability")
    assert list(classified["governance_type"]) == list(ref_types)
    ref_rank = [governance.coordination_rank(t) if t in governance.GOVERNANCE_TYPES else np.nan
                for t in ref_types]
    assert np.allclose(classified["coordination_rank"], ref_rank, equal_nan=True)
    summary = ns["summarise_by_sector"](classified)
    for sector, group in links.assign(t=ref_types).groupby("sector"):
        assert summary.loc[sector, "n_links"] == len(group)
        assert np.isclose(summary.loc[sector, "share_captive"], (group["t"] == "captive").mean())
        assert np.isclose(summary.loc[sector, "share_governed"],
                          group["t"].isin(governance.GOVERNANCE_TYPES).mean())


def test_answer_key_comparison_can_fail():
    """A key with the planted mistakes disagrees with the reference package."""
    from learning_dynamics import community, governance

    ns = _solution_namespace(PLANTED)
    adjacency = community.core_periphery_network(4, 16, 0.9, 0.25, 0.05, seed=2013)
    assert not np.allclose(ns["trust_matrix"](adjacency, 0.5), community.trust_matrix(adjacency, 0.5))
    assert ns["classify"]("low", "high", "low") != governance.classify("low", "high", "low")


def _leaks(text: str, lines: list[str]) -> list[str]:
    """Lines of a secret region found in text (the rule of test_release_and_feedback_secrets)."""
    trivial = {"return", "pass", "else:", "try:", "rows = {}"}
    return [ln for ln in lines if ln not in trivial and len(ln) > 12 and ln in text]


def test_release_has_no_solutions_or_hidden_tests(ps5_released):
    source = load_nb(ps5_released / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    text = (ps5_released / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text("utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    assert not _leaks(text, solution_lines(source))
    assert not _leaks(text, hidden_test_lines(source))
    assert "raise NotImplementedError" in text
    # The check can fail: a release with one hidden test line pasted in is caught.
    assert _leaks(text + hidden_test_lines(source)[-1], hidden_test_lines(source))
