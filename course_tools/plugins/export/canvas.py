"""Canvas gradebook import file (``nbgrader export --exporter ...canvas.CanvasExportPlugin``).

Source read (2026-12-04, through the code index): instructure/canvas-lms
``app/models/gradebook_importer.rb`` (a recent version: it reads ``Override Status`` columns) and
``Assignment.title_and_id`` in ``app/models/assignment.rb``. The commit of the stored copy was not
shown; the rules below are the ones in that text.

Rules of Canvas's importer, as encoded in :func:`check_canvas`:

1. Header row: more than 3 fields, the first contains ``Student`` and the second ``ID``
   (``row_has_student_headers?``). (A ``LastName``, ``FirstName`` variant exists behind an account
   setting; we do not write it.)
2. Student columns (``update_column_count``): after ``Student``, ``ID`` comes either
   ``SIS Login ID`` alone, or ``SIS User ID`` followed by ``SIS Login ID`` (then optionally
   ``Integration ID`` and ``Root Account``); the last student column must contain ``Section``,
   otherwise the whole file is refused ("Invalid header row"). So ``SIS User ID`` without
   ``SIS Login ID`` is refused.
3. Every further column is an assignment (bar ``Current/Final/Override Score/Points/Grade``
   columns): matched by the id in ``Title (id)`` (regex ``\\A(.*)\\s\\((\\d+)\\)\\z``) first, by
   exact title second; an unmatched column creates a new assignment. We require the ``(id)`` form
   unless ``allow_new_column``.
4. A row whose first field contains ``Points Possible`` describes the assignments (Canvas's own
   export writes it with leading spaces); it sets points possible, so it must be numeric.
5. Student rows are matched by Canvas user id (``ID``), then SIS User ID, SIS Login ID, then by
   name: we require an ``ID`` or a SIS id on every row, and no id twice. Grades are numbers
   (Canvas turns a decimal comma into a point) or ``EX`` (excused); an empty cell is no grade.
6. The delimiter is guessed from the first three lines (``;`` or ``,``, whichever gives a
   consistent field count): every row has the same number of fields.

There is no comment column: feedback goes back by hand (see the grading guide).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from course_tools import roster as _roster
from course_tools.plugins.export.common import PlatformExportPlugin, format_grade

TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")
NON_ASSIGNMENT = re.compile("|".join(["Current Score", "Current Points", "Current Grade",
                                      "Final Score", "Final Points", "Final Grade",
                                      "Override Score", "Override Grade", "Override Status"]))
RESERVED = {"Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Section",
            "Integration ID", "Root Account"}
HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def student_columns(header: list[str]) -> tuple[int, list[str]]:
    """(number of student columns, problems) for a Canvas header row (rules 1 and 2)."""
    problems = []
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        return 0, ["header must start with 'Student', 'ID' and have more than 3 columns "
                   f"(Canvas: Invalid header row); got {header[:3]}"]
    n = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        n += 1
    elif (re.search(r"SIS\s+User\s+ID", header[2]) and len(header) > 3
          and re.search(r"SIS\s+Login\s+ID", header[3])):
        extra = 1 if len(header) > 4 and re.search(r"Integration\s+ID", header[4]) else 0
        n += 2 + extra
        if len(header) > 4 + extra and re.search(r"Root\s+Account", header[4 + extra]):
            n += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]):
        problems.append("'SIS User ID' must be followed by 'SIS Login ID'")
    if len(header) < n or "Section" not in header[n - 1]:
        problems.append(f"column {n} must be 'Section' (Canvas: Invalid header row); got "
                        f"{header[n - 1] if len(header) >= n else 'nothing'!r}")
    return n, problems


def check_canvas(path: Path, allow_new_column: bool = False, roster: pd.DataFrame | None = None
                 ) -> list[str]:
    """Canvas's import rules (module docstring) applied to the file at ``path``.

    Returns the list of problems (empty: Canvas would take the file and match every column and
    student). ``roster``, when given, also requires every ``ID`` to be a roster canvas_user_id.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return ["empty file"]
    header, problems = rows[0], []
    n, header_problems = student_columns(header)
    problems += header_problems
    if header_problems:
        return problems
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        problems.append(f"rows have different numbers of fields {sorted(widths)} (Canvas guesses "
                        "the delimiter from a consistent count)")
    assignments = [i for i in range(n, len(header)) if not NON_ASSIGNMENT.search(header[i])]
    if not assignments:
        problems.append("no assignment column")
    for i in assignments:
        if header[i] in RESERVED:
            problems.append(f"column {header[i]!r} is a reserved student column out of place")
        elif not TITLE_AND_ID.match(header[i]) and not allow_new_column:
            problems.append(f"column {header[i]!r} has no '(assignment id)': Canvas matches it by "
                            "exact title or creates a new assignment")
    body = rows[1:]
    if body and "Points Possible" in body[0][0]:
        for i in assignments:
            value = body[0][i] if i < len(body[0]) else ""
            if not NUMBER.match(value.strip()):
                problems.append(f"Points Possible for {header[i]!r} is not a number: {value!r}")
        body = body[1:]
    seen = set()
    known = set(roster["canvas_user_id"]) - {""} if roster is not None else None
    for line, row in enumerate(body, start=2):
        if all(re.match(r"^\s*(Muted|Manual Posting.*)?\s*$", c, re.I) for c in row):
            continue
        cid = row[1].strip() if len(row) > 1 else ""
        sis = [row[k].strip() for k in range(2, n - 1) if k < len(row)]
        if not cid and not any(sis):
            problems.append(f"line {line}: no ID or SIS id (Canvas would match by name)")
        if cid and not cid.isdigit():
            problems.append(f"line {line}: ID {cid!r} is not a Canvas user id")
        key = cid or tuple(sis)
        if key in seen:
            problems.append(f"line {line}: student {key} appears twice")
        seen.add(key)
        if known is not None and cid and cid not in known:
            problems.append(f"line {line}: ID {cid} is not in the roster")
        for i in assignments:
            value = row[i].strip() if i < len(row) else ""
            if value and value.upper() != "EX" and not NUMBER.match(value):
                problems.append(f"line {line}: grade {value!r} for {header[i]!r} is not a number "
                                "or EX")
            elif NUMBER.match(value) and float(value) < 0:
                problems.append(f"line {line}: negative grade {value}")
    return problems


