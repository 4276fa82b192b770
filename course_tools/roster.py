"""The class roster: course student ids mapped to learning-platform identities (issue 16).

A roster is a CSV file (UTF-8, comma-separated, one header row) with these columns:

==================== ======== ===========================================================
column               required what it holds
==================== ======== ===========================================================
``student_id``       yes      the course id nbgrader uses (``submitted/<student_id>/``)
``first_name``       no       given name (display)
``last_name``        no       family name (display)
``email``            no       e-mail address (also Moodle's "Email address" identity)
``canvas_user_id``   no       Canvas user id (the ``ID`` column of a Canvas gradebook export)
``sis_user_id``      no       Canvas ``SIS User ID``
``sis_login_id``     no       Canvas ``SIS Login ID``
``section``          no       Canvas section name (the ``Section`` column)
``moodle_username``  no       Moodle username
``moodle_idnumber``  no       Moodle "ID number"
``blackboard_username`` no    Blackboard Learn user name (``Username`` column)
==================== ======== ===========================================================

Unknown columns are refused (a misspelt column would otherwise be silently ignored). On load the
roster is validated (:func:`load_roster`): a blank or duplicated ``student_id``, an id nbgrader
cannot use, and two students sharing one platform identity are errors, each named in the message.

The roster is not a parallel truth: :func:`load_into_gradebook` writes names, e-mail and
``lms_user_id`` into nbgrader's own student table (``Gradebook.update_or_create_student``), which
is what nbgrader's exporters and formgrader show. ``lms_user_id`` holds the identity of the
platform in use (Canvas user id, Moodle username or Blackboard user name).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

#: Columns of a roster file, in order; ``student_id`` is required.
COLUMNS = ["student_id", "first_name", "last_name", "email", "canvas_user_id", "sis_user_id",
           "sis_login_id", "section", "moodle_username", "moodle_idnumber", "blackboard_username"]
#: Platform identity columns: no two students may share a non-blank value in one of them.
IDENTITY_COLUMNS = ["email", "canvas_user_id", "sis_user_id", "sis_login_id", "moodle_username",
                    "moodle_idnumber", "blackboard_username"]
#: The identity stored as nbgrader's ``lms_user_id`` for each platform.
LMS_ID_COLUMN = {"canvas": "canvas_user_id", "moodle": "moodle_username",
                 "blackboard": "blackboard_username"}
#: Student ids nbgrader can use: a folder name under ``submitted/`` that is also safe for
#: ``nbgrader ... --student ID`` (a glob pattern: no ``*?[]``) and for the exchange, whose file
#: names join student, assignment and time with ``+``. Letters, digits, ``.``, ``_``, ``-``; not
#: starting with ``.`` or ``-``.
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RosterError(ValueError):
    """A roster that cannot be used; the message names every problem found."""


def load_roster(path: Path) -> pd.DataFrame:
    """Read and validate a roster CSV file.

    Returns a DataFrame with every column of :data:`COLUMNS` (missing optional columns are added
    empty), all values as stripped strings ("" for blank), one row per student, index 0..n-1.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    RosterError
        If the file has no ``student_id`` column, an unknown column, a blank or duplicated
        ``student_id``, an id nbgrader cannot use (see :data:`VALID_ID`), or two students with one
        platform identity; every problem is listed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"roster file not found: {path}")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise RosterError(f"roster {path} is not a readable CSV file: {exc}") from exc
    return validate_roster(df, source=str(path))


