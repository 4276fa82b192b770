"""The whole path of one assignment's submissions, stage after stage: :func:`run_pipeline`.

intake (``intake.folders``/``intake.downloads``) -> release if needed (``release``) -> pre-flight,
sandbox and autograde (``autograde.grader``) -> feedback (``feedback``) -> export (``export``) ->
report (``report.scores``, ``report.markdown``, ``report.reconcile``). The command line on top is
``course_tools.grade``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from course_tools.autograde.grader import (DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, GRADED,
                                          StudentOutcome, autograde)
from course_tools.export import export_grades, mark_failures
from course_tools.feedback import generate_feedback
from course_tools.intake.archives import Skipped, student_of
from course_tools.intake.downloads import collect_downloads
from course_tools.intake.folders import collect, find_submissions
from course_tools.intake.platform import collect_platform_downloads
from course_tools.nbgrader_tools import _db_url, _nbgrader, _tools_on_path
from course_tools.plugins.export.platforms import (PLUGINS, export_to_platform, markdown_lines,
                                                   remove_previous_exports)
from course_tools.report.item_analysis import write_item_analysis
from course_tools.report.markdown import not_collected_text, write_report
from course_tools.report.reconcile import reconcile
from course_tools.report.scores import question_scores, summarise
from course_tools.roster import load_into_gradebook, load_roster, reconcile_roster


DEFAULT_COURSE = Path(__file__).resolve().parent.parent / "assignments"


def ensure_released(course: Path, assignment: str) -> None:
    """Release the assignment (``course_tools.release``) unless gradebook and release folder exist;
    an existing release is checked again (``release.check_release``) and removed if refused.

    Raises
    ------
    RuntimeError
        If the release is refused (lint problem, secret in the release) or nbgrader fails.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from course_tools.release import check_release, release

    if any((course / "release" / assignment).glob("*.ipynb")):
        with Gradebook(_db_url(course)) as gb:
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                pass
            else:
                check_release(course, assignment)  # again: files may have changed since
                return
    release(course, assignment, run=_nbgrader)


def protect_course(course: Path) -> None:
    """Make the course root readable by its owner only (the kernels run as another user)."""
    try:
        os.chmod(course, 0o700)
    except OSError:
        pass


def _gradebook_duedate(course: Path, assignment: str) -> str | None:
    """The assignment's due date in the gradebook (None when there is no gradebook or date)."""
    from nbgrader.api import Gradebook, MissingEntry

    if not (course / "gradebook.db").exists():
        return None
    with Gradebook(_db_url(course)) as gb:
        try:
            due = gb.find_assignment(assignment).duedate
        except MissingEntry:
            return None
    return str(due) if due else None


def _set_gradebook(course: Path, assignment: str, duedate: str | None, table, platform) -> None:
    """Write the due date and the roster (names, e-mail, lms_user_id) into the gradebook."""
    from nbgrader.api import Gradebook

    if duedate:
        with Gradebook(_db_url(course)) as gb:
            gb.update_or_create_assignment(assignment, duedate=duedate)
    if table is not None:
        load_into_gradebook(table, _db_url(course), platform)


def forget_stale_timestamps(course: Path, assignment: str, students: list[str]) -> list[str]:
    """Clear the gradebook's submission time of each student whose ``submitted/<student>/
    <assignment>/`` has no ``timestamp.txt`` (or an empty one); returns those students, sorted.

    nbgrader's autograde (``nbgrader/converters/autograde.py``, 0.9.6) writes a submission's time
    only when the folder has a timestamp file and otherwise keeps the gradebook's old one. A time
    from an earlier round (say a Canvas file marked LATE, downloaded again after an extension, or
    a Moodle download that carries no time) would then still make the student late, and with a
    late penalty silently lower the grade. Students without a gradebook submission are skipped.
    """
    from nbgrader.api import Gradebook, MissingEntry

    cleared = []
    with Gradebook(_db_url(course)) as gb:
        for student in students:
            stamp = course / "submitted" / student / assignment / "timestamp.txt"
            try:
                has_time = stamp.is_file() and bool(stamp.read_text(errors="replace").strip())
            except OSError:
                has_time = False
            if has_time:
                continue
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            if submission.timestamp is not None:
                submission.timestamp = None
                cleared.append(student)
        gb.db.commit()
    return sorted(cleared)


def unsafe_student_id(student: str) -> str | None:
    """Why ``student`` cannot be graded and exported safely, or None.

    nbgrader's CSV export writes ids unquoted, so a comma, quote or line break breaks the grade
    file (a comma in an id made the report step fail after grading, in a hostile-student trial),
    and a spreadsheet reads a leading ``=``, ``+``, ``-`` or ``@`` as a formula (CSV injection).
    """
    if any(c in student for c in ',";') or any(ord(c) < 32 or ord(c) == 127 for c in student):
        return "holds a comma, quote, semicolon or control character, which grade files cannot hold"
    if student[:1] in ("=", "+", "-", "@"):
        return "starts with =, +, - or @, which spreadsheets read as a formula"
    return None


