"""Moodle assignment downloads and grading worksheet -> course student ids.

Sources read (2026-12-04, moodle/moodle through the code index):

- ``mod/assign/locallib.php`` ``download_submissions()``: each student's files are prefixed with
  ``clean_filename(str_replace('_', ' ', fullname) . '_' . get_uniqueid_for_user(userid))`` (with
  blind marking the word "Participant" replaces the name; with team submissions the group name and
  ``-`` come first); then ``_<subtype>_<type>`` (``assignsubmission_file``) and the file: as a
  folder per student and plugin (``Full Name_123_assignsubmission_file/ps1.ipynb``; the default
  since Moodle 3.1, user preference ``assign_downloadasfolders``) or flat
  (``Full Name_123_assignsubmission_file_ps1.ipynb``; older versions add a ``_`` after the
  plugin name). The number is an assignment-specific participant id, not a user id: only the
  grading worksheet of the same assignment maps it to a person.
- ``mod/assign/feedback/offline/importgradeslib.php``: the offline grading worksheet is a CSV file
  whose column headers are localised strings: the identifier column (English "Identifier",
  string ``recordid``) holds ``Participant N`` (string ``hiddenuser`` + N), the grade column
  ("Grade") and "Last modified (grade)" (string ``lastmodifiedgrade``) are required on import;
  rows are matched by participant id. The worksheet also has the full name and e-mail address.
- ``mod/assign/feedback/file/importziplib.php``: the feedback zip ("Upload multiple feedback
  files in a zip") splits each path part on ``_`` into at most 5 pieces and needs at least 4:
  piece 2 the participant id, pieces 3 and 4 a plugin type and name; the rest is the file name.

Because the headers are localised, :func:`read_worksheet` finds the identifier column by its
values (every value is text followed by a number, the same text for all) and the e-mail column by
values holding ``@``; the full-name column is the one right after the identifier (its place in
the English download; unverified for other layouts, and a name is only used when no e-mail
matches). The grade column is named by the caller (default "Grade").

Lateness: Moodle's download names carry no late marker, and the worksheet's submission dates are
written in the site's language and date format, so no submission time is read from a Moodle
download: nbgrader then treats every submission as on time (Moodle's own late handling still
applies on the platform).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pandas as pd
from traitlets import Unicode

from nbgrader.plugins import FileNameCollectorPlugin

from course_tools import roster as _roster

#: A path part naming a participant's submission: ``<name>_<participant id>_assignsubmission_<
#: plugin>`` then, in the flat layout, ``_<file name>``.
PART = re.compile(r"^(?P<name>[^_]*)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<rest>.*))?$")
PARTICIPANT = re.compile(r"^(?P<prefix>\D*?)\s*(?P<pid>\d+)$")


class WorksheetError(ValueError):
    """A grading worksheet that cannot be read or matched to the roster."""


def parse_name(path: str) -> tuple[str, str] | None:
    """(participant id, file name inside the submission) from a path in a Moodle download, or
    None when no part of ``path`` is named like a Moodle submission."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    for index, part in enumerate(parts):
        m = PART.match(part)
        if m and m.group("plugin") == "file":
            rest = [m.group("rest")] if m.group("rest") else []
            inner = "/".join(rest + list(parts[index + 1:]))
            if inner:
                return m.group("pid"), inner
    return None


