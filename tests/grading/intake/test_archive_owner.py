"""An archive uploaded by one student may not submit for another (hostile-student trial, issue 14)."""

from __future__ import annotations

import zipfile

from course_tools.intake.archives import extract_archive


def _zip(path, names):
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, '{"cells": []}')
    return path


def test_a_students_archive_cannot_hold_a_classmates_notebook(tmp_path):
    archive = _zip(tmp_path / "mallory_12347_ps1.zip",
                   ["mallory_ps1.ipynb", "victim_ps1.ipynb", "folder/victim_2_ps1.ipynb"])
    skipped = extract_archive(archive, tmp_path / "out", {}, owned=True)
    assert sorted(s.entry for s in skipped) == ["folder/victim_2_ps1.ipynb", "victim_ps1.ipynb"]
    assert all("names student 'victim', but the archive is 'mallory'" in s.reason for s in skipped)
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.ipynb")) == ["mallory_ps1.ipynb"]


def test_an_instructors_bulk_archive_holds_the_whole_class(tmp_path):
    archive = _zip(tmp_path / "submissions.zip", ["ann_ps1.ipynb", "bob_ps1.ipynb"])
    assert extract_archive(archive, tmp_path / "out", {}, owned=True) == []
    archive = _zip(tmp_path / "course_ps1_all.zip", ["ann_ps1.ipynb", "bob_ps1.ipynb"])
    assert extract_archive(archive, tmp_path / "out2", {}) == []  # not a student's upload

