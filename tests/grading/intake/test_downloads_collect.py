"""A flat folder of downloaded files (LMS / zip_collect style) is collected by nbgrader and graded."""

from __future__ import annotations

import zipfile

from conftest import fill_solutions, load_nb, save_nb
from course_tools.pipeline import run_pipeline


def test_downloads_folder_with_loose_files_and_an_archive(released, tmp_path):
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(released / "source" / "ps1" / "ps1.ipynb")
    downloads = tmp_path / "downloads"
    save_nb(fill_solutions(release, source), downloads / "alice_ps1.ipynb")
    save_nb(release, downloads / "bob_ps1 (1).ipynb")          # renamed by the browser
    inner = tmp_path / "carol_ps1.ipynb"
    save_nb(fill_solutions(release, source), inner)
    with zipfile.ZipFile(downloads / "carol_attempt.zip", "w") as archive:
        archive.write(inner, "carol_ps1.ipynb")

    result = run_pipeline("ps1", course=released, downloads=downloads)
    assert result["reconciled"]
    grades = result["grades"].set_index("student_id")["score"]
    assert grades.to_dict() == {"alice": 9.0, "bob": 0.0, "carol": 9.0}


def test_downloads_that_are_not_a_folder_are_refused(released, tmp_path):
    try:
        run_pipeline("ps1", course=released, downloads=tmp_path / "missing")
    except FileNotFoundError as exc:
        assert "downloads folder not found" in str(exc)
    else:
        raise AssertionError("a missing downloads folder must be refused")


def test_failed_students_are_listed_without_a_score_and_pending_marking_is_reported(released,
                                                                                   tmp_path):
    """grades.csv never shows 0.0 for a submission that could not be graded, and report.md says
    when written answers still await hand-marking."""
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(released / "source" / "ps1" / "ps1.ipynb")
    subs = tmp_path / "subs"
    answered = fill_solutions(release, source)
    for cell in answered["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "q1_answer":
            cell["source"] = "The progress ratio falls after the supplier joins the supply base."
    save_nb(answered, subs / "alice" / "ps1" / "ps1.ipynb")
    broken = subs / "bob" / "ps1" / "ps1.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("{ this is not a notebook", encoding="utf-8")

    result = run_pipeline("ps1", course=released, submissions=subs)
    grades = result["grades"].set_index("student_id")
    assert grades.loc["alice", "grading_status"] == "graded"
    assert grades.loc["alice", "score"] == 9.0
    assert grades.loc["bob", "grading_status"] == "failed"
    assert grades.loc["bob", "score"] != grades.loc["bob", "score"]  # NaN: no made-up zero
    report = result["report"].read_text(encoding="utf-8")
    assert "**Hand-marking pending:** 1 written answer(s) from 1 student(s)" in report
