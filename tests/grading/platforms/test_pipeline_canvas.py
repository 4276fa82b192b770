"""The grading pipeline end to end with a Canvas download and a roster (issue 16): collection
under course ids, a LATE file timed after the due date, an unmatched file and a corrupted archive
reported, the export blocked while written answers wait for hand-marking, then exported, read back
and checked row by row; item analysis and the roster reconciliation in the report; a second
download after an extension leaves no late time behind."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
from platform_fixtures import ROSTER

from conftest import fill_solutions, load_nb, run_tool
from course_tools.pipeline import run_pipeline
from course_tools.plugins.export.canvas import check_canvas
from course_tools.plugins.export.platforms import export_to_platform


def test_canvas_round_trip_through_the_pipeline(course, tmp_path):
    proc = run_tool(["nbgrader", "generate_assignment", "ps1", "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    release = load_nb(course / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
    answered = fill_solutions(release, source)
    for cell in answered["cells"]:  # a written answer: waits for hand-marking
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "q1_answer":
            cell["source"] = "The progress ratio falls after the supplier joins the supply base."
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / "submissions.zip", "w") as archive:
        archive.writestr("hackeralyssa_101_9001_ps1.ipynb", json.dumps(answered))
        archive.writestr("bitdiddleben_late_102_9002_ps1-1.ipynb", json.dumps(release))
        archive.writestr("nobodyknown_999_9003_ps1.ipynb", json.dumps(release))
    (downloads / "second.zip").write_bytes(b"PK\x03\x04 broken")
    roster = tmp_path / "roster.csv"
    ROSTER[ROSTER["student_id"].isin(["alice", "bob", "erin"])].to_csv(roster, index=False)

    result = run_pipeline("ps1", course=course, downloads=downloads, platform="canvas",
                          roster=roster, duedate="2026-12-01 12:00:00",
                          platform_column="PS1 (1234)", missing="blank", sandbox=False, jobs=2)

    assert [o.student_id for o in result["outcomes"]] == ["alice", "bob"]
    assert not result["reconciled"]  # the unmatched file and the broken archive are problems
    report = result["report"].read_text(encoding="utf-8")
    assert "nobodyknown_999_9003_ps1.ipynb" in report and "corrupted archive second.zip" in report
    assert "**No canvas file was written:**" in report and "manual grade (formgrader): alice" in report
    assert "## Item analysis" in report and "![Histogram of the total scores" in report
    out = result["out"]
    assert not (out / "canvas_grades.csv").exists()
    rec = pd.read_csv(out / "roster_reconciliation.csv", dtype=str).set_index("student_id")
    assert rec.loc["erin", "status"] == "no submission" and rec.loc["bob", "status"] == "graded"

    from nbgrader.api import Gradebook

    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url) as gb:
        bob = gb.find_submission("ps1", "bob")
        assert bob.total_seconds_late == 1  # LATE: the due date plus one second
        assert gb.find_student("alice").lms_user_id == "101"  # the roster is in the gradebook
        for sid in ("alice", "bob"):  # hand-marking: full marks on every written answer
            for nb in gb.find_submission("ps1", sid).notebooks:
                for grade in nb.grades:
                    if grade.needs_manual_grade:  # as formgrader does when a score is entered
                        grade.manual_score = grade.max_score
                        grade.needs_manual_grade = False
            gb.db.commit()
        expected = {sid: gb.find_submission("ps1", sid).score for sid in ("alice", "bob")}
        max_score = gb.find_assignment("ps1").max_score

    done = export_to_platform(url, course, "ps1", "canvas", roster, out,
                              out / "student_outcomes.csv", column="PS1 (1234)", missing="blank")
    assert done["blocked"] == ""
    df = pd.read_csv(out / "canvas_grades.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                "PS1 (1234)"]
    assert df.iloc[0]["Student"].strip() == "Points Possible"
    assert float(df.iloc[0]["PS1 (1234)"]) == max_score
    grades = df.iloc[1:].set_index("ID")["PS1 (1234)"].to_dict()
    assert {k: (float(v) if v else None) for k, v in grades.items()} == {
        "101": expected["alice"], "102": expected["bob"], "105": None}
    assert check_canvas(out / "canvas_grades.csv", roster=ROSTER) == []
    assert (out / "canvas_feedback" / "Hacker, Alyssa (101)" / "ps1.html").exists()

    # bob is given an extension and Canvas is downloaded again: his file is no longer LATE, so the
    # earlier round's late time must not stay in the gradebook (nbgrader keeps a time it is not
    # given a new one for).
    again = tmp_path / "downloads-again"
    again.mkdir()
    (again / "bitdiddleben_102_9004_ps1.ipynb").write_text(json.dumps(release))
    run_pipeline("ps1", course=course, downloads=again, platform="canvas", roster=roster,
                 platform_column="PS1 (1234)", missing="blank", sandbox=False, jobs=1,
                 feedback=False)
    with Gradebook(url) as gb:
        assert gb.find_submission("ps1", "bob").timestamp is None
        assert gb.find_submission("ps1", "bob").total_seconds_late == 0
    rows = pd.read_csv(out / "grades.csv", dtype=str, keep_default_na=False).set_index("student_id")
    assert rows.loc["bob", "timestamp"] == ""


def test_command_line_refuses_platform_misuse_clearly(course, tmp_path, capsys):
    from course_tools.grade import main

    roster = tmp_path / "roster.csv"
    ROSTER.to_csv(roster, index=False)
    (tmp_path / "d").mkdir()
    assert main(["ps1", "--course", str(course), "--platform", "canvas"]) == 2
    assert "--platform needs the roster" in capsys.readouterr().err
    assert main(["ps1", "--course", str(course), "--platform", "blackboard", "--roster",
                 str(roster), "--downloads", str(tmp_path / "d")]) == 2
    assert "cannot read blackboard downloads" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    ROSTER.assign(student_id=["a", "a", "c", "d", "e"]).to_csv(bad, index=False)
    assert main(["ps1", "--course", str(course), "--roster", str(bad)]) == 2
    assert "duplicated student_id: a" in capsys.readouterr().err
