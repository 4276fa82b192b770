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
import yaml

from conftest import COURSE, hidden_test_lines, load_nb, nbgrader_meta, solution_lines, src
from grading.conftest import (check_alternatives_full_marks, check_scores, check_validation, leaks, release_markers,
                              rubric_problems, solution_namespace, structure_problems,
                              unguarded_hidden_sections)

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


def _source() -> dict:
    return load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def test_source_structure_points_and_guards():
    nb = _source()
    assert structure_problems(nb, AUTOGRADED, MANUAL) == []
    assert not unguarded_hidden_sections(nb)
    broken = _source()
    for cell in broken["cells"]:
        if nbgrader_meta(cell).get("grade_id") == "test_degroot":
            cell["source"] = src(cell).replace("import sys\n", "", 1)
    assert unguarded_hidden_sections(broken) == ["test_degroot"]
    intro = src(nb["cells"][0])
    for phrase in ("Learning goals", "Builds on", "Time.", "hidden", "learning_dynamics"):
        assert phrase in intro
    # The governance table is presented with its verification status, not as the paper's own table.
    text = " ".join(" ".join(src(c).split()) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "table used in this course" in text and "could not read the article's own table" in text


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


def _solution_namespace(edits: dict[str, tuple[str, str]] | None = None) -> dict:
    return solution_namespace(ASSIGNMENT, edits)


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


def test_release_has_no_solutions_or_hidden_tests(graded):
    source = load_nb(graded["course"] / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    text = (graded["course"] / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text("utf-8")
    assert release_markers(text) == []
    assert not leaks(text, solution_lines(source))
    assert not leaks(text, hidden_test_lines(source))
    assert "raise NotImplementedError" in text
    # The check can fail: a release with one hidden test line pasted in is caught.
    assert leaks(text + hidden_test_lines(source)[-1], hidden_test_lines(source))
