"""A flat folder of downloaded files (LMS / zip_collect style) is collected by nbgrader and graded."""

from __future__ import annotations

import zipfile

from conftest import fill_solutions, load_nb, save_nb
from course_tools.grade import run_pipeline


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
