"""Moodle grades (gradebook CSV import, or the assignment's grading worksheet filled in) and the
Moodle feedback zip.

``nbgrader export --exporter course_tools.plugins.export.moodle.MoodleExportPlugin``.

Sources read (2026-12-04, moodle/moodle through the code index):
``grade/import/csv/classes/load_data.php`` (``prepare_import_grade_data``, ``check_user_exists``,
``update_grade_item``, ``insert_grade_record``) and
``mod/assign/feedback/offline/importgradeslib.php``; the naming rules of downloads and the
feedback zip are in :mod:`course_tools.intake.moodle`.

Gradebook CSV import (``grade/import/csv``), as encoded in :func:`check_moodle_csv`:

1. the instructor maps one column to users by ``id``, ``idnumber``, ``email`` or ``username``;
   a row whose user is not found aborts the *whole* import ("usermappingerrorusernotfound"), and
   so does a blank user field (no student id for that row);
2. the grade column is mapped to a grade item; unmapped columns are ignored;
3. a grade that is not numeric (``unformat_float`` fails) aborts the import ("badgrade"); an empty
   value or ``-`` means *no grade* (it clears an existing one);
4. a grade above the site's grade point maximum (100, or ``gradepointmax`` when
   ``unlimitedgrades`` is on) aborts the import ("gradevaluetoobig"). We also refuse a grade above
   the grade item's maximum (``grade_max``, default the assignment's nbgrader maximum): what
   Moodle does with one is unverified (``load_data.php`` checks only the site maximum), and it
   could not be a correct grade;
5. a locked grade item or grade aborts; a grade changed since the "last downloaded" time aborts
   when the file carries that column: we never write it (nor can we know of locks).

The grading worksheet (``worksheet``): the instructor downloads it from the assignment ("Download
grading worksheet"); we fill its grade column and keep every other column and row exactly as
downloaded (headers are localised; the identifier, grade and "Last modified (grade)" columns are
what the upload reads). :func:`check_worksheet` checks the filled copy against the original.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pandas as pd
from traitlets import Enum, Float, Unicode

from course_tools import roster as _roster
from course_tools.intake import moodle as _intake
from course_tools.plugins.export.common import ExportBlocked, PlatformExportPlugin

NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")
#: Header written for each way of identifying users (the English names of Moodle's own exports).
IDENTIFIER_HEADER = {"username": "Username", "email": "Email address", "idnumber": "ID number"}
IDENTIFIER_ROSTER = {"username": "moodle_username", "email": "email", "idnumber": "moodle_idnumber"}


def _grade_value(text: str) -> float | None:
    return float(text.replace(",", ".")) if NUMBER.match(text.strip()) else None


def check_moodle_csv(path: Path, identifier: str, column: str, grade_max: float,
                     roster: pd.DataFrame | None = None, site_max: float = 100.0) -> list[str]:
    """Moodle gradebook-import rules (module docstring) on the file at ``path``; the problems."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = []
    header = IDENTIFIER_HEADER[identifier]
    for name in (header, column):
        if name not in df.columns:
            problems.append(f"no column {name!r}; columns: {list(df.columns)}")
    if problems:
        return problems
    known = set(roster[IDENTIFIER_ROSTER[identifier]]) - {""} if roster is not None else None
    for line, (user, grade) in enumerate(zip(df[header], df[column]), start=2):
        if not user.strip():
            problems.append(f"line {line}: blank {header} (Moodle aborts the import)")
        elif known is not None and user not in known:
            problems.append(f"line {line}: unknown user {user!r} (Moodle aborts the import)")
        value = grade.strip()
        if value in ("", "-"):
            continue
        number = _grade_value(value)
        if number is None:
            problems.append(f"line {line}: grade {value!r} is not a number (Moodle aborts)")
        elif number > grade_max or number > site_max:
            problems.append(f"line {line}: grade {value} is above the maximum "
                            f"{min(grade_max, site_max):g}")
        elif number < 0:
            problems.append(f"line {line}: negative grade {value}")
    dup = df[header][df[header].duplicated() & (df[header] != "")].tolist()
    if dup:
        problems.append(f"users twice: {', '.join(dup)}")
    return problems


