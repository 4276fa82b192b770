"""ps2 (catch-up under unilateral learning): validation, exact autograded scores, answer key.

The three submissions are graded once per module through the instructor pipeline
(course_tools.pipeline.run_pipeline) in a scratch copy of the course.
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
PARTLY_WRONG_SCORE = 7.0


def _scratch_course(tmp_path_factory):
    dst = tmp_path_factory.mktemp(f"{ASSIGNMENT}_course") / "course"
    shutil.copytree(COURSE, dst, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "*.csv",
        ".ipynb_checkpoints"))
    return dst


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release ps2, build three submissions, grade them through the pipeline once."""
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
    # The same check fails on the untouched student release.
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
    assert scores["partly_wrong", "test_relative_gap"] == 0.0
    assert scores["partly_wrong", "test_sweep"] == 0.0
    for question in ["test_steady_state", "test_time_to_halve", "test_simulate"]:
        assert scores["partly_wrong", question] == AUTOGRADED[question], question
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
        if edits and meta.get("grade_id") in edits:
            old, new = edits[meta["grade_id"]]
            assert old in text
            text = text.replace(old, new)
        exec(compile(text, f"{ASSIGNMENT}:{meta.get('grade_id')}", "exec"), ns)
    return ns


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


def rubric_problems(rubric, source_nb: dict) -> list[str]:
    """What is wrong with a rubric (parsed YAML) for a source notebook's hand-graded answers.

    Checks the schema (list of questions with grade_id, points, criteria, strong_answer; each
    criterion with levels of points and descriptor), that the questions are exactly the notebook's
    manually graded cells with the same points, that the best levels add up to the question's points
    and that every criterion has a zero level. Returns an empty list when all is well.
    """
    manual = {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in source_nb["cells"]
              if c["cell_type"] == "markdown" and nbgrader_meta(c).get("grade")}
    problems = []
    if not isinstance(rubric, list):
        return ["the rubric must be a list of questions"]
    seen = {}
    for q in rubric:
        missing = {"grade_id", "points", "criteria", "strong_answer"} - set(q)
        if missing:
            problems.append(f"question lacks {sorted(missing)}")
            continue
        gid = q["grade_id"]
        seen[gid] = float(q["points"])
        if not str(q["strong_answer"]).strip():
            problems.append(f"{gid}: empty strong_answer")
        best = 0.0
        for crit in q["criteria"]:
            levels = crit.get("levels") or []
            if not crit.get("criterion") or not levels:
                problems.append(f"{gid}: a criterion lacks a name or levels")
                continue
            if any(not str(lv.get("descriptor", "")).strip() for lv in levels):
                problems.append(f"{gid}/{crit['criterion']}: a level lacks a descriptor")
            pts = [float(lv["points"]) for lv in levels]
            if min(pts) != 0:
                problems.append(f"{gid}/{crit['criterion']}: no zero level")
            best += max(pts)
        if best != float(q["points"]):
            problems.append(f"{gid}: best levels add up to {best}, not {q['points']}")
    if seen != manual:
        problems.append(f"rubric questions {seen} differ from the notebook's manual cells {manual}")
    return problems


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
