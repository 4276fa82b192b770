"""Grade exports per platform, read back with pandas and checked against each importer's rules
(issue 16 items 2, 4, 6). Every rule check is also seen failing on a planted wrong file."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from platform_fixtures import (EXPECTED, ROSTER, WORKSHEET, course_copy, export,  # noqa: F401
                               graded_course, roster_csv, worksheet_csv)

from course_tools.plugins.export.blackboard import BlackboardExportPlugin, check_blackboard
from course_tools.plugins.export.canvas import CanvasExportPlugin, check_canvas
from course_tools.plugins.export.common import ExportBlocked
from course_tools.plugins.export.moodle import (MoodleExportPlugin, check_feedback_zip,
                                                check_moodle_csv, check_worksheet, feedback_zip)

FINAL = {"final_only": True, "missing": "blank"}


def _rewrite(path: Path, rows: list[list[str]], **kw) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, **kw).writerows(rows)
    return path


# -- Canvas ------------------------------------------------------------------------------------
def test_canvas_file_matches_canvas_rules_row_by_row(graded_course, roster_csv, tmp_path):
    out = export(CanvasExportPlugin, graded_course, tmp_path / "canvas.csv",
                 roster=str(roster_csv), column="PS1 (1234)", **FINAL)
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                "PS1 (1234)"]
    assert df.iloc[0]["Student"] == "    Points Possible" and df.iloc[0]["PS1 (1234)"] == "9"
    body = df.iloc[1:].set_index("ID")
    roster = ROSTER.set_index("student_id")
    # every row: Canvas id and SIS ids from the roster, sortable name, the right grade
    for sid, grade in {**EXPECTED, "erin": ""}.items():
        row = body.loc[roster.loc[sid, "canvas_user_id"]]
        assert row["Student"] == f"{roster.loc[sid, 'last_name']}, {roster.loc[sid, 'first_name']}"
        assert (row["SIS User ID"], row["SIS Login ID"], row["Section"]) == tuple(
            roster.loc[sid, ["sis_user_id", "sis_login_id", "section"]])
        assert row["PS1 (1234)"] == grade
    assert "104" not in body.index  # dave (pending manual grade) held back, not blank
    held = pd.read_csv(tmp_path / "canvas.held.csv")
    assert held.to_dict("records") == [{"student_id": "dave", "status": "pending_manual",
                                        "reason": "written answers wait for a manual grade "
                                                  "(formgrader)"}]
    assert check_canvas(out, roster=ROSTER) == []


@pytest.mark.parametrize("header, expected", [
    (["Student", "ID", "SIS User ID", "Section", "PS1 (1234)"], "followed by 'SIS Login ID'"),
    (["Student", "ID", "SIS Login ID", "PS1 (1234)"], "must be 'Section'"),
    (["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "PS1"], "no '(assignment id)'"),
    (["Name", "ID", "SIS Login ID", "Section", "PS1 (1234)"], "must start with 'Student'"),
])
def test_canvas_check_fails_on_a_planted_wrong_header(graded_course, roster_csv, tmp_path,
                                                      header, expected):
    out = export(CanvasExportPlugin, graded_course, tmp_path / "canvas.csv",
                 roster=str(roster_csv), column="PS1 (1234)", **FINAL)
    rows = list(csv.reader(open(out, encoding="utf-8")))
    width = len(header)
    planted = [header] + [r[:width - 1] + [r[-1]] for r in rows[1:]]
    problems = check_canvas(_rewrite(tmp_path / "planted.csv", planted))
    assert any(expected in p for p in problems), problems


def test_canvas_check_fails_on_bad_rows(tmp_path):
    rows = [["Student", "ID", "SIS Login ID", "Section", "PS1 (1)"],
            ["A", "101", "a", "S", "9"], ["B", "101", "b", "S", "nine"], ["C", "", "", "S", "EX"]]
    problems = check_canvas(_rewrite(tmp_path / "bad.csv", rows))
    assert any("appears twice" in p for p in problems)
    assert any("'nine'" in p for p in problems)
    assert any("no ID or SIS id" in p for p in problems)


def test_pending_grades_and_missing_submissions_block_the_export(graded_course, roster_csv,
                                                                 tmp_path):
    out = tmp_path / "canvas.csv"
    with pytest.raises(ExportBlocked) as info:
        export(CanvasExportPlugin, graded_course, out, roster=str(roster_csv), column="PS1 (1)")
    message = str(info.value)
    assert "no submission from: erin" in message and "--missing blank" in message
    assert "manual grade (formgrader): dave" in message and "--final-only" in message
    assert not out.exists()


@pytest.mark.parametrize("status", ["needs review", "needs_review"])
def test_needs_review_from_the_outcomes_blocks_then_is_held(graded_course, roster_csv, tmp_path,
                                                            status):
    # "needs review" is what the grading writes (course_tools.autograde.grader.GRADED).
    from course_tools.autograde.grader import GRADED
    assert status.replace("_", " ") in GRADED
    outcomes = tmp_path / "student_outcomes.csv"
    pd.DataFrame({"student_id": ["alice", "bob"], "status": ["graded", status]}).to_csv(
        outcomes, index=False)
    with pytest.raises(ExportBlocked, match="needs review'?: bob"):
        export(CanvasExportPlugin, graded_course, tmp_path / "c.csv", roster=str(roster_csv),
               column="PS1 (1)", outcomes=str(outcomes), missing="blank")
    out = export(CanvasExportPlugin, graded_course, tmp_path / "c.csv", roster=str(roster_csv),
                 column="PS1 (1)", outcomes=str(outcomes), **FINAL)
    ids = pd.read_csv(out, dtype=str)["ID"].tolist()
    assert "102" not in ids and "101" in ids
    assert set(pd.read_csv(tmp_path / "c.held.csv")["student_id"]) == {"bob", "dave"}


def test_hand_marked_answers_stay_final_after_a_regrade(course_copy, roster_csv, tmp_path):
    """The README's regrade (hand-mark in formgrader, run the grading again): nbgrader 0.9.6's
    SaveAutoGrades (``nbgrader/preprocessors/saveautogrades.py``) sets ``needs_manual_grade`` back
    to True on every cell that has a manual score. Such an answer is marked, as report.md counts
    it (``manual_score``): only dave, with no manual score, is still waiting."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_copy / 'gradebook.db'}") as gb:
        for sid in ("alice", "bob", "carol", "dave"):
            for nb in gb.find_submission("ps1", sid).notebooks:
                for grade in nb.grades:  # SaveAutoGrades' rule, lines 48-53
                    grade.needs_manual_grade = (grade.manual_score is not None
                                                or grade.auto_score is None)
        gb.db.commit()
        assert gb.find_submission("ps1", "bob").needs_manual_grade
    out = export(CanvasExportPlugin, course_copy, tmp_path / "c.csv", roster=str(roster_csv),
                 column="PS1 (1)", **FINAL)
    grades = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("ID")["PS1 (1)"]
    assert (grades["101"], grades["102"], grades["103"]) == ("9", "5.5", "4")
    assert pd.read_csv(tmp_path / "c.held.csv")["student_id"].tolist() == ["dave"]


