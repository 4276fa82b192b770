"""Files held back or skipped at intake are named in the terminal summary, not only in report.md,
and report.md says where held files are and what to do with them."""

from __future__ import annotations

import pandas as pd

from course_tools.intake.archives import Skipped

HELD = Skipped("alice_first.zip", "alice_ps1.ipynb",
               "2 different files would be alice's ps1.ipynb (alice_first.zip/alice_ps1.ipynb, "
               "alice_second.zip/alice_ps1.ipynb): none was collected; decide which one counts "
               "and collect it by hand")


def _fake_pipeline(lines, tmp_path):
    def run_pipeline(*args, **kwargs):
        return {"outcomes": [], "report": tmp_path / "report.md", "reconciled": True,
                "not_collected": lines, "export": None}
    return run_pipeline


def test_the_terminal_names_each_file_not_collected(monkeypatch, tmp_path, capsys):
    import course_tools.grade as grade
    from course_tools.autograde.grader import StudentOutcome

    lines = [f"`{HELD.archive}`: `{HELD.entry}`: {HELD.reason}",
             "`x.zip`: `y`: symbolic link (not followed)"]
    fake = _fake_pipeline(lines, tmp_path)
    monkeypatch.setattr(grade, "run_pipeline", lambda *a, **k: {
        **fake(), "outcomes": [StudentOutcome("bob", "graded", "")]})
    assert grade.main(["ps1"]) == 0
    out = capsys.readouterr().out
    for line in lines:
        assert line in out, out


def test_more_than_ten_files_are_counted_and_sent_to_the_report(monkeypatch, tmp_path, capsys):
    import course_tools.grade as grade
    from course_tools.autograde.grader import StudentOutcome

    lines = [f"`s{i}_a.zip`: `x{i}`: symbolic link (not followed)" for i in range(11)]
    fake = _fake_pipeline(lines, tmp_path)
    monkeypatch.setattr(grade, "run_pipeline", lambda *a, **k: {
        **fake(), "outcomes": [StudentOutcome("bob", "graded", "")]})
    grade.main(["ps1"])
    out = capsys.readouterr().out
    assert "11 downloaded files not collected" in out and "report.md" in out, out
    assert "x3" not in out


def test_the_report_says_where_held_files_are_and_what_to_do(tmp_path):
    from course_tools.report.markdown import not_collected_text, write_report

    report = write_report(tmp_path, "ps1", [], pd.DataFrame(), pd.DataFrame(),
                          not_collected=[HELD], held=True).read_text(encoding="utf-8")
    section = report.split("## Downloaded files not collected", 1)[1]
    assert f"- {not_collected_text(HELD)}" in section
    assert "`downloaded/ps1/held/`" in section
    assert "`submitted/<student>/ps1/<notebook>`" in section and "again" in section
