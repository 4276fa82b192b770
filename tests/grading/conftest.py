"""Shared fixtures and helpers of the assignment tests (tests/grading/test_ps*_assignment.py).

A test module sets ``ASSIGNMENT`` (and, for a planted mistake, ``PLANTED``: grade_id -> (old, new)
text replaced in that solution) and asks for the module-scoped ``graded`` fixture: a scratch copy of
the course with that assignment released and these submissions graded once, in one run of the
instructor pipeline (``course_tools.grade.run_pipeline``):

* ``correct``: the release with the source's solutions pasted in;
* ``blank``: the untouched release;
* ``partly_wrong``: the correct submission with ``PLANTED`` applied (only when the module sets it);
* ``alt_<name>``: one per file ``alternatives/<assignment>_<name>.py``, alternative correct
  solutions (our own model code) that differ from the source where the problem set's text leaves
  freedom; see :func:`alternative_submission`. Each must get full autograded marks.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import (COURSE, HIDDEN_MARKERS, SOLUTION_MARKERS, fill_solutions, hidden_test_lines,
                      load_nb, nbgrader_meta, run_tool, save_nb, src)
from course_tools.grade import run_pipeline

ALTERNATIVES = Path(__file__).resolve().parent / "alternatives"
#: The first line of every hidden-test section (after ``import sys``).
GUARD = 'assert "learning_dynamics" not in sys.modules'
#: Lines that legitimately appear both in a solution and in the student's starting code or tests.
TRIVIAL = {"return", "pass", "else:", "try:", "rows = {}"}
_CELL_HEADER = re.compile(r"^# %% (\S+)\s*$", re.MULTILINE)


def scratch_course(parent: Path) -> Path:
    """A copy of the nbgrader course under ``parent`` with nothing generated (no student work)."""
    dst = parent / "course"
    shutil.copytree(COURSE, dst, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "*.csv",
        ".ipynb_checkpoints"))
    return dst


def release(course: Path, assignment: str) -> Path:
    """Run ``nbgrader generate_assignment`` for one assignment in ``course``; returns the course."""
    proc = run_tool(["nbgrader", "generate_assignment", assignment, "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return course


def alternative_files(assignment: str) -> list[Path]:
    """The alternative solutions kept for an assignment, ``alternatives/<assignment>_*.py``."""
    return sorted(ALTERNATIVES.glob(f"{assignment}_*.py"))


def alternative_cells(path: Path) -> dict[str, str]:
    """grade_id -> replacement answer code, from a file of ``# %% <grade_id>`` sections.

    The text before the first section (the header comment) is not an answer.
    """
    text = path.read_text(encoding="utf-8")
    parts = _CELL_HEADER.split(text)
    cells = {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}
    if not cells:
        raise ValueError(f"{path.name} has no '# %% <grade_id>' section")
    return cells


def alternative_submission(release_nb: dict, source_nb: dict, path: Path) -> dict:
    """The correct submission with the answer cells named in ``path`` replaced by its code."""
    nb = fill_solutions(release_nb, source_nb)
    cells = alternative_cells(path)
    by_id = {nbgrader_meta(c).get("grade_id"): c for c in nb["cells"] if nbgrader_meta(c).get("solution")}
    unknown = set(cells) - set(by_id)
    if unknown:
        raise ValueError(f"{path.name}: no answer cell {sorted(unknown)} in the release")
    for gid, code in cells.items():
        by_id[gid]["source"] = code
    return nb


def grade_assignment(assignment: str, parent: Path, planted: dict | None = None) -> dict:
    """Release ``assignment`` in a scratch course and grade the submissions listed above, once."""
    course = release(scratch_course(parent), assignment)
    release_nb = load_nb(course / "release" / assignment / f"{assignment}.ipynb")
    source_nb = load_nb(course / "source" / assignment / f"{assignment}.ipynb")
    subs = parent / "downloads"
    name = f"{assignment}.ipynb"
    save_nb(fill_solutions(release_nb, source_nb), subs / "correct" / assignment / name)
    save_nb(release_nb, subs / "blank" / assignment / name)
    if planted:
        save_nb(fill_solutions(release_nb, source_nb, edits=planted),
                subs / "partly_wrong" / assignment / name)
    students = ["correct", "blank"] + (["partly_wrong"] if planted else [])
    alternatives = []
    for path in alternative_files(assignment):
        student = "alt_" + path.stem.split("_", 1)[1].replace("_", "-")
        save_nb(alternative_submission(release_nb, source_nb, path), subs / student / assignment / name)
        alternatives.append(student)
    result = run_pipeline(assignment, course=course, submissions=subs)
    return {"course": course, "result": result, "alternatives": alternatives,
            "students": students + alternatives}


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory) -> dict:
    """The module's ASSIGNMENT released and graded once (see the module docstring)."""
    assignment = request.module.ASSIGNMENT
    return grade_assignment(assignment, tmp_path_factory.mktemp(f"{assignment}_graded"),
                            getattr(request.module, "PLANTED", None))


