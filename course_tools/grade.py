"""Grade one assignment for a whole class, in one command, whatever the submissions look like.

    python -m course_tools.grade ps1                      # grade assignments/submitted/*/ps1
    python -m course_tools.grade ps1 --submissions DIR    # first copy DIR/<student>/ps1/ in
    python -m course_tools.grade ps1 --downloads DIR      # first zip_collect DIR/<student>_*.ipynb
    python -m course_tools.grade ps1 --jobs 2 --cell-timeout 60 --memory-mb 2048
    python -m course_tools.grade ps1 --platform canvas --roster roster.csv --downloads DIR \\
        --duedate "2026-12-01 12:00:00" --platform-column "PS1 (1234)"   # and canvas_grades.csv

The pipeline drives nbgrader's own CLI and gradebook API; it re-implements no grading:

1. *collect*: optionally copy a folder in nbgrader's ``submitted/<student>/<assignment>/`` layout
   into the course, or collect a flat folder of downloaded files with ``nbgrader zip_collect``;
2. *release*: if the assignment is not in the gradebook or has no release folder, release it with
   ``course_tools.release`` (marker and test-cell lint, ``nbgrader generate_assignment``, secret scan);
   an existing release is checked again (markers or jupytext metadata in any file, secret lines)
   and removed if refused;
3. *pre-flight*: ``course_tools.preflight`` stages a repaired copy of each submission in
   ``<course>/preflight/`` (renamed notebook, malformed JSON, kernel, duplicated, deleted, retyped or
   edited cells); the student's original is never modified;
4. *autograde*: what ``nbgrader autograde ASSIGNMENT --student S --force`` runs, on the staged copy,
   ``--jobs`` students at a time, each with a wall-clock limit. Each job is a long-lived nbgrader
   process (``course_tools.autograde.worker``, nbgrader's ``NbGraderAPI.autograde``) that grades one
   student after another, so nbgrader starts once per job rather than once per student; a student
   who runs over the limit gets the job's process killed and a fresh one started. The kernel runs in
   ``course_tools.sandbox.launcher`` (own folder; as root, a user id of its own per student and a
   PID and network namespace of its own, course hidden; memory and CPU limits). Canary cells
   (``course_tools.preprocessors.tamper``) detect student code that changed how the tests ran. A previous autograded notebook is kept aside and put back if the new run fails, so a
   grade is never replaced by an empty result;
5. *feedback*: ``nbgrader generate_feedback`` (hidden tests redacted, see ``course_tools.preprocessors.redact``),
   run by the same job for each student right after autograding; any student left without feedback
   gets ``nbgrader generate_feedback`` afterwards;
6. *export*: nbgrader's CSV exporter (``CsvExportPlugin``, as ``nbgrader export``), read back with
   pandas;
7. *summary*: per-question scores from the gradebook API, summarised with pandas;
8. *report*: ``report.md`` and ``student_outcomes.csv`` name every problem found for each student
   (pre-flight repairs, time-outs, a dead kernel, memory errors, truncated output, failures,
   downloaded files left out, suspected tampering: such a result "needs review", with no score in
   grades.csv); the downloaded files held back or skipped at intake are also named in the
   terminal summary (counted, over ten);
9. *reconciliation*: submissions found = graded + reported failures, and every graded student has
   scores in the gradebook; if not, the command exits with status 1.

With ``--roster`` and ``--platform`` (issue 16) the roster is loaded into nbgrader's student table,
``--downloads`` reads that platform's bulk download (``course_tools.intake.platform``), the
platform's grade file is written with nbgrader export plugins (``course_tools.plugins.export``)
and checked against its importer's rules, and the report adds the roster reconciliation and an
item analysis (``course_tools.report.item_analysis``). A download that matches nobody or a
corrupted archive is a reconciliation problem (status 1). Every run first removes the platform
files of an earlier run from the report folder (``plugins.export.platforms.EXPORT_OUTPUTS``).

Outputs go to ``<course>/reports/<assignment>/``. Exit status: 0 when every submission was graded or
reported, 1 on a reconciliation mismatch, 2 when there was nothing to grade, the release was refused
or nbgrader itself failed.

Limits of the isolation are described in ``course_tools.sandbox.launcher`` and the README.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course_tools.autograde.grader import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from course_tools.pipeline import DEFAULT_COURSE, run_pipeline
from course_tools.plugins.export.platforms import terminal_line


def _utf8_output() -> None:
    """Write UTF-8 to standard output and error whatever the locale (``LC_ALL=C``,
    ``PYTHONIOENCODING=ascii`` in cron), so that a student id such as ``Zoë`` cannot crash the
    summary after grading."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
        except (AttributeError, ValueError):
            pass


#: Most files not collected that the terminal summary lists one by one; more are only counted.
MAX_LISTED = 10


def not_collected_summary(lines: list[str]) -> list[str]:
    """Terminal lines for the downloaded files not collected (``run_pipeline``'s
    ``not_collected``, the texts of report.md): a heading and one line each, or, over
    :data:`MAX_LISTED`, their number and a pointer to report.md; [] when there is none."""
    if not lines:
        return []
    if len(lines) > MAX_LISTED:
        return [f"{len(lines)} downloaded files not collected (held back or skipped): "
                "see report.md"]
    return ["downloaded files not collected (held back or skipped; see report.md):"] + [
        f"  {line}" for line in lines]


