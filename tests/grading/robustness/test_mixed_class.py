"""Issue 7: one pipeline run over a folder mixing every broken, hostile and odd submission.

The class is graded once (module fixture, two parallel workers, sandboxed kernels); each test then
checks one case's exact outcome: status, autograded points, the problems the report names.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, load_nb, run_tool, save_nb
from course_tools.autograde.grader import autograde
from course_tools.pipeline import run_pipeline
from course_tools.release import release
from course_tools.report.reconcile import reconcile
from course_tools.report.scores import question_scores
from course_tools.secrets import scan_for_secrets
from robust_fixtures import EXPECTED, FULL, PLAIN, _append, build_submissions, make_course


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _text(output) -> str:
    text = output.get("text", "")
    return text if isinstance(text, str) else "".join(text)


@pytest.fixture(scope="module")
def mixed():
    # A private folder: other pytest sessions on the machine prune pytest's shared base folder.
    base = Path(tempfile.mkdtemp(prefix="robust-grading-"))
    try:
        yield _grade_mixed_class(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _grade_mixed_class(base: Path) -> dict:
    course = make_course(base / "course")
    release(course, "ps1")
    serial = base / "serial_course"
    shutil.copytree(course, serial)  # released, nothing graded: for the serial comparison
    downloads = base / "downloads"
    build_submissions(course, downloads)
    before = _digest(downloads)
    lines = []
    result = run_pipeline("ps1", course=course, submissions=downloads, jobs=2, timeout=300,
                          hide_paths=[ROOT / "assignments"],
                          progress=lambda done, total, o: lines.append((done, total, o.student_id)))
    return {"course": course, "serial": serial, "downloads": downloads, "before": before,
            "result": result, "progress": lines}


def _outcome(mixed, student):
    return next(o for o in mixed["result"]["outcomes"] if o.student_id == student)


def _auto_total(scores: pd.DataFrame, student: str) -> float:
    rows = scores[(scores["student_id"] == student) & (scores["kind"] == "autograded")]
    return float(rows["score"].sum())


def test_every_submission_is_graded_or_reported_and_reconciled(mixed):
    result = mixed["result"]
    assert result["reconciled"]
    assert {o.student_id: o.status for o in result["outcomes"]} == {
        s: e[0] for s, e in EXPECTED.items()}
    report = result["report"].read_text(encoding="utf-8")
    n_failed = sum(e[0] == "failed" for e in EXPECTED.values())
    n_review = sum(e[0] == "needs review" for e in EXPECTED.values())
    assert (f"Submissions found: {len(EXPECTED)}; graded: {len(EXPECTED) - n_failed} "
            f"({n_review} of them need review); reported failures: {n_failed}.") in report
    # One progress line per student, counting up to the class size.
    assert sorted(d for d, _, _ in mixed["progress"]) == list(range(1, len(EXPECTED) + 1))
    assert {s for _, _, s in mixed["progress"]} == set(EXPECTED)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_exact_outcome_and_report_per_student(mixed, student):
    status, points, phrases = EXPECTED[student]
    outcome = _outcome(mixed, student)
    assert outcome.status == status, outcome
    text = " | ".join([outcome.message] + outcome.problems)
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    if points is not None:
        assert _auto_total(mixed["result"]["scores"], student) == points
        grades = mixed["result"]["grades"].set_index("student_id")
        if status == "graded":
            assert grades.loc[student, "score"] == points
        else:  # needs review: never a clean mark in grades.csv
            assert pd.isna(grades.loc[student, "score"])
    report = mixed["result"]["report"].read_text(encoding="utf-8")
    for phrase in phrases:
        assert phrase in report
    outcomes_csv = pd.read_csv(mixed["result"]["out"] / "student_outcomes.csv",
                               dtype=str, keep_default_na=False)
    assert student in set(outcomes_csv["student_id"])


def test_untouched_hidden_only_test_cell_is_not_reported_as_edited(mixed):
    """Case 3: the release's test_exponent is empty (hidden tests only); untouched is no edit."""
    release_nb = load_nb(mixed["course"] / "release" / "ps1" / "ps1.ipynb")
    cell = next(c for c in release_nb["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_exponent")
    assert "".join(cell["source"]).strip() == ""
    for student in ("untouched", "correct", "partly_wrong"):
        assert not [p for p in _outcome(mixed, student).problems if "edited" in p]


def test_no_autograded_cell_waits_for_a_manual_grade(mixed):
    """Case 2: restored and retyped test cells are scored, not left for manual grading."""
    scores = mixed["result"]["scores"]
    auto = scores[scores["kind"] == "autograded"]
    assert not auto["needs_manual_grade"].any()
    assert auto.groupby("student_id").size().eq(5).all()


def test_original_submissions_are_never_modified(mixed):
    assert _digest(mixed["downloads"]) == mixed["before"]
    original = mixed["course"] / "submitted" / "Zoë_Éclair" / "ps1"
    assert sorted(p.name for p in original.iterdir()) == ["ps1 (1).ipynb"]


def test_warning_is_kept_visible_as_text(mixed):
    nb = load_nb(mixed["course"] / "autograded" / "warns" / "ps1" / "ps1.ipynb")
    cell = next(c for c in nb["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_fit")
    texts = [_text(o) for o in cell["outputs"] if o["output_type"] == "stream"]
    assert any(t.startswith("[stderr]") and "FutureWarning" in t for t in texts)
    assert not any(o.get("name") == "stderr" for o in cell["outputs"])


def test_large_output_is_capped_in_autograded_notebook_and_feedback(mixed):
    course = mixed["course"]
    notebook = course / "autograded" / "李华" / "ps1" / "ps1.ipynb"
    assert notebook.stat().st_size < 1_000_000
    feedback = list((course / "feedback" / "李华" / "ps1").glob("*.html"))
    assert feedback and feedback[0].stat().st_size < 2_000_000
    text = notebook.read_text(encoding="utf-8")
    # While the cell ran, ResilientExecute kept its first 10,000,000 bytes (the start of the
    # 50,000,001-character line; the DataFrame after it was not kept); CapOutputSize then cut the
    # kept text to 10,000 characters.
    assert "output truncated: this cell's output passed 10,000,000 bytes" in text
    assert re.search(r"output truncated: [\d,]+ characters, 10,000 kept", text)


def test_kernel_death_keeps_earlier_scores_and_marks_later_cells(mixed):
    nb = load_nb(mixed["course"] / "autograded" / "exits" / "ps1" / "ps1.ipynb")
    enames = [o.get("ename") for c in nb["cells"] if c["cell_type"] == "code"
              for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert enames.count("KernelDied") == 1
    assert "NotRun" in enames
    scores = mixed["result"]["scores"].set_index(["student_id", "question"])["score"]
    assert scores["exits", "test_fit"] == 3.0 and scores["exits", "test_compare_phases"] == 0.0


def test_student_code_cannot_reach_course_other_students_or_gradebook(mixed):
    """Case 8: the probe in O'Brien's answer found every instructor path denied."""
    nb = load_nb(mixed["course"] / "autograded" / "O'Brien" / "ps1" / "ps1.ipynb")
    out = "".join(_text(o) for c in nb["cells"] if c["cell_type"] == "code"
                  for o in c.get("outputs", []) if o["output_type"] == "stream")
    probe = re.search(r"PROBE uid (\d+) (.*)", out)
    assert probe, out[:2000]
    uid, found = int(probe.group(1)), probe.group(2)
    assert "READABLE" not in found and "WRITABLE" not in found, found
    assert found.count("'denied'") == 8
    if os.geteuid() == 0:
        assert uid != 0  # the kernel ran as an unprivileged user
    assert "DATA x,y\n1,2" in out  # the student's own extra file was in reach


def test_parallel_grades_equal_serial_plain_nbgrader(mixed):
    """Case 11: grading with two workers gives nbgrader's serial grades, question by question."""
    serial = mixed["serial"]
    for student in PLAIN:
        src_nb = mixed["downloads"] / student / "ps1" / "ps1.ipynb"
        save_nb(load_nb(src_nb), serial / "submitted" / student / "ps1" / "ps1.ipynb")
    proc = run_tool(["nbgrader", "autograde", "ps1"], serial)
    assert proc.returncode == 0, proc.stderr[-2000:]
    plain = question_scores(serial, "ps1").set_index(["student_id", "question"])["score"]
    ours = mixed["result"]["scores"].set_index(["student_id", "question"])["score"]
    ours = ours[ours.index.get_level_values(0).isin(PLAIN)]
    assert len(plain) == len(ours) == 7 * len(PLAIN)
    pd.testing.assert_series_equal(plain.sort_index(), ours.sort_index())


def test_no_secret_reaches_release_or_feedback(mixed):
    """Case 9: no solution or hidden test in the release; no hidden test in any feedback.

    (Feedback shows each student's own answers, which for a correct student match solution lines.)
    """
    course = mixed["course"]
    sources = sorted((course / "source" / "ps1").glob("*.ipynb"))
    feedback = sorted((course / "feedback").rglob("*.html"))
    assert len(feedback) == sum(e[0] in ("graded", "needs review") for e in EXPECTED.values())
    assert scan_for_secrets(sources, [course / "release"]) == []
    assert [leak for leak in scan_for_secrets(sources, [course / "feedback"])
            if leak[1] == "hidden test"] == []


def test_feedback_shows_hidden_tests_only_when_the_instructor_opts_in(mixed):
    course = mixed["course"]
    proc = run_tool(["nbgrader", "generate_feedback", "ps1", "--student", "partly_wrong",
                     "--force", "--CourseDirectory.feedback_directory=feedback_optin",
                     "--RedactHiddenTests.show_hidden_tests=True"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sources = sorted((course / "source" / "ps1").glob("*.ipynb"))
    leaks = scan_for_secrets(sources, [course / "feedback_optin"])
    assert "hidden test" in {kind for _, kind, _ in leaks}


# Destructive checks last: they change the course after the class run.

def test_regrading_is_idempotent(mixed):
    course = mixed["course"]
    before = question_scores(course, "ps1").query("student_id == 'partly_wrong'")
    outcomes = autograde(course, "ps1", ["partly_wrong"], jobs=1, timeout=300,
                         progress=lambda *a: None)
    assert [o.status for o in outcomes] == ["graded"]
    after = question_scores(course, "ps1").query("student_id == 'partly_wrong'")
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))


def test_a_grade_is_never_replaced_by_an_empty_result(mixed):
    course = mixed["course"]
    autograded = course / "autograded" / "correct" / "ps1" / "ps1.ipynb"
    kept = autograded.read_bytes()
    submitted = course / "submitted" / "correct" / "ps1" / "ps1.ipynb"
    good = submitted.read_bytes()
    # A broken resubmission: reported, the earlier grade stays and says so.
    submitted.write_text("not json", encoding="utf-8")
    [outcome] = autograde(course, "ps1", ["correct"], jobs=1, progress=lambda *a: None)
    assert outcome.status == "failed"
    assert "the gradebook keeps the grade of an earlier run (9 points)" in outcome.message
    assert autograded.read_bytes() == kept
    # A regrade stopped by the wall-clock limit: the previous autograded notebook is put back.
    # The resubmission sleeps with interrupts ignored, so it runs past the 2-second limit on any
    # machine, however fast (the limit is forced, not raced).
    nb = json.loads(good)
    _append(nb, "progress_ratio", "import signal as _signal, time as _time\n"
            "_signal.signal(_signal.SIGINT, _signal.SIG_IGN)\n_time.sleep(10_000)")
    submitted.write_text(json.dumps(nb), encoding="utf-8")
    [outcome] = autograde(course, "ps1", ["correct"], jobs=1, timeout=2, startup_seconds=0,
                          progress=lambda *a: None)
    assert outcome.status == "failed"
    assert "took longer than 2 s" in outcome.message
    assert "previous autograded notebook and grade were kept (9 points)" in outcome.message
    assert autograded.read_bytes() == kept
    assert _auto_total(question_scores(course, "ps1"), "correct") == FULL


def test_reconciliation_reports_a_lost_submission():
    from course_tools.autograde.grader import StudentOutcome

    scores = pd.DataFrame({"student_id": ["a"], "score": [1.0]})
    outcomes = [StudentOutcome("a", "graded"), StudentOutcome("b", "failed", "x")]
    assert reconcile(["a", "b"], outcomes, scores) == []
    assert reconcile(["a", "b", "c"], outcomes, scores) == [
        "3 submissions found but 1 graded and 1 failures reported"]
    assert reconcile(["a", "b"], [StudentOutcome("a", "graded"), StudentOutcome("b", "graded")],
                     scores) == ["graded but without scores in the gradebook: b"]
