"""Submissions out of the platforms: Canvas and Moodle bulk downloads collected under course ids
by ``nbgrader zip_collect`` with our collectors (issue 16 items 3 and 6)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from platform_fixtures import BIN, ROSTER, WORKSHEET, roster_csv, worksheet_csv  # noqa: F401

from course_tools.intake.canvas import parse_name as canvas_name
from course_tools.intake.moodle import parse_name as moodle_name
from course_tools.intake.platform import collect_platform_downloads, course_named_regexp

NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def small_course(tmp_path, monkeypatch) -> Path:
    """A course with only a config and the release of ps1 (enough for zip_collect)."""
    monkeypatch.setenv("PATH", BIN + ":" + __import__("os").environ.get("PATH", ""))
    course = tmp_path / "course"
    (course / "release" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (course / "release" / "ps1" / "ps1.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    return course


def _nb(marker: str) -> str:
    return json.dumps({**NOTEBOOK, "metadata": {"marker": marker}})


@pytest.mark.parametrize("name, expected", [
    ("hackeralyssa_101_9001_ps1.ipynb", {"user_id": "101", "late": False, "file_id": "ps1.ipynb"}),
    ("bitdiddleben_late_102_9002_ps1-1.ipynb",
     {"user_id": "102", "late": True, "file_id": "ps1.ipynb"}),
    ("fectcy_LATE_103_9003_my_ps1_copy.ipynb",
     {"user_id": "103", "late": True, "file_id": "my_ps1_copy.ipynb"}),
    ("notes.txt", None),
])
def test_canvas_file_names(name, expected):
    assert canvas_name(name, ["ps1.ipynb"]) == expected


@pytest.mark.parametrize("path, expected", [
    ("Alyssa Hacker_7001_assignsubmission_file/ps1.ipynb", ("7001", "ps1.ipynb")),
    ("x/Ben Bitdiddle_7002_assignsubmission_file_ps1.ipynb", ("7002", "ps1.ipynb")),
    ("Ben Bitdiddle_7002_assignsubmission_onlinetext_/onlinetext.html", None),
    ("ps1.ipynb", None),
])
def test_moodle_file_names(path, expected):
    assert moodle_name(path) == expected


def test_canvas_download_collected_late_marked_unmatched_listed(small_course, roster_csv,
                                                                tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / "submissions.zip", "w") as archive:
        archive.writestr("hackeralyssa_101_9001_ps1.ipynb", _nb("alice"))
        archive.writestr("bitdiddleben_late_102_9002_ps1-1.ipynb", _nb("bob"))
        archive.writestr("strangerdanger_999_9009_ps1.ipynb", _nb("nobody"))
    (downloads / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip archive")
    result = collect_platform_downloads(downloads, small_course, "ps1", "canvas", roster_csv,
                                        duedate="2026-12-01 12:00:00")
    assert result["students"] == ["alice", "bob"]
    assert result["unmatched"] == ["strangerdanger_999_9009_ps1.ipynb"]
    assert len(result["problems"]) == 1 and "corrupted archive broken.zip" in result["problems"][0]
    submitted = small_course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]
    bob = json.loads((submitted / "bob" / "ps1" / "ps1.ipynb").read_text())
    assert bob["metadata"]["marker"] == "bob"
    assert (submitted / "bob" / "ps1" / "timestamp.txt").read_text().startswith(
        "2026-12-01 12:00:01")
    assert not (submitted / "alice" / "ps1" / "timestamp.txt").exists()


def test_canvas_two_different_files_of_one_student_are_held_not_fatal(small_course, roster_csv,
                                                                       tmp_path):
    # alice's ps1 twice (a resubmission kept in the download), different and without LATE marks:
    # plain zip_collect stops the whole class ("Duplicate submission file"); here both are held
    # and named, and bob is collected.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / "submissions.zip", "w") as archive:
        archive.writestr("hackeralyssa_101_9001_ps1.ipynb", _nb("alice 1"))
        archive.writestr("hackeralyssa_101_9011_ps1-1.ipynb", _nb("alice 2"))
        archive.writestr("bitdiddleben_102_9002_ps1.ipynb", _nb("bob"))
    result = collect_platform_downloads(downloads, small_course, "ps1", "canvas", roster_csv)
    assert sorted(p.name for p in (small_course / "submitted").iterdir()) == ["bob"]
    assert result["students"] == ["bob"]
    held = [p for p in result["problems"] if "2 different files would be alice's ps1.ipynb" in p]
    assert len(held) == 2, result["problems"]


def test_canvas_a_students_upload_cannot_hold_a_classmates_file(small_course, roster_csv,
                                                                 tmp_path):
    # The instructor unpacked Canvas's archive: carol's own uploaded zip lies in the folder and
    # holds files named as alice's (who submitted) and bob's (who did not) Canvas downloads.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "hackeralyssa_101_9001_ps1.ipynb").write_text(_nb("alice"))
    with zipfile.ZipFile(downloads / "fectcy_103_9003_work.zip", "w") as archive:
        archive.writestr("hackeralyssa_101_9001_ps1.ipynb", _nb("forged for alice"))
        archive.writestr("bitdiddleben_102_9002_ps1.ipynb", _nb("forged for bob"))
    result = collect_platform_downloads(downloads, small_course, "ps1", "canvas", roster_csv)
    submitted = small_course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["alice"]
    alice = json.loads((submitted / "alice" / "ps1" / "ps1.ipynb").read_text())
    assert alice["metadata"]["marker"] == "alice"
    forged = [p for p in result["problems"] if "inside carol's upload but named as" in p]
    assert len(forged) == 2, result["problems"]


def test_canvas_a_late_mark_inside_a_students_upload_stops_nobody(small_course, roster_csv,
                                                                   tmp_path):
    # Only Canvas sets the LATE mark; inside carol's own zip the names are hers. Without a due
    # date that mark stopped the whole class's collection (found by a security trial).
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "hackeralyssa_101_9001_ps1.ipynb").write_text(_nb("alice"))
    with zipfile.ZipFile(downloads / "fectcy_103_9003_extra.zip", "w") as archive:
        archive.writestr("fectcy_late_103_9100_notes.ipynb", _nb("carol's"))
        archive.writestr("bitdiddleben_late_102_9002_ps1.ipynb", _nb("forged for bob"))
    result = collect_platform_downloads(downloads, small_course, "ps1", "canvas", roster_csv)
    assert sorted(p.name for p in (small_course / "submitted").iterdir()) == ["alice"]
    assert any("inside carol's upload but carries a mark only the platform sets (LATE)" in p
               for p in result["problems"]), result["problems"]
    assert any("inside carol's upload but named as bob's file" in p for p in result["problems"])


def test_canvas_a_backslash_in_an_uploaded_name_is_not_a_folder(small_course, roster_csv,
                                                                 tmp_path):
    # carol's upload displayed as "x\\<alice's Canvas name>" is carol's file, never alice's
    # (a third hostile-student trial).
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "hackeralyssa_101_9001_ps1.ipynb").write_text(_nb("alice"))
    (downloads / "fectcy_103_9004_x\\hackeralyssa_101_1_ps1.ipynb").write_text(_nb("carol"))
    collect_platform_downloads(downloads, small_course, "ps1", "canvas", roster_csv)
    alice = json.loads((small_course / "submitted" / "alice" / "ps1" / "ps1.ipynb").read_text())
    assert alice["metadata"]["marker"] == "alice"


def test_canvas_late_file_without_a_due_date_is_refused(small_course, roster_csv, tmp_path):
    downloads = tmp_path / "d"
    downloads.mkdir()
    (downloads / "bitdiddleben_late_102_9002_ps1.ipynb").write_text(_nb("bob"))
    with pytest.raises(ValueError, match="marked LATE.*no due date"):
        collect_platform_downloads(downloads, small_course, "ps1", "canvas", roster_csv)


def test_moodle_download_resolved_through_the_worksheet(small_course, roster_csv, worksheet_csv,
                                                        tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / "PS1-123.zip", "w") as archive:
        archive.writestr("Alyssa Hacker_7001_assignsubmission_file/ps1.ipynb", _nb("alice"))
        archive.writestr("Cy Fect_7003_assignsubmission_file_ps1.ipynb", _nb("carol"))
        archive.writestr("Someone Else_7099_assignsubmission_file/ps1.ipynb", _nb("x"))
        archive.writestr("Cy Fect_7003_assignsubmission_file/data.csv", "a,b\n")
    result = collect_platform_downloads(downloads, small_course, "ps1", "moodle", roster_csv,
                                        worksheet=worksheet_csv)
    assert result["students"] == ["alice", "carol"]
    assert result["unmatched"] == [
        "Someone Else_7099_assignsubmission_file/ps1.ipynb",
        "Cy Fect_7003_assignsubmission_file/data.csv (not a notebook: not collected)"]
    carol = json.loads((small_course / "submitted" / "carol" / "ps1" / "ps1.ipynb").read_text())
    assert carol["metadata"]["marker"] == "carol"
    assert not (small_course / "submitted" / "Someone Else").exists()


def test_moodle_needs_the_worksheet(small_course, roster_csv, tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(ValueError, match="grading worksheet"):
        collect_platform_downloads(tmp_path / "d", small_course, "ps1", "moodle", roster_csv)


def test_two_students_with_one_platform_id_stop_the_collection(small_course, tmp_path):
    path = tmp_path / "roster.csv"
    ROSTER.assign(canvas_user_id=["101", "101", "103", "104", "105"]).to_csv(path, index=False)
    (tmp_path / "d").mkdir()
    with pytest.raises(ValueError, match="share canvas_user_id '101'"):
        collect_platform_downloads(tmp_path / "d", small_course, "ps1", "canvas", path)


def test_course_named_regexp_is_read_from_the_course_config(small_course):
    assert course_named_regexp(small_course) == ""
    (small_course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.FileNameCollectorPlugin.named_regexp = r"(?P<student_id>x)"\n')
    assert course_named_regexp(small_course) == "(?P<student_id>x)"


def test_worksheet_columns_found_by_their_values_not_their_names(tmp_path, roster_csv):
    """Headers are localised: a French worksheet maps as well (grade column named by the user)."""
    from course_tools.intake.moodle import participants, read_worksheet
    from course_tools.roster import load_roster

    french = WORKSHEET.rename(columns={"Identifier": "Identifiant", "Full name": "Nom complet",
                                       "Email address": "Adresse de courriel", "Grade": "Note"})
    french["Identifiant"] = french["Identifiant"].str.replace("Participant", "Participant·e")
    french.to_csv(tmp_path / "fr.csv", index=False)
    sheet, roles = read_worksheet(tmp_path / "fr.csv", grade_column="Note")
    assert roles == {"id": "Identifiant", "grade": "Note", "email": "Adresse de courriel",
                     "name": "Nom complet"}
    mapping, problems = participants(sheet, roles, load_roster(roster_csv))
    assert mapping == {"7001": "alice", "7002": "bob", "7003": "carol", "7004": "dave",
                       "7005": "erin"}
    assert problems == []
    with pytest.raises(ValueError, match="no column 'Grade'"):
        read_worksheet(tmp_path / "fr.csv")
    assert pd.read_csv(tmp_path / "fr.csv").shape == WORKSHEET.shape