def main(argv: list[str] | None = None) -> int:
    """Run the command line (``argv`` as ``sys.argv[1:]``); returns the exit status (see the
    module docstring). Prints one line per student, the downloaded files not collected, the
    platform export (written, or blocked and why) and the report's path; errors of the pipeline (missing folders, a refused release, nbgrader failing)
    are printed to standard error with status 2, never raised."""
    parser = argparse.ArgumentParser(prog="python -m course_tools.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="assignment name, e.g. ps1")
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE,
                        help="nbgrader course root (default: the repository's assignments/)")
    parser.add_argument("--submissions", type=Path, default=None,
                        help="folder in <student>/<assignment>/ layout to copy in first")
    parser.add_argument("--downloads", type=Path, default=None,
                        help="flat folder of downloaded files named <student>_<name>.ipynb (or "
                             "archives of them, extracted within limits), collected with "
                             "nbgrader zip_collect first")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="students graded in parallel (default: number of cores)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="wall-clock and CPU seconds allowed per notebook (default 600)")
    parser.add_argument("--cell-timeout", type=float, default=None,
                        help="seconds per cell (default: c.Execute.timeout in nbgrader_config.py)")
    parser.add_argument("--memory-mb", type=float, default=DEFAULT_MEMORY_MB,
                        help=f"memory (address space) per kernel in MB (default {DEFAULT_MEMORY_MB})")
    parser.add_argument("--hide", type=Path, action="append", default=[],
                        help="a further folder to hide from student kernels (repeatable)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="do not generate feedback (a first pass before hand-marking)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run kernels as nbgrader does by default (no limits, no isolation)")
    platforms = parser.add_argument_group("learning platforms (see the grading guide)")
    platforms.add_argument("--roster", type=Path, default=None,
                           help="roster CSV mapping course ids to platform identities")
    platforms.add_argument("--platform", choices=["canvas", "moodle", "blackboard"], default=None,
                           help="write this platform's grade-import file; --downloads are "
                                "read in the platform's naming for canvas and moodle only "
                                "(blackboard is export only)")
    platforms.add_argument("--worksheet", type=Path, default=None,
                           help="Moodle: the assignment's downloaded grading worksheet")
    platforms.add_argument("--worksheet-grade-column", default="Grade",
                           help="Moodle: the worksheet's grade column (localised; default Grade)")
    platforms.add_argument("--moodle-identifier", choices=["username", "email", "idnumber"],
                           default="username", help="Moodle: user identity column to write")
    platforms.add_argument("--duedate", default=None,
                           help="due date (UTC, e.g. '2026-12-01 12:00:00'): written into the "
                                "gradebook; Canvas LATE files get a time just after it")
    platforms.add_argument("--platform-column", default="",
                           help="the platform's column for this assignment, e.g. 'PS1 (1234)' "
                                "(Canvas) or 'PS1 [Total Pts: 15 Score] |664617' (Blackboard)")
    platforms.add_argument("--allow-new-column", action="store_true",
                           help="allow a column the platform will create as a new one")
    platforms.add_argument("--missing", choices=["refuse", "blank", "zero"], default="refuse",
                           help="what a roster student without a submission gets in the platform "
                                "file (default: refuse to write the file)")
    platforms.add_argument("--final-only", action="store_true",
                           help="write the final grades and hold back pending, failed and "
                                "needs-review ones (default: refuse to write the file)")
    args = parser.parse_args(argv)
    _utf8_output()
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        result = run_pipeline(args.assignment, args.course, args.submissions, args.timeout,
                              jobs=args.jobs, cell_timeout=args.cell_timeout,
                              memory_mb=args.memory_mb, sandbox=not args.no_sandbox,
                              hide_paths=args.hide, downloads=args.downloads,
                              feedback=not args.no_feedback, roster=args.roster,
                              platform=args.platform, worksheet=args.worksheet,
                              duedate=args.duedate, platform_column=args.platform_column,
                              missing=args.missing, final_only=args.final_only,
                              allow_new_column=args.allow_new_column,
                              worksheet_grade_column=args.worksheet_grade_column,
                              moodle_identifier=args.moodle_identifier)
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcomes = result["outcomes"]
    if not outcomes:
        print(f"error: no submissions for {args.assignment} under {args.course / 'submitted'}",
              file=sys.stderr)
        return 2
    for o in outcomes:
        print(f"{o.student_id}: {o.status}{' - ' + o.message if o.message else ''}"
              f"{f' ({len(o.problems)} problem(s) noted)' if o.problems else ''}")
    for line in not_collected_summary(result.get("not_collected", [])):
        print(line)
    if result.get("platform"):
        print(terminal_line(*result["platform"]))
    print(f"report: {result['report']}")
    return 0 if result["reconciled"] else 1


if __name__ == "__main__":
    sys.exit(main())