def check_all_graded(graded: dict) -> None:
    """Every submission of the ``graded`` fixture was graded, and the run reconciles."""
    result = graded["result"]
    assert result["reconciled"]
    assert {o.student_id: o.status for o in result["outcomes"]} == dict.fromkeys(graded["students"],
                                                                                "graded")
    n = len(graded["students"])
    report = result["report"].read_text(encoding="utf-8")
    assert f"Submissions found: {n}; graded: {n}; reported failures: 0." in report


def check_feedback_hides_hidden_tests(graded: dict, assignment: str, students: list[str]) -> None:
    """The students' feedback pages quote no hidden-test line (the autograded notebooks do)."""
    source = load_nb(COURSE / "source" / assignment / f"{assignment}.ipynb")
    hidden = [ln for ln in hidden_test_lines(source) if len(ln) > 12]
    assert hidden
    for student in students:
        pages = list((graded["course"] / "feedback" / student / assignment).glob("*.html"))
        assert pages, f"no feedback for {student}"
        text = html.unescape(re.sub(r"<[^>]+>", "", pages[0].read_text("utf-8")))
        assert not [ln for ln in hidden if ln in text], student
        # The check can fail: the autograded notebook (instructor-only) contains the hidden tests.
        autograded = graded["course"] / "autograded" / student / assignment / f"{assignment}.ipynb"
        inside = "\n".join(src(c) for c in load_nb(autograded)["cells"])
        assert [ln for ln in hidden if ln in inside], student


def check_scores(graded: dict, autograded: dict, total_max: float, partly_wrong_fails: set) -> None:
    """Exact scores: correct gets every autograded point, blank none (every autograded test fails
    on the untouched release), partly_wrong loses exactly the tests in ``partly_wrong_fails``; the
    two written answers of 3 points are listed as graded by hand; every maximum is ``total_max``."""
    check_all_graded(graded)
    result = graded["result"]
    grades = pd.read_csv(result["out"] / "grades.csv", dtype={"student_id": str}).set_index("student_id")
    full = sum(autograded.values())
    assert grades.loc["correct", "score"] == full
    assert grades.loc["blank", "score"] == 0.0
    assert grades.loc["partly_wrong", "score"] == full - sum(autograded[q] for q in partly_wrong_fails)
    assert (grades["max_score"] == total_max).all()
    auto = result["scores"].query("kind == 'autograded'")
    assert set(auto["question"]) == set(autograded)
    by = auto.set_index(["student_id", "question"])["score"]
    for question, points in autograded.items():
        assert by["correct", question] == points, question
        assert by["blank", question] == 0.0, question
        assert by["partly_wrong", question] == (0.0 if question in partly_wrong_fails else points), question
    manual = result["scores"].query("kind == 'manual'")
    assert set(manual["question"]) == {"q1_answer", "q2_answer"}
    assert (manual["max_score"] == 3.0).all()