def run_pipeline(assignment: str, course: Path = DEFAULT_COURSE, submissions: Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT, jobs: int | None = None,
                 cell_timeout: float | None = None, memory_mb: float | None = DEFAULT_MEMORY_MB,
                 sandbox: bool = True, progress=None, hide_paths: list[Path] | None = None,
                 downloads: Path | None = None, feedback: bool = True,
                 roster: Path | None = None, platform: str | None = None,
                 worksheet: Path | None = None, duedate: str | None = None,
                 platform_column: str = "", missing: str = "refuse", final_only: bool = False,
                 allow_new_column: bool = False, worksheet_grade_column: str = "Grade",
                 moodle_identifier: str = "username") -> dict:
    """Run the whole pipeline; returns a dict with outcomes, grades, scores, summary and paths,
    ``not_collected``: one text per downloaded file or archive entry held back or skipped at
    intake (and each platform-intake problem), as report.md gives it, and ``platform``:
    (platform, :func:`export_to_platform`'s result) when a platform file was asked for, else None.

    Parameters
    ----------
    assignment : assignment name (a folder of ``course/source/``).
    course : nbgrader course root.
    submissions : optional folder in ``<student>/<assignment>/`` layout, copied in first.
    downloads : optional flat folder of downloaded files (``<student>_<name>.ipynb`` or archives),
        collected with ``nbgrader zip_collect`` first (see :func:`collect_downloads`).
    timeout : wall-clock seconds per notebook (the student's nbgrader process gets this times the
        number of notebooks, plus 60 s); also the CPU-second limit of each kernel.
    jobs : students graded at the same time (default: number of cores).
    cell_timeout : per-cell limit in seconds (default: ``c.Execute.timeout`` of the course config).
    memory_mb : address-space limit of each kernel in MB (None: no limit).
    sandbox : run kernels through ``course_tools.sandbox.launcher`` (False: nbgrader's plain kernel).
    hide_paths : further folders to hide from student kernels (the course root, the submissions
        folder and the git folders of the course's and this package's repositories always are).
    feedback : generate each graded student's feedback (default). False skips it, for a first
        pass before hand-marking, whose feedback would show the written answers as 0; feedback
        already generated is left as it is.
    roster : roster CSV (``course_tools.roster``): validated, loaded into nbgrader's student table,
        reconciled against submissions and grades (``roster_reconciliation.csv``).
    platform : "canvas", "moodle" or "blackboard": ``downloads`` is that platform's bulk download
        (canvas, moodle; ``intake.platform``) and, with a roster, the platform's grade file is
        written (``plugins.export.platforms``) with ``platform_column``, ``missing``,
        ``final_only``, ``allow_new_column`` (and, for Moodle, ``worksheet``,
        ``worksheet_grade_column``, ``moodle_identifier``).
    duedate : the assignment's due date (UTC), written into the gradebook; late Canvas files get
        a timestamp just after it.

    Raises
    ------
    FileNotFoundError
        If the course root has no nbgrader_config.py or the submissions folder is missing.
    ValueError
        A bad roster (``RosterError``), an unknown platform, a platform option without a roster,
        Moodle downloads without a worksheet, LATE files without a due date.
    RuntimeError
        If the release is refused or nbgrader cannot put the assignment in the gradebook or export.
    """
    _tools_on_path()
    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").exists():
        raise FileNotFoundError(f"not an nbgrader course root (no nbgrader_config.py): {course}")
    if platform is not None and platform not in PLUGINS:
        raise ValueError(f"unknown platform {platform!r} ({', '.join(PLUGINS)})")
    if platform is not None and roster is None:
        raise ValueError("--platform needs the roster (--roster FILE): it maps course ids to the "
                         "platform's identities")
    table = load_roster(Path(roster)) if roster is not None else None
    # An earlier run's platform files must not stand beside this run's report (stale uploads).
    removed = remove_previous_exports(course / "reports" / assignment)
    if duedate is None and platform == "canvas" and downloads is not None:
        duedate = _gradebook_duedate(course, assignment)
    left_out: list[tuple[str, str]] = []
    not_collected: list[Skipped] = []
    if submissions is not None:
        left_out = collect(Path(submissions), course, assignment)
    intake = {"unmatched": [], "problems": []}
    if downloads is not None and platform in ("canvas", "moodle"):
        intake = collect_platform_downloads(Path(downloads), course, assignment, platform,
                                            Path(roster), worksheet=worksheet, duedate=duedate,
                                            grade_column=worksheet_grade_column, run=_nbgrader)
    elif downloads is not None and platform is not None:
        raise ValueError(f"--downloads cannot read {platform} downloads (canvas or moodle)")
    elif downloads is not None:
        not_collected = collect_downloads(Path(downloads), course, assignment)
    ensure_released(course, assignment)
    _set_gradebook(course, assignment, duedate, table, platform)
    if sandbox and os.geteuid() == 0:
        protect_course(course)
    students = find_submissions(course, assignment)
    forget_stale_timestamps(course, assignment, students)
    hide = [Path(p).resolve() for p in hide_paths or []]
    for folder in (submissions, downloads):
        if folder is not None:
            hide.append(Path(folder).resolve())
    unsafe = {s: why for s in students if (why := unsafe_student_id(s))}
    outcomes = autograde(course, assignment, [s for s in students if s not in unsafe],
                         timeout=timeout, jobs=jobs or os.cpu_count() or 1,
                         cell_timeout=cell_timeout, memory_mb=memory_mb, sandbox=sandbox,
                         hide=hide, progress=progress, feedback=feedback)
    outcomes += [StudentOutcome(s, "failed", f"student id {s!r} not graded: it {why}; rename the "
                                "submission folder or file and grade again") for s, why in unsafe.items()]

    by_id = {o.student_id: o for o in outcomes}
    for student, message in left_out:
        if student in by_id:
            by_id[student].problems.append(f"when collected: {message}")
    for skipped in not_collected:
        if student_of(skipped.entry) in by_id:
            by_id[student_of(skipped.entry)].problems.append(
                f"not collected from the downloads: {skipped}")
    out = course / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    graded_ids = [o.student_id for o in outcomes if o.status in GRADED]
    # Feedback is made by the grading jobs right after each student; whoever is left without it
    # (an error in the feedback step) gets a class run, then one run each.
    no_feedback = [o.student_id for o in outcomes
                   if feedback and o.status in GRADED and not o.feedback]
    if no_feedback:
        for student, problem in generate_feedback(course, assignment, no_feedback).items():
            next(o for o in outcomes if o.student_id == student).problems.append(problem)
    grades_csv = out / "grades.csv"
    export_grades(course, assignment, grades_csv)
    grades = pd.read_csv(grades_csv, dtype={"student_id": str}, keep_default_na=False,
                         na_values=[""])
    grades = mark_failures(grades[grades["assignment"] == assignment], assignment, outcomes)
    grades.to_csv(grades_csv, index=False)  # the report folder is per assignment

    scores = question_scores(course, assignment)
    scores = scores[scores["student_id"].isin(graded_ids)]
    summary = summarise(scores)
    totals = scores.groupby("student_id")[["score", "max_score"]].sum().reset_index()

    issues = reconcile(students, outcomes, scores)
    issues += [f"download not collected: {name}" for name in intake["unmatched"]]
    issues += list(intake["problems"])

    pd.DataFrame([o.as_row() for o in outcomes],
                 columns=["student_id", "status", "message", "problems"]).to_csv(
        out / "student_outcomes.csv", index=False)
    scores.to_csv(out / "question_scores.csv", index=False)
    summary.to_csv(out / "question_summary.csv", index=False)
    sections = []
    if table is not None:
        rows, roster_issues = reconcile_roster(
            table, students, {o.student_id: o.status for o in outcomes},
            dict(zip(grades["student_id"], grades["score"])))
        rows.to_csv(out / "roster_reconciliation.csv", index=False)
        issues += roster_issues
        absent = rows[~rows["submitted"]]["student_id"].tolist()
        sections += ["## Roster, submissions and grades", "",
                     f"Roster: {len(table)} students; submissions: {len(students)}; "
                     f"graded: {len(graded_ids)}. Without a submission: "
                     f"{', '.join(absent) or 'none'} (`roster_reconciliation.csv`).", ""]
    exported = None
    if platform is not None:
        exported = export_to_platform(
            _db_url(course), course, assignment, platform, Path(roster), out,
            out / "student_outcomes.csv", column=platform_column, missing=missing,
            final_only=final_only, allow_new_column=allow_new_column, worksheet=worksheet,
            grade_column=worksheet_grade_column, identifier=moodle_identifier,
            feedback=feedback)
        sections += markdown_lines(platform, exported)
    elif gone := [n for n in removed if not (out / n).exists()]:
        sections += ["## Platform export files", "", "This run wrote no platform export files; "
                     f"those of an earlier run were removed: {', '.join(gone)}.", ""]
    sections += write_item_analysis(out, scores)
    waiting = scores[(scores["kind"] == "manual") & scores["score"].isna()]
    held = downloads is not None and any(
        p.is_file() for p in (course / "downloaded" / assignment / "held").rglob("*"))
    report = write_report(out, assignment, outcomes, totals, summary, issues,
                          pending_manual=(len(waiting), waiting["student_id"].nunique()),
                          feedback=feedback, sections=sections, not_collected=not_collected,
                          held=held)
    # The same texts as report.md, for the command's terminal summary.
    unread = ([not_collected_text(s) for s in not_collected]
              + [f"download not collected: {name}" for name in intake["unmatched"]]
              + list(intake["problems"]))
    return {"outcomes": outcomes, "grades": grades, "scores": scores, "summary": summary,
            "report": report, "reconciled": not issues, "out": out, "not_collected": unread,
            "platform": (platform, exported) if exported is not None else None}