class CanvasExportPlugin(PlatformExportPlugin):
    """Canvas gradebook CSV for one assignment (see the module docstring for the rules).

    ``column`` is the assignment's header as in a gradebook exported from Canvas, e.g.
    ``PS1 (1234)``. Columns written: Student (sortable name), ID (Canvas user id),
    SIS User ID, SIS Login ID, Section, the assignment; then a ``Points Possible`` row.
    """

    default_name = "canvas_grades.csv"
    identity_columns = ("canvas_user_id", "sis_user_id", "sis_login_id")

    def write(self, rows: pd.DataFrame, dest: Path) -> None:
        column = self.column or self._assignment_name()
        points = rows["max_score"].max() if len(rows) else 0
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(HEADER + [column])
            out.writerow(["    Points Possible", "", "", "", "", format_grade(points)])
            for _, r in rows.sort_values("student_id").iterrows():
                out.writerow([_roster.sortable_name(r), r["canvas_user_id"], r["sis_user_id"],
                              r["sis_login_id"], r["section"], r["grade"]])

    def check(self, path: Path) -> list[str]:
        return check_canvas(path, self.allow_new_column, _roster.load_roster(Path(self.roster)))



def feedback_folders(course: Path, assignment: str, roster: Path, to: Path) -> list[str]:
    """Copy each student's feedback to ``to/<Last, First> (<Canvas id>)/`` for attaching by hand.

    Canvas's gradebook import carries no comments or files, so feedback goes back by hand: in
    SpeedGrader, attach the file to a submission comment (or return the notebooks themselves).
    Returns the students left out with the reason (no roster entry).
    """
    import shutil

    table = _roster.load_roster(Path(roster)).set_index("student_id", drop=False)
    left_out = []
    for folder in sorted((Path(course) / "feedback").glob(f"*/{assignment}")):
        student = folder.parent.name
        files = sorted(folder.glob("*.html"))
        if not files:
            continue
        if student not in table.index:
            left_out.append(f"{student}: not in the roster")
            continue
        row = table.loc[student]
        name = re.sub(r'[\\/:*?"<>|]', "", _roster.sortable_name(row))
        target = Path(to) / f"{name} ({row['canvas_user_id'] or student})"
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copy2(path, target / path.name)
    return left_out