def check_alternatives_full_marks(graded: dict, autograded: dict) -> None:
    """Every alternative solution gets full autograded marks (at least two are kept)."""
    assert len(graded["alternatives"]) >= 2, "keep at least two alternatives/<assignment>_*.py"
    assert short_of_full_marks(graded["result"], autograded, graded["alternatives"]) == []
    # The check can fail: the partly wrong submission is short of full marks.
    assert short_of_full_marks(graded["result"], autograded, ["partly_wrong"])


def short_of_full_marks(result: dict, autograded: dict[str, float], students: list[str]) -> list[str]:
    """'student: question score/points' for every autograded test a student did not get in full."""
    scores = result["scores"].query("kind == 'autograded'").set_index(["student_id", "question"])["score"]
    short = []
    for student in students:
        for question, points in autograded.items():
            got = scores.get((student, question))
            if got is None or float(got) != float(points):
                short.append(f"{student}: {question} {got}/{points}")
    return short


def check_validation(course: Path, assignment: str) -> None:
    """``nbgrader validate`` passes on the source notebook and fails on the untouched release."""
    ok = run_tool(["nbgrader", "validate", f"source/{assignment}/{assignment}.ipynb"], course)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout[-2000:]
    blank = run_tool(["nbgrader", "validate", f"release/{assignment}/{assignment}.ipynb"], course)
    assert "VALIDATION FAILED" in blank.stdout, blank.stdout[-2000:]
    assert "Success!" not in blank.stdout


def solution_namespace(assignment: str, edits: dict[str, tuple[str, str]] | None = None,
                       skip: tuple[str, ...] = ()) -> dict:
    """Execute the source's setup and solution cells (no tests, no plots) in a fresh namespace.

    ``edits`` maps a grade_id to (old, new) text replaced in that cell first (to plant a mistake);
    cells whose grade_id is in ``skip`` are not run.
    """
    nb = load_nb(COURSE / "source" / assignment / f"{assignment}.ipynb")
    ns: dict = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        text = src(cell)
        if (cell["cell_type"] != "code" or meta.get("grade") or "plt.show" in text
                or meta.get("grade_id") in skip):
            continue
        if edits and meta.get("grade_id") in edits:
            old, new = edits[meta["grade_id"]]
            assert old in text, f"planted edit {old!r} not found in {meta['grade_id']}"
            text = text.replace(old, new)
        exec(compile(text, f"{assignment}:{meta.get('grade_id')}", "exec"), ns)
    return ns


def unguarded_hidden_sections(nb: dict) -> list[str]:
    """grade_ids of cells whose hidden sections do not open with the no-reference-package guard."""
    bad = []
    for cell in nb["cells"]:
        for part in src(cell).split(HIDDEN_MARKERS[0])[1:]:
            lines = [ln.strip() for ln in part.splitlines() if ln.strip()]
            if lines[:2] != ["import sys", GUARD + ', "the reference package may not be used"']:
                bad.append(nbgrader_meta(cell).get("grade_id"))
    return bad


def structure_problems(nb: dict, autograded: dict, manual: dict) -> list[str]:
    """What is wrong with a source notebook's grading structure: points of the autograded tests and
    the written answers, stored outputs, test cells without hidden tests."""
    graded = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c) for c in nb["cells"]
              if nbgrader_meta(c).get("grade")}
    problems = []
    if {k: v["points"] for k, v in graded.items() if not v.get("solution")} != autograded:
        problems.append("autograded points differ")
    if {k: v["points"] for k, v in graded.items() if v.get("solution")} != manual:
        problems.append("hand-graded points differ")
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            problems.append(f"{gid}: stored output")
        if gid in autograded and HIDDEN_MARKERS[0] not in src(cell):
            problems.append(f"{gid}: no hidden tests")
    return problems


def leaks(text: str, lines: list[str]) -> list[str]:
    """Lines of a secret region (solution or hidden test) found in ``text``."""
    return [ln for ln in lines if ln not in TRIVIAL and len(ln) > 12 and ln in text]


def release_markers(text: str) -> list[str]:
    """Solution or hidden-test markers left in a release's text."""
    return [m for m in SOLUTION_MARKERS + HIDDEN_MARKERS if m in text]


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