def validate_roster(df: pd.DataFrame, source: str = "roster") -> pd.DataFrame:
    """Validate a roster table (see :func:`load_roster`); returns the normalised copy."""
    problems = []
    unknown = [c for c in df.columns if c not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))} (known: "
                        f"{', '.join(COLUMNS)})")
    if "student_id" not in df.columns:
        raise RosterError(f"{source}: no 'student_id' column" + (f"; {problems[0]}" if problems
                                                                  else ""))
    df = df.copy()
    for column in COLUMNS:
        df[column] = df[column].fillna("").astype(str).str.strip() if column in df else ""
    df = df[COLUMNS].reset_index(drop=True)
    line = df.index + 2  # header is line 1
    blank = df["student_id"] == ""
    if blank.any():
        problems.append(f"blank student_id on line(s) {', '.join(map(str, line[blank]))}")
    bad = df[~blank & ~df["student_id"].str.match(VALID_ID)]["student_id"]
    if len(bad):
        problems.append("student id(s) nbgrader cannot use (letters, digits, '.', '_', '-' only, "
                        f"not starting with '.' or '-'): {', '.join(map(repr, bad))}")
    dup = df[~blank & df["student_id"].duplicated(keep=False)]["student_id"].unique()
    if len(dup):
        problems.append(f"duplicated student_id: {', '.join(dup)}")
    for column in IDENTITY_COLUMNS:
        values = df[column].str.lower() if column == "email" else df[column]
        shared = df[(values != "") & values.duplicated(keep=False)]
        for value, group in shared.groupby(values[shared.index]):
            problems.append(f"two or more students share {column} {value!r}: "
                            f"{', '.join(group['student_id'])}")
    if problems:
        raise RosterError(f"{source}: " + "; ".join(problems))
    return df


def display_name(row) -> str:
    """``First Last`` from a roster row (the student id when both are blank)."""
    name = f"{row['first_name']} {row['last_name']}".strip()
    return name or row["student_id"]


def sortable_name(row) -> str:
    """``Last, First`` (Canvas's sortable name) from a roster row."""
    if row["last_name"] and row["first_name"]:
        return f"{row['last_name']}, {row['first_name']}"
    return display_name(row)


def require_identity(roster: pd.DataFrame, column: str, students: list[str] | None = None) -> None:
    """Raise :class:`RosterError` naming every student (of ``students``, default all) whose
    ``column`` identity is blank; a platform export needs it for each exported row."""
    rows = roster if students is None else roster[roster["student_id"].isin(students)]
    blank = rows[rows[column] == ""]["student_id"].tolist()
    if blank:
        raise RosterError(f"roster has no {column} for: {', '.join(blank)}")


def load_into_gradebook(roster: pd.DataFrame, db_url: str, platform: str | None = None) -> int:
    """Write every roster student into nbgrader's student table; returns the number written.

    Sets ``first_name``, ``last_name``, ``email`` and, when ``platform`` is given ("canvas",
    "moodle" or "blackboard"), ``lms_user_id`` to that platform's identity
    (:data:`LMS_ID_COLUMN`). Blank roster fields leave the gradebook's value unchanged.

    Raises
    ------
    ValueError
        If ``platform`` is not one of the three.
    """
    from nbgrader.api import Gradebook

    if platform is not None and platform not in LMS_ID_COLUMN:
        raise ValueError(f"unknown platform {platform!r} (canvas, moodle or blackboard)")
    with Gradebook(db_url) as gb:
        for _, row in roster.iterrows():
            fields = {k: row[k] for k in ("first_name", "last_name", "email") if row[k]}
            if platform and row[LMS_ID_COLUMN[platform]]:
                fields["lms_user_id"] = row[LMS_ID_COLUMN[platform]]
            gb.update_or_create_student(row["student_id"], **fields)
    return len(roster)


def reconcile_roster(roster: pd.DataFrame, submitted: list[str], statuses: dict[str, str],
                     scores: dict[str, float]) -> tuple[pd.DataFrame, list[str]]:
    """Roster against submissions against grades: (one row per student, problems).

    Rows: every roster student and every student with a submission, with ``in_roster``,
    ``submitted``, ``status`` (the grading outcome, "" when not graded) and ``score`` (NaN when
    none). Problems (each named): a submission from a student not in the roster; a student graded
    without a score. A roster student without a submission is listed (status "no submission")
    but is not a problem: the export decides what they get.
    """
    ids = list(roster["student_id"]) + sorted(set(submitted) - set(roster["student_id"]))
    rows, problems = [], []
    for sid in ids:
        in_roster, sent = sid in set(roster["student_id"]), sid in set(submitted)
        status = statuses.get(sid, "" if sent else "no submission")
        score = scores.get(sid, float("nan"))
        rows.append({"student_id": sid, "in_roster": in_roster, "submitted": sent,
                     "status": status, "score": score})
        if sent and not in_roster:
            problems.append(f"submission from {sid}, who is not in the roster")
        if status == "graded" and score != score:
            problems.append(f"{sid} graded but without a score")
    return pd.DataFrame(rows, columns=["student_id", "in_roster", "submitted", "status",
                                       "score"]), problems
