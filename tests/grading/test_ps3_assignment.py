"""ps3 (March's exploration and exploitation): validation, exact autograded scores, answer key.

The three submissions are graded once per module through the instructor pipeline
(course_tools.pipeline.run_pipeline) in a scratch copy of the course. The answer key is compared draw
for draw with learning_dynamics.march.simulate at its default options, which ps3's conventions copy.
"""

from __future__ import annotations

import html
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from conftest import (COURSE, fill_solutions, hidden_test_lines, load_nb, nbgrader_meta, run_tool,
                      save_nb, src)
from course_tools.pipeline import run_pipeline
from learning_dynamics import march
from test_ps2_assignment import rubric_problems

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
PARTLY_WRONG_SCORE = 10.0


def _scratch_course(tmp_path_factory):
    dst = tmp_path_factory.mktemp(f"{ASSIGNMENT}_course") / "course"
    shutil.copytree(COURSE, dst, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "*.csv",
        ".ipynb_checkpoints"))
    return dst


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release ps3, build three submissions, grade them through the pipeline once."""
    course = _scratch_course(tmp_path_factory)
    proc = run_tool(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    release = load_nb(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    source = load_nb(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    subs = tmp_path_factory.mktemp(f"{ASSIGNMENT}_downloads")
    save_nb(fill_solutions(release, source), subs / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    save_nb(release, subs / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    save_nb(fill_solutions(release, source, edits=PLANTED),
            subs / "partly_wrong" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    result = run_pipeline(ASSIGNMENT, course=course, submissions=subs)
    return {"course": course, "result": result}


def test_source_validates_and_release_does_not(graded):
    course = graded["course"]
    ok = run_tool(["nbgrader", "validate", f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"], course)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout[-2000:]
    blank = run_tool(["nbgrader", "validate", f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"], course)
    assert "VALIDATION FAILED" in blank.stdout
    assert "Success!" not in blank.stdout


def test_pipeline_scores_three_submissions_exactly(graded):
    result = graded["result"]
    assert result["reconciled"]
    assert {o.student_id: o.status for o in result["outcomes"]} == {
        "blank": "graded", "correct": "graded", "partly_wrong": "graded"}
    # Honest submissions (correct, partly wrong, blank) are never flagged by the tamper canaries.
    assert not [p for o in result["outcomes"] for p in o.problems if "tampering" in p]
    grades = pd.read_csv(result["out"] / "grades.csv", dtype={"student_id": str})
    by_student = grades.set_index("student_id")
    assert by_student.loc["correct", "score"] == AUTOGRADED_MAX
    assert by_student.loc["blank", "score"] == 0.0
    assert by_student.loc["partly_wrong", "score"] == PARTLY_WRONG_SCORE
    assert (by_student["max_score"] == TOTAL_MAX).all()

    scores = result["scores"].set_index(["student_id", "question"])["score"]
    for question, points in AUTOGRADED.items():
        assert scores["correct", question] == points, question
        expected = 0.0 if question in {"test_socialise", "test_simulate"} else points
        assert scores["partly_wrong", question] == expected, question
    manual = result["scores"].query("kind == 'manual'")
    assert set(manual["question"]) == {"q1_answer", "q2_answer"}
    assert (manual["max_score"] == 3.0).all()
    report = result["report"].read_text(encoding="utf-8")
    assert "Submissions found: 3; graded: 3; reported failures: 0." in report


def test_feedback_shows_no_hidden_test(graded):
    """Feedback for a passing and a failing submission quotes no hidden test line."""
    source = load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    hidden = [ln for ln in hidden_test_lines(source) if len(ln) > 12]
    assert hidden
    for student in ["correct", "partly_wrong"]:
        pages = list((graded["course"] / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert pages, f"no feedback for {student}"
        text = re.sub(r"<[^>]+>", "", pages[0].read_text("utf-8"))
        text = html.unescape(text)
        assert not [ln for ln in hidden if ln in text], student
    # The check can fail: the autograded notebook (instructor-only) does contain the hidden tests.
    autograded = graded["course"] / "autograded" / "partly_wrong" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    inside = "\n".join(src(c) for c in load_nb(autograded)["cells"])
    assert [ln for ln in hidden if ln in inside]


def test_every_autograded_test_fails_on_the_untouched_release(graded):
    auto = graded["result"]["scores"].query("student_id == 'blank' and kind == 'autograded'")
    assert set(auto["question"]) == set(AUTOGRADED)
    assert (auto["score"] == 0).all(), auto


# ----------------------------------------------------------------------------- answer key


def _solution_namespace(edits: dict[str, tuple[str, str]] | None = None) -> dict:
    """Execute the source's setup and solution cells (not tests, not plots) in a fresh namespace."""
    nb = load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    ns: dict = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        text = src(cell)
        if cell["cell_type"] != "code" or meta.get("grade") or "plt.show" in text:
            continue
        if meta.get("grade_id") == "show_table":
            continue
        if edits and meta.get("grade_id") in edits:
            old, new = edits[meta["grade_id"]]
            assert old in text
            text = text.replace(old, new)
        exec(compile(text, f"{ASSIGNMENT}:{meta.get('grade_id')}", "exec"), ns)
    return ns


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
