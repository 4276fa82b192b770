"""The roster: validated on load, loaded into nbgrader's own student table (issue 16 item 1, 6)."""

from __future__ import annotations

import pytest
from platform_fixtures import ROSTER, course_copy, graded_course, roster_csv  # noqa: F401

from course_tools.roster import RosterError, load_into_gradebook, load_roster


def test_a_valid_roster_loads_with_every_column(roster_csv):
    table = load_roster(roster_csv)
    assert list(table["student_id"]) == list(ROSTER["student_id"])
    assert table.loc[1, "canvas_user_id"] == "102"


@pytest.mark.parametrize("change, message", [
    (lambda df: df.assign(student_id=["alice", "alice", "carol", "dave", "erin"]),
     "duplicated student_id: alice"),
    (lambda df: df.assign(student_id=["alice", "", "carol", "dave", "erin"]),
     "blank student_id on line(s) 3"),
    (lambda df: df.assign(student_id=["alice", "bob+1", "carol", "dave", "erin"]),
     "cannot use"),
    (lambda df: df.assign(canvas_user_id=["101", "101", "103", "104", "105"]),
     "share canvas_user_id '101': alice, bob"),
    (lambda df: df.assign(email=["A@x.edu", "a@x.edu", "c@x", "d@x", "e@x"]),
     "share email 'a@x.edu': alice, bob"),
    (lambda df: df.rename(columns={"section": "sektion"}), "unknown column(s) 'sektion'"),
])
def test_bad_rosters_are_refused_with_the_problem_named(tmp_path, change, message):
    path = tmp_path / "roster.csv"
    change(ROSTER.copy()).to_csv(path, index=False)
    with pytest.raises(RosterError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("+", r"\+")):
        load_roster(path)


def test_roster_goes_into_nbgraders_student_table(course_copy, roster_csv):
    from nbgrader.api import Gradebook

    url = f"sqlite:///{course_copy / 'gradebook.db'}"
    assert load_into_gradebook(load_roster(roster_csv), url, platform="canvas") == 5
    with Gradebook(url) as gb:
        bob = gb.find_student("bob")
        assert (bob.first_name, bob.last_name, bob.email, bob.lms_user_id) == (
            "Ben", "Bitdiddle", "ben@example.edu", "102")


def test_reconciliation_lists_roster_submissions_and_grades(roster_csv):
    from course_tools.roster import reconcile_roster

    table, problems = reconcile_roster(
        load_roster(roster_csv), ["alice", "bob", "zed"],
        {"alice": "graded", "bob": "graded", "zed": "graded"}, {"alice": 9.0, "zed": 3.0})
    assert list(table["student_id"]) == ["alice", "bob", "carol", "dave", "erin", "zed"]
    assert table.set_index("student_id").loc["erin", "status"] == "no submission"
    assert problems == ["bob graded but without a score",
                        "submission from zed, who is not in the roster"]