def check_worksheet(filled: Path, original: Path, grade_column: str = "Grade",
                    max_column: str = "Maximum Grade") -> list[str]:
    """The filled worksheet against the downloaded one: same header, rows and identifiers, only
    the grade column changed, every grade a number within the row's maximum (when the worksheet
    has ``max_column``)."""
    new = pd.read_csv(filled, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    old, roles = _intake.read_worksheet(original, grade_column)
    problems = []
    if list(new.columns) != list(old.columns):
        return [f"header changed: {list(new.columns)} (downloaded: {list(old.columns)})"]
    if len(new) != len(old) or list(new[roles["id"]]) != list(old[roles["id"]]):
        return ["rows or participant identifiers changed"]
    others = [c for c in old.columns if c != grade_column]
    if not new[others].equals(old[others]):
        problems.append("a column other than the grade column changed")
    for line, (grade, row) in enumerate(zip(new[grade_column], new.to_dict("records")), start=2):
        value = grade.strip()
        if value in ("", "-"):
            continue
        number = _grade_value(value)
        if number is None:
            problems.append(f"line {line}: grade {value!r} is not a number")
        elif max_column in row and _grade_value(row[max_column]) is not None \
                and number > _grade_value(row[max_column]):
            problems.append(f"line {line}: grade {value} above the maximum {row[max_column]}")
    return problems


class MoodleExportPlugin(PlatformExportPlugin):
    """Moodle gradebook CSV (``to``) and, with ``worksheet``, the filled grading worksheet
    (``<to stem>_worksheet.csv``). ``column`` names the grade column (the grade item's name, to
    map on import); ``identifier`` is how users are identified."""

    default_name = "moodle_grades.csv"
    identifier = Enum(list(IDENTIFIER_HEADER), default_value="username",
                      help="user identity column: username, email or idnumber").tag(config=True)
    grade_max = Float(0.0, help="the Moodle grade item's maximum (default: the nbgrader maximum)"
                      ).tag(config=True)
    worksheet = Unicode("", help="the assignment's downloaded grading worksheet, to fill in"
                        ).tag(config=True)
    grade_column = Unicode("Grade", help="the worksheet's grade column (localised)"
                           ).tag(config=True)

    @property
    def identity_columns(self) -> tuple[str, ...]:
        return (IDENTIFIER_ROSTER[self.identifier],)

    def write(self, rows: pd.DataFrame, dest: Path) -> None:
        column = self.column or self._assignment_name()
        ident = IDENTIFIER_ROSTER[self.identifier]
        out = pd.DataFrame({IDENTIFIER_HEADER[self.identifier]: rows[ident],
                            "First name": rows["first_name"], "Last name": rows["last_name"],
                            column: rows["grade"]}).sort_values(IDENTIFIER_HEADER[self.identifier])
        out.to_csv(dest, index=False)
        if self.worksheet:
            self.fill_worksheet(rows, self.worksheet_path(dest))

    def worksheet_path(self, dest: Path) -> Path:
        return dest.with_name(dest.stem + "_worksheet.csv")

    def fill_worksheet(self, rows: pd.DataFrame, target: Path) -> None:
        """Copy the downloaded worksheet to ``target`` with the grade column filled in.

        Raises
        ------
        ExportBlocked
            If the worksheet does not map every exported student to a participant.
        """
        sheet, roles = _intake.read_worksheet(self.worksheet, self.grade_column)
        mapping, problems = _intake.participants(sheet, roles,
                                                 _roster.load_roster(Path(self.roster)))
        by_student = {s: p for p, s in mapping.items()}
        lacking = sorted(set(rows["student_id"]) - set(by_student))
        if lacking:
            raise ExportBlocked(f"not found in the grading worksheet: {', '.join(lacking)}"
                                + (f" ({'; '.join(problems)})" if problems else ""))
        grades = {by_student[s]: g for s, g in zip(rows["student_id"], rows["grade"])}
        with open(self.worksheet, newline="", encoding="utf-8-sig") as fh:
            table = list(csv.reader(fh))
        header = table[0]
        gi, ii = header.index(roles["grade"]), header.index(roles["id"])
        for row in table[1:]:
            m = _intake.PARTICIPANT.match(row[ii]) if ii < len(row) else None
            if m and m.group("pid") in grades:
                row[gi] = grades[m.group("pid")]
        with open(target, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(table)

    def check(self, path: Path) -> list[str]:
        roster = _roster.load_roster(Path(self.roster))
        column = self.column or self._assignment_name()
        grade_max = self.grade_max or self._nbgrader_max
        problems = check_moodle_csv(path, self.identifier, column, grade_max, roster)
        if self.worksheet and not problems:
            problems += check_worksheet(self.worksheet_path(path), Path(self.worksheet),
                                        self.grade_column)
        return problems

    def export(self, gradebook) -> None:
        self._nbgrader_max = float(gradebook.find_assignment(self._assignment_name()).max_score)
        super().export(gradebook)


def feedback_zip(course: Path, assignment: str, worksheet: Path, roster: Path, to: Path,
                 grade_column: str = "Grade") -> tuple[Path, list[str]]:
    """Zip each student's feedback (``course/feedback/<id>/<assignment>/*.html``) for Moodle's
    "Upload multiple feedback files in a zip" (Feedback files enabled on the assignment).

    Each file is stored as ``<Full Name>_<participant id>_assignfeedback_file/<file>``, the
    folder naming of Moodle's own downloads (``_`` in names replaced by spaces, as Moodle does).
    Returns (the zip path, students left out with the reason).

    Raises
    ------
    FileNotFoundError
        If the worksheet or roster is missing.
    """
    sheet, roles = _intake.read_worksheet(worksheet, grade_column)
    mapping, _ = _intake.participants(sheet, roles, _roster.load_roster(Path(roster)))
    names = {}
    for _, row in sheet.iterrows():
        m = _intake.PARTICIPANT.match(row[roles["id"]])
        if m:
            names[m.group("pid")] = row[roles["name"]] if roles["name"] else "Participant"
    by_student = {s: p for p, s in mapping.items()}
    left_out = []
    to = Path(to)
    to.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(to, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in sorted((Path(course) / "feedback").glob(f"*/{assignment}")):
            student = folder.parent.name
            files = sorted(folder.glob("*.html"))
            if not files:
                continue
            if student not in by_student:
                left_out.append(f"{student}: not in the grading worksheet")
                continue
            pid = by_student[student]
            name = re.sub(r'[\\/:*?"<>|]', "", names[pid].replace("_", " ")).strip() or "Participant"
            for path in files:
                archive.write(path, f"{name}_{pid}_assignfeedback_file/{path.name}")
    return to, left_out


def check_feedback_zip(path: Path, participant_ids: set[str]) -> list[str]:
    """Moodle's feedback-zip rule (``importziplib.php``) on every file: a path part splits on
    ``_`` into at least 4 pieces, piece 2 a known participant id, pieces 3-4
    ``assignfeedback``/``file``."""
    problems = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            ok = False
            for part in name.split("/"):
                info = part.split("_", 4)
                if len(info) >= 4 and info[1].isdigit() and info[1] in participant_ids \
                        and info[2] == "assignfeedback" and info[3] == "file":
                    ok = True
                    break
            if not ok:
                problems.append(f"{name}: Moodle would not match it to a participant")
    return problems
