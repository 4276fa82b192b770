"""Student ids that would break the grade files or inject formulas are refused, by name."""

from __future__ import annotations


def test_ids_that_would_break_or_inject_into_grade_files_are_refused():
    from course_tools.pipeline import unsafe_student_id

    for bad in ["x,y", 'a"b', "a\nb", "=1+1", "+cmd", "-rf", "@SUM(A1)", "a;b"]:
        assert unsafe_student_id(bad), bad
    for good in ["ann", "O'Brien", "Zoë_Éclair", "李华", "007", "a-b", "a.b"]:
        assert unsafe_student_id(good) is None, good
