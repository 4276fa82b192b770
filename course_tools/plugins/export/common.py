"""What every platform export shares: which grades are final, and what blocks an export.

:class:`PlatformExportPlugin` is an nbgrader ``ExportPlugin`` (nbgrader 0.9.6,
``nbgrader/plugins/export.py``: traits ``to``, ``student``, ``assignment``; method
``export(gradebook)``). Subclasses write one platform's file (:meth:`write`) and check it with that
importer's acceptance rules (:meth:`check`); the export fails when its own check fails.

Rules shared by all platforms (our decisions, issue 16):

- one assignment per file (a platform column is one assignment): ``--assignment`` must name one;
- every exported student must be in the roster (``roster``), with the platform's identity;
- a student in the roster without a submission is *missing*: the export stops unless ``missing``
  says ``blank`` (an empty cell) or ``zero`` (0) explicitly. (nbgrader's own CSV exporter writes 0
  for a missing submission, which a platform would record as a real zero.)
- a grade that is not final blocks the export: a written answer still waiting for a manual grade
  (no ``manual_score`` in the gradebook, judged as report.md does:
  :func:`course_tools.nbgrader_tools.awaiting_manual_grade`; ``needs_manual_grade`` alone is not
  enough, nbgrader sets it again on hand-marked cells at every regrade), a submission the
  pipeline reported ``failed``, or one marked ``needs_review`` (status column of
  ``student_outcomes.csv``). With ``final_only`` the final grades are exported and those rows are
  left out of the file (an absent row leaves the platform's grade unchanged, where an empty cell
  could clear it); they are listed in ``<file>.held.csv``.
- a grade is ``max(0, score - late penalty)`` as in nbgrader's CSV exporter, written with at most
  two decimals (Canvas compares grades at two decimals).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from traitlets import Bool, Enum, Unicode

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from course_tools import roster as _roster
from course_tools.nbgrader_tools import awaiting_manual_grade

#: Statuses that are not final grades (our names; "needs_review" comes from tamper detection).
NOT_FINAL = {"pending_manual": "written answers wait for a manual grade (formgrader)",
             "failed": "the submission could not be graded",
             "needs_review": "the grading marked the result 'needs review'"}


#: The same statuses in a few words, after a number of students (for the terminal).
BRIEF = {"pending_manual": "waiting for a manual grade", "failed": "failed",
         "needs_review": "needing review"}


class ExportBlocked(RuntimeError):
    """An export refused because grades are missing or not final; the message says which.

    ``brief`` lists the reasons in a few words each ("2 waiting for a manual grade"; the message
    itself when not given) and ``options`` the command-line options that would let the export
    write the final grades anyway ("--final-only"; empty when only fixing the data helps).
    """

    def __init__(self, message: str, brief: list[str] | None = None,
                 options: list[str] | None = None):
        super().__init__(message)
        self.brief = list(brief) if brief else [message]
        self.options = list(options or [])


class ExportCheckFailed(RuntimeError):
    """A written export that breaks the platform importer's rules (a bug: nothing to upload)."""


