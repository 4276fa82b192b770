"""Blackboard Learn *Original* Grade Center upload file
(``nbgrader export --exporter course_tools.plugins.export.blackboard.BlackboardExportPlugin``).

Sources read (2026-12-04): Blackboard's instructor help "Uploading or Downloading Grade Center
Items for Working Offline" (library.blackboard.com, ``grade_center_upload_download.htm``; a Learn
9.x page, exact release not shown) and the University of North Dakota knowledge-base copy of
Blackboard's help "Download or print from the Grade Center" (und.teamdynamix.com), which say:

1. the unique identifier of a student is the user name (column ``Username``); the upload fails
   for a row without it and ignores users not enrolled; name columns are not processed;
2. the unique identifier of a column is its Column ID, written after ``|`` at the end of the
   downloaded header, e.g. ``Quiz 3 [Total Pts: 10 Score] |664617``; a column without one
   creates a new column, added as a *text* column worth 0 points (left out of totals);
3. in a comma-delimited (.csv) file every field must be inside a quote character (``"``);
   tab-delimited files need none;
4. one header row, then one record per line.

Encoded in :func:`check_blackboard`. Our own, stricter rules: grades are numbers (or empty), no
user name twice. Unverified and therefore not written: the comment columns ("Feedback to
Learner", "Grading Notes" and their format columns) that a download "with comments" contains; we
could not read their exact layout in Blackboard's documentation. Blackboard Learn *Ultra*'s
gradebook import is a different screen and unverified: this exporter targets the Original Grade
Center.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from course_tools import roster as _roster
from course_tools.plugins.export.common import PlatformExportPlugin

COLUMN_ID = re.compile(r"\|\s*\d+\s*$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
HEADER = ["Last Name", "First Name", "Username"]


def check_blackboard(path: Path, allow_new_column: bool = False,
                     roster: pd.DataFrame | None = None) -> list[str]:
    """Blackboard's upload rules (module docstring) applied to the file at ``path``; returns the
    problems found (empty: every row and column would be matched)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln]
    problems = []
    for number, line in enumerate(lines, start=1):
        fields = next(csv.reader([line]))
        rebuilt = ",".join('"' + f.replace('"', '""') + '"' for f in fields)
        if line != rebuilt:
            problems.append(f"line {number}: every field must be in double quotes")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return problems + ["empty file"]
    header = rows[0]
    if "Username" not in header:
        return problems + [f"no 'Username' column (the student identifier); header {header}"]
    user = header.index("Username")
    grades = [i for i, h in enumerate(header) if h not in HEADER and h != "Student ID"]
    if not grades:
        problems.append("no grade column")
    for i in grades:
        if not COLUMN_ID.search(header[i]) and not allow_new_column:
            problems.append(f"column {header[i]!r} has no '|<column id>': Blackboard would create "
                            "a new text column worth 0 points")
    seen = set()
    known = set(roster["blackboard_username"]) - {""} if roster is not None else None
    for number, row in enumerate(rows[1:], start=2):
        name = row[user].strip() if user < len(row) else ""
        if not name:
            problems.append(f"line {number}: blank Username (the upload fails)")
        elif name in seen:
            problems.append(f"line {number}: Username {name!r} twice")
        elif known is not None and name not in known:
            problems.append(f"line {number}: Username {name!r} is not in the roster")
        seen.add(name)
        if len(row) != len(header):
            problems.append(f"line {number}: {len(row)} fields, header has {len(header)}")
        for i in grades:
            value = row[i].strip() if i < len(row) else ""
            if value and not NUMBER.match(value):
                problems.append(f"line {number}: grade {value!r} is not a number")
    return problems


class BlackboardExportPlugin(PlatformExportPlugin):
    """Blackboard Original Grade Center CSV for one assignment (rules in the module docstring).

    ``column`` is the column's header from a Grade Center download, e.g.
    ``PS1 [Total Pts: 15 Score] |664617``. Columns written: Last Name, First Name, Username, the
    assignment; every field quoted.
    """

    default_name = "blackboard_grades.csv"
    identity_columns = ("blackboard_username",)

    def write(self, rows: pd.DataFrame, dest: Path) -> None:
        column = self.column or self._assignment_name()
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
            out.writerow(HEADER + [column])
            for _, r in rows.sort_values("student_id").iterrows():
                out.writerow([r["last_name"], r["first_name"], r["blackboard_username"],
                              r["grade"]])

    def check(self, path: Path) -> list[str]:
        return check_blackboard(path, self.allow_new_column,
                                _roster.load_roster(Path(self.roster)))