def read_worksheet(path, grade_column: str = "Grade") -> tuple[pd.DataFrame, dict]:
    """Read a Moodle grading worksheet: (the table as downloaded, column roles).

    The roles dict has ``id``, ``grade``, ``email`` (None if not found) and ``name`` column names.
    The table gets no new columns; every value is a string.

    Raises
    ------
    WorksheetError
        If the file is not a CSV file, has no identifier column, or no ``grade_column``.
    """
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise WorksheetError(f"grading worksheet {path} is not a readable CSV file: {exc}") from exc
    id_column = None
    for column in df.columns:
        values = df[column][df[column] != ""]
        found = values.str.extract(PARTICIPANT.pattern)
        if len(values) and found["pid"].notna().all() and found["prefix"].nunique() == 1 \
                and found["prefix"].iloc[0].strip():
            id_column = column
            break
    if id_column is None:
        raise WorksheetError(f"grading worksheet {path}: no column of participant identifiers "
                             "('Participant 12', ...); is it Moodle's offline grading worksheet?")
    if grade_column not in df.columns:
        raise WorksheetError(f"grading worksheet {path}: no column {grade_column!r} (the column "
                             f"names are localised; pass the grade column's name); columns: "
                             f"{', '.join(df.columns)}")
    email = next((c for c in df.columns if len(df[c][df[c] != ""])
                  and df[c][df[c] != ""].str.contains("@").all()), None)
    position = list(df.columns).index(id_column)
    name = df.columns[position + 1] if position + 1 < len(df.columns) else None
    return df, {"id": id_column, "grade": grade_column, "email": email, "name": name}


def participants(worksheet: pd.DataFrame, roles: dict, roster: pd.DataFrame
                 ) -> tuple[dict[str, str], list[str]]:
    """({participant id: student_id}, problems) matching worksheet rows to the roster.

    A row matches the roster student with its e-mail address (case-insensitive); failing that,
    the one student whose ``First Last`` equals the full name. Roster students no row matches
    and rows matching two students are problems; worksheet rows matching nobody are not (they
    are participants outside this class's roster) and are left alone.
    """
    by_email = {e.lower(): s for e, s in zip(roster["email"], roster["student_id"]) if e}
    names = {}
    for _, row in roster.iterrows():
        names.setdefault(_roster.display_name(row), []).append(row["student_id"])
    mapping, problems = {}, []
    for _, row in worksheet.iterrows():
        m = PARTICIPANT.match(row[roles["id"]])
        if not m:
            continue
        pid = m.group("pid")
        student = by_email.get(row[roles["email"]].lower()) if roles["email"] else None
        if student is None and roles["name"]:
            found = names.get(row[roles["name"]].strip(), [])
            if len(found) > 1:
                problems.append(f"participant {pid} ({row[roles['name']]}) matches several "
                                f"students by name: {', '.join(found)}")
            student = found[0] if len(found) == 1 else None
        if student is not None:
            if student in mapping.values():
                problems.append(f"student {student} matches two worksheet rows")
            mapping[pid] = student
    absent = sorted(set(roster["student_id"]) - set(mapping.values()))
    if absent:
        problems.append(f"roster students not in the grading worksheet: {', '.join(absent)}")
    return mapping, problems


def load_participants(worksheet_path, roster_path, grade_column: str = "Grade") -> dict[str, str]:
    """{participant id: student_id} from a worksheet and a roster file (problems ignored here;
    :func:`participants` reports them)."""
    sheet, roles = read_worksheet(worksheet_path, grade_column)
    return participants(sheet, roles, _roster.load_roster(roster_path))[0]


class MoodleCollectorPlugin(FileNameCollectorPlugin):
    """nbgrader ``zip_collect`` collector for Moodle's "Download all submissions" archive.

    Configure ``worksheet`` (the assignment's grading worksheet) and ``roster``; files whose
    participant id the worksheet does not map to a roster student are skipped (and listed by the
    grading pipeline).
    """

    worksheet = Unicode("", help="Moodle grading worksheet CSV of the assignment").tag(config=True)
    roster = Unicode("", help="course roster CSV (course_tools.roster)").tag(config=True)
    grade_column = Unicode("Grade", help="the worksheet's grade column").tag(config=True)

    _map: dict | None = None

    def collect(self, submitted_file: str) -> dict | None:
        if not submitted_file.endswith(tuple(self.valid_ext)):
            return None
        if self._map is None:
            self._map = load_participants(self.worksheet, self.roster, self.grade_column)
        parsed = parse_name(submitted_file)
        if parsed is None or parsed[0] not in self._map:
            self.log.warning("not matched to a student: %s", submitted_file)
            return None
        return {"student_id": self._map[parsed[0]], "file_id": parsed[1]}