def format_grade(value: float) -> str:
    """A grade as text with at most two decimals and no trailing zeros ("9", "7.5", "6.67")."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def read_statuses(path: Path | None) -> dict[str, str]:
    """{student_id: status} from a ``student_outcomes.csv`` (or a grades file with a
    ``grading_status`` column); {} when ``path`` is None or does not exist."""
    if path is None or not Path(path).is_file():
        return {}
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    column = "status" if "status" in df else "grading_status" if "grading_status" in df else None
    if column is None or "student_id" not in df:
        return {}
    # The grading writes "needs review" (course_tools.autograde.grader); read any spelling of it
    # ("needs review", "needs_review", "Needs review") as the one status, never as a final grade.
    status = df[column].str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
    return dict(zip(df["student_id"], status))


class PlatformExportPlugin(ExportPlugin):
    """Base of the Canvas, Moodle and Blackboard exporters (see the module docstring)."""

    roster = Unicode("", help="roster CSV (course_tools.roster) mapping student ids to platform "
                              "identities (required)").tag(config=True)
    column = Unicode("", help="the platform's column for this assignment, copied from a file "
                              "downloaded from the platform").tag(config=True)
    allow_new_column = Bool(False, help="allow a column the platform will not match to an "
                                        "existing one (it then creates a new one)").tag(config=True)
    missing = Enum(["refuse", "blank", "zero"], default_value="refuse",
                   help="students without a submission: refuse (default), blank or zero"
                   ).tag(config=True)
    final_only = Bool(False, help="export the final grades and hold back the rest (pending manual "
                                  "grades, failed, needs review) instead of refusing"
                      ).tag(config=True)
    outcomes = Unicode("", help="student_outcomes.csv of the grading run (default: "
                                "reports/<assignment>/student_outcomes.csv if present)"
                       ).tag(config=True)

    #: File name used when ``to`` is empty (subclasses set it).
    default_name = "grades.csv"
    #: Roster column(s) identifying a student on the platform; one must be filled per row.
    identity_columns: tuple[str, ...] = ()

    # -- shared steps ---------------------------------------------------------------------------
    def _assignment_name(self) -> str:
        if len(self.assignment) != 1:
            raise ExportBlocked("a platform export needs exactly one assignment (--assignment NAME);"
                                f" got {list(self.assignment) or 'none'}")
        return str(self.assignment[0])

    def destination(self) -> Path:
        return Path(self.to or self.default_name)

    def grade_table(self, gradebook) -> pd.DataFrame:
        """One row per roster or gradebook student: student_id, status, score, max_score.

        ``status`` is "final", "missing", "not_in_roster" or a key of :data:`NOT_FINAL`.
        """
        if not self.roster:
            raise ExportBlocked("a platform export needs the roster (--roster FILE)")
        roster = _roster.load_roster(Path(self.roster))
        assignment = self._assignment_name()
        try:
            max_score = float(gradebook.find_assignment(assignment).max_score)
        except MissingEntry:
            raise ExportBlocked(f"assignment {assignment!r} is not in the gradebook") from None
        outcomes = Path(self.outcomes) if self.outcomes else Path(
            "reports", assignment, "student_outcomes.csv")
        statuses = read_statuses(outcomes)
        wanted = [str(s) for s in self.student]
        ids = list(roster["student_id"])
        ids += sorted({s.student.id for s in gradebook.assignment_submissions(assignment)} - set(ids))
        rows = []
        for sid in ids:
            if wanted and sid not in wanted:
                continue
            row = {"student_id": sid, "score": float("nan"), "max_score": max_score}
            try:
                sub = gradebook.find_submission(assignment, sid)
            except MissingEntry:
                sub = None
            status = statuses.get(sid, "")
            if sid not in set(roster["student_id"]):
                row["status"] = "not_in_roster"
            elif status in ("failed", "needs_review"):
                row["status"] = status
            elif sub is None:
                row["status"] = "missing"
            elif any(awaiting_manual_grade(g) for nb in sub.notebooks for g in nb.grades):
                row["status"] = "pending_manual"
            else:
                row["status"] = "final"
            if sub is not None and row["status"] == "final":
                row["score"] = max(0.0, float(sub.score) - float(sub.late_submission_penalty or 0))
            rows.append(row)
        return pd.DataFrame(rows, columns=["student_id", "status", "score", "max_score"])

    def decide(self, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(rows to write with a ``grade`` text column, rows held back); raises ExportBlocked.

        Raises
        ------
        ExportBlocked
            Students not in the roster (always); missing submissions unless ``missing`` is blank
            or zero; grades that are not final unless ``final_only``.
        """
        problems, brief, options = [], [], []
        stray = table[table["status"] == "not_in_roster"]["student_id"].tolist()
        if stray:
            problems.append(f"graded but not in the roster: {', '.join(stray)} (add them to the "
                            "roster; a platform cannot take a grade for an unknown student)")
            brief.append(f"{len(stray)} not in the roster")
        missing = table[table["status"] == "missing"]["student_id"].tolist()
        if missing and self.missing == "refuse":
            problems.append(f"no submission from: {', '.join(missing)} (say what they get: "
                            "--missing blank or --missing zero)")
            brief.append(f"{len(missing)} without a submission")
            options.append("--missing blank|zero")
        held = table[table["status"].isin(list(NOT_FINAL))]
        if len(held) and not self.final_only:
            for status, group in held.groupby("status"):
                problems.append(f"{NOT_FINAL[status]}: {', '.join(group['student_id'])}")
                brief.append(f"{len(group)} {BRIEF[status]}")
            problems.append("nothing was written; finish those grades, or export only the final "
                            "grades with --final-only")
            options.append("--final-only")
        if problems:
            raise ExportBlocked("; ".join(problems), brief, options)
        out = table[table["status"].isin(["final", "missing"])].copy()
        out["grade"] = [format_grade(s) if st == "final" else ("0" if self.missing == "zero"
                                                                else "")
                        for s, st in zip(out["score"], out["status"])]
        return out.reset_index(drop=True), held.reset_index(drop=True)

    def export(self, gradebook) -> None:
        """Write the platform file to ``to``, check it, and list held rows in ``<to>.held.csv``.

        Raises
        ------
        ExportBlocked
            See :meth:`decide`; also a roster without the platform identity for an exported row.
        ExportCheckFailed
            If the written file breaks the importer's rules (it is then removed).
        """
        table = self.grade_table(gradebook)
        rows, held = self.decide(table)
        roster = _roster.load_roster(Path(self.roster))
        rows = rows.merge(roster, on="student_id", how="left")
        lacking = rows[(rows[list(self.identity_columns)] == "").all(axis=1)]["student_id"].tolist()
        if lacking:
            raise ExportBlocked(f"roster has no {' or '.join(self.identity_columns)} for: "
                                f"{', '.join(lacking)}")
        dest = self.destination()
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.write(rows, dest)
        problems = self.check(dest)
        if problems:
            os.remove(dest)
            raise ExportCheckFailed(f"{dest} breaks the importer's rules, not written: "
                                    + "; ".join(problems))
        held_path = dest.with_name(dest.stem + ".held.csv")
        if len(held):
            held.assign(reason=held["status"].map(NOT_FINAL))[
                ["student_id", "status", "reason"]].to_csv(held_path, index=False)
            self.log.warning("held back (not final): %s; listed in %s",
                             ", ".join(held["student_id"]), held_path)
        elif held_path.exists():
            held_path.unlink()
        self.log.info("wrote %s (%d students)", dest, len(rows))

    # -- per platform ---------------------------------------------------------------------------
    def write(self, rows: pd.DataFrame, dest: Path) -> None:  # pragma: no cover - abstract
        """Write ``rows`` (roster columns + ``grade`` text, ``max_score``) to ``dest``."""
        raise NotImplementedError

    def check(self, path: Path) -> list[str]:  # pragma: no cover - abstract
        """The importer's acceptance rules applied to the written file: a list of problems."""
        raise NotImplementedError