def test_a_roster_missing_a_graded_student_is_refused(graded_course, tmp_path):
    path = tmp_path / "short.csv"
    ROSTER[ROSTER["student_id"] != "carol"].to_csv(path, index=False)
    with pytest.raises(ExportBlocked, match="not in the roster: carol"):
        export(CanvasExportPlugin, graded_course, tmp_path / "c.csv", roster=str(path),
               column="PS1 (1)", **FINAL)


def test_missing_zero_only_when_asked(graded_course, roster_csv, tmp_path):
    out = export(CanvasExportPlugin, graded_course, tmp_path / "c.csv", roster=str(roster_csv),
                 column="PS1 (1)", final_only=True, missing="zero")
    assert pd.read_csv(out, dtype=str).set_index("ID").loc["105", "PS1 (1)"] == "0"


def test_nbgrader_export_command_runs_the_plugin(course_copy, roster_csv):
    (course_copy / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run(
        [str(bin_dir / "nbgrader"), "export",
         "--exporter=course_tools.plugins.export.canvas.CanvasExportPlugin",
         "--assignment=['ps1']", "--to=canvas.csv",
         f"--CanvasExportPlugin.roster={roster_csv}", "--CanvasExportPlugin.column=PS1 (77)",
         "--CanvasExportPlugin.final_only=True", "--CanvasExportPlugin.missing=blank"],
        cwd=course_copy, capture_output=True, text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(course_copy)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    df = pd.read_csv(course_copy / "canvas.csv", dtype=str, keep_default_na=False)
    assert df.set_index("ID").loc["102", "PS1 (77)"] == "5.5"


# -- Moodle ------------------------------------------------------------------------------------
def test_moodle_csv_and_filled_worksheet(graded_course, roster_csv, worksheet_csv, tmp_path):
    out = export(MoodleExportPlugin, graded_course, tmp_path / "moodle.csv",
                 roster=str(roster_csv), column="PS1", worksheet=str(worksheet_csv), **FINAL)
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns) == ["Username", "First name", "Last name", "PS1"]
    users = ROSTER.set_index("student_id")["moodle_username"]
    assert df.set_index("Username")["PS1"].to_dict() == {
        users["alice"]: "9", users["bob"]: "5.5", users["carol"]: "4", users["erin"]: ""}
    sheet = pd.read_csv(tmp_path / "moodle_worksheet.csv", dtype=str, keep_default_na=False)
    assert list(sheet.columns) == list(WORKSHEET.columns)
    assert sheet["Grade"].tolist() == ["9", "5.5", "4", "", "", ""]  # dave held, others alone
    assert sheet.drop(columns="Grade").equals(WORKSHEET.drop(columns="Grade"))
    assert check_moodle_csv(out, "username", "PS1", 9, ROSTER) == []


def test_moodle_checks_fail_on_unknown_user_grade_over_max_and_wrong_header(
        graded_course, roster_csv, worksheet_csv, tmp_path):
    rows = [["Username", "PS1"], ["ahacker", "9"], ["stranger", "3"], ["cfect", "10"],
            ["bbitdiddle", "abc"]]
    problems = check_moodle_csv(_rewrite(tmp_path / "m.csv", rows), "username", "PS1", 9, ROSTER)
    assert any("unknown user 'stranger'" in p for p in problems)
    assert any("grade 10 is above the maximum 9" in p for p in problems)
    assert any("'abc' is not a number" in p for p in problems)
    assert check_moodle_csv(_rewrite(tmp_path / "h.csv", [["User", "PS1"], ["ahacker", "9"]]),
                            "username", "PS1", 9) != []
    planted = WORKSHEET.rename(columns={"Status": "State"})
    planted.to_csv(tmp_path / "planted.csv", index=False)
    assert any("header changed" in p for p in
               check_worksheet(tmp_path / "planted.csv", worksheet_csv))
    over = WORKSHEET.assign(Grade=["12", "", "", "", "", ""])
    over.to_csv(tmp_path / "over.csv", index=False)
    assert any("above the maximum" in p for p in check_worksheet(tmp_path / "over.csv",
                                                                 worksheet_csv))


def test_moodle_feedback_zip_is_named_per_participant(course_copy, roster_csv, worksheet_csv,
                                                      tmp_path):
    for sid in ("alice", "bob", "zoe"):
        folder = course_copy / "feedback" / sid / "ps1"
        folder.mkdir(parents=True)
        (folder / "ps1.html").write_text(f"<p>{sid}</p>", encoding="utf-8")
    path, left_out = feedback_zip(course_copy, "ps1", worksheet_csv, roster_csv,
                                  tmp_path / "feedback.zip")
    import zipfile
    names = sorted(zipfile.ZipFile(path).namelist())
    assert names == ["Alyssa Hacker_7001_assignfeedback_file/ps1.html",
                     "Ben Bitdiddle_7002_assignfeedback_file/ps1.html"]
    assert left_out == ["zoe: not in the grading worksheet"]
    ids = {"7001", "7002", "7003"}
    assert check_feedback_zip(path, ids) == []
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as bad:
        bad.writestr("Alyssa Hacker_7001_feedback/ps1.html", "x")
    assert check_feedback_zip(tmp_path / "bad.zip", ids) != []


# -- Blackboard --------------------------------------------------------------------------------
def test_blackboard_file_every_field_quoted_and_matched(graded_course, roster_csv, tmp_path):
    column = "PS1 [Total Pts: 9 Score] |664617"
    out = export(BlackboardExportPlugin, graded_course, tmp_path / "bb.csv",
                 roster=str(roster_csv), column=column, **FINAL)
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f'"Last Name","First Name","Username","{column}"'
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    users = ROSTER.set_index("student_id")["blackboard_username"]
    assert df.set_index("Username")[column].to_dict() == {
        users["alice"]: "9", users["bob"]: "5.5", users["carol"]: "4", users["erin"]: ""}
    assert check_blackboard(out, roster=ROSTER) == []


def test_blackboard_check_fails_on_planted_problems(tmp_path):
    good = [["Last Name", "First Name", "Username", "PS1 [Total Pts: 9 Score] |1"],
            ["Hacker", "Alyssa", "ahacker", "9"]]
    assert check_blackboard(_rewrite(tmp_path / "g.csv", good, quoting=csv.QUOTE_ALL)) == []
    unquoted = check_blackboard(_rewrite(tmp_path / "u.csv", good))
    assert any("double quotes" in p for p in unquoted)
    no_id = [good[0][:3] + ["PS1 [Total Pts: 9 Score]"], good[1]]
    assert any("text column worth 0" in p for p in check_blackboard(
        _rewrite(tmp_path / "n.csv", no_id, quoting=csv.QUOTE_ALL)))
    no_user = [["Last Name", "First Name", "User", good[0][3]], good[1]]
    assert any("no 'Username'" in p for p in check_blackboard(
        _rewrite(tmp_path / "x.csv", no_user, quoting=csv.QUOTE_ALL)))


def test_canvas_feedback_folders_for_attaching_by_hand(course_copy, roster_csv, tmp_path):
    from course_tools.plugins.export.canvas import feedback_folders

    for sid in ("bob", "zoe"):
        folder = course_copy / "feedback" / sid / "ps1"
        folder.mkdir(parents=True)
        (folder / "ps1.html").write_text(sid, encoding="utf-8")
    left_out = feedback_folders(course_copy, "ps1", roster_csv, tmp_path / "out")
    assert (tmp_path / "out" / "Bitdiddle, Ben (102)" / "ps1.html").read_text() == "bob"
    assert left_out == ["zoe: not in the roster"]


def test_pipeline_platform_stage_reports_a_block_instead_of_writing(graded_course, roster_csv,
                                                                    tmp_path):
    from course_tools.plugins.export.platforms import export_to_platform, markdown_lines

    url = f"sqlite:///{graded_course / 'gradebook.db'}"
    blocked = export_to_platform(url, graded_course, "ps1", "blackboard", roster_csv, tmp_path,
                                 tmp_path / "none.csv", column="PS1 |1")
    assert blocked["file"] is None and "dave" in blocked["blocked"]
    assert not (tmp_path / "blackboard_grades.csv").exists()
    assert "**No blackboard file was written:**" in "\n".join(markdown_lines("blackboard",
                                                                             blocked))
    done = export_to_platform(url, graded_course, "ps1", "blackboard", roster_csv, tmp_path,
                              tmp_path / "none.csv", column="PS1 |1", missing="blank",
                              final_only=True)
    assert done["file"] == tmp_path / "blackboard_grades.csv" and done["held"] == ["dave"]


def test_a_blocked_export_is_one_terminal_line_with_why_and_the_option(graded_course, roster_csv,
                                                                        tmp_path):
    from course_tools.plugins.export.platforms import export_to_platform, terminal_line

    url = f"sqlite:///{graded_course / 'gradebook.db'}"
    blocked = export_to_platform(url, graded_course, "ps1", "canvas", roster_csv, tmp_path,
                                 tmp_path / "none.csv", column="PS1 (1)")
    line = terminal_line("canvas", blocked)
    assert "\n" not in line and "canvas" in line and "blocked" in line
    assert "1 waiting for a manual grade" in line and "1 without a submission" in line, line
    assert "--final-only" in line and "--missing blank" in line and "report.md" in line, line
    done = export_to_platform(url, graded_course, "ps1", "canvas", roster_csv, tmp_path,
                              tmp_path / "none.csv", column="PS1 (1)", missing="blank",
                              final_only=True, feedback=False)
    assert "canvas_grades.csv" in terminal_line("canvas", done)


def test_the_command_prints_the_blocked_export(monkeypatch, tmp_path, capsys):
    import course_tools.grade as grade
    from course_tools.autograde.grader import StudentOutcome

    exported = {"file": None, "held": [], "blocked": "written answers wait for a manual grade "
                "(formgrader): dave; nothing was written", "feedback": None, "notes": [],
                "brief": ["1 waiting for a manual grade"], "options": ["--final-only"]}
    monkeypatch.setattr(grade, "run_pipeline", lambda *a, **k: {
        "outcomes": [StudentOutcome("dave", "graded", "")], "report": tmp_path / "report.md",
        "reconciled": True, "not_collected": [], "platform": ("canvas", exported)})
    grade.main(["ps1"])
    out = capsys.readouterr().out
    assert "canvas export blocked" in out and "--final-only" in out, out


def _plant_previous_run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in ("canvas_grades.csv", "canvas_grades.held.csv", "roster_reconciliation.csv",
                 "moodle_grades.csv", "moodle_grades_worksheet.csv", "moodle_feedback.zip",
                 "blackboard_grades.csv", "report.md", "grades.csv", "my_notes.csv"):
        (out / name).write_text("old", encoding="utf-8")
    (out / "canvas_feedback" / "Hacker, Alyssa (101)").mkdir(parents=True)
    (out / "canvas_feedback" / "Hacker, Alyssa (101)" / "ps1.html").write_text("old")


def test_a_new_run_starts_without_the_previous_runs_platform_files(course, tmp_path):
    from course_tools.pipeline import run_pipeline

    out = course / "reports" / "ps1"
    _plant_previous_run(out)
    with pytest.raises(FileNotFoundError):  # the run stops at once, after clearing
        run_pipeline("ps1", course=course, submissions=tmp_path / "missing")
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv", "my_notes.csv", "report.md"]


def test_the_report_names_the_export_files_this_run_wrote(graded_course, roster_csv, tmp_path):
    from course_tools.plugins.export.platforms import export_to_platform, markdown_lines

    url = f"sqlite:///{graded_course / 'gradebook.db'}"
    done = export_to_platform(url, graded_course, "ps1", "canvas", roster_csv, tmp_path,
                              tmp_path / "none.csv", column="PS1 (1)", missing="blank",
                              final_only=True, feedback=False)
    text = "\n".join(markdown_lines("canvas", done))
    assert "Export files written by this run: `canvas_grades.csv`, `canvas_grades.held.csv`" in text
