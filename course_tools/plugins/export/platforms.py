"""The grading pipeline's platform stage: run one platform's exporter and its feedback packaging.

:func:`export_to_platform` is what ``python -m course_tools.grade ... --platform P --roster R``
runs after nbgrader's own CSV export: it never raises for grades that are not ready; it returns
what was written, what was held back and, when the export is blocked, why (for report.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from course_tools.plugins.export.blackboard import BlackboardExportPlugin
from course_tools.plugins.export.canvas import CanvasExportPlugin, feedback_folders
from course_tools.plugins.export.common import ExportBlocked, ExportCheckFailed
from course_tools.plugins.export.moodle import MoodleExportPlugin, feedback_zip

PLUGINS = {"canvas": CanvasExportPlugin, "moodle": MoodleExportPlugin,
           "blackboard": BlackboardExportPlugin}
#: What the platform stage writes in ``reports/<assignment>/``, by name (each starts with its
#: platform's name), and the pipeline's roster reconciliation.
EXPORT_OUTPUTS = tuple(f"{p}_grades{end}" for p in PLUGINS for end in (".csv", ".held.csv")) + (
    "moodle_grades_worksheet.csv", "moodle_feedback.zip", "canvas_feedback",
    "roster_reconciliation.csv")


def remove_previous_exports(out: Path) -> list[str]:
    """Remove the files and folders named in :data:`EXPORT_OUTPUTS` from ``out`` (a report
    folder), so that a new run's report never stands beside an earlier run's grade files; nothing
    else is touched (a link is removed, never followed). Returns the names removed, in order.
    ``OSError`` propagates."""
    removed = []
    for name in EXPORT_OUTPUTS:
        path = Path(out) / name
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            continue
        removed.append(name)
    return removed


def _written(out: Path, platform: str) -> list[str]:
    """The names of :data:`EXPORT_OUTPUTS` of ``platform`` present in ``out`` (a folder ends
    with ``/``)."""
    return [name + ("/" if (Path(out) / name).is_dir() else "") for name in EXPORT_OUTPUTS
            if name.startswith(f"{platform}_") and (Path(out) / name).exists()]


def export_to_platform(db_url: str, course: Path, assignment: str, platform: str, roster: Path,
                       out: Path, outcomes: Path, column: str = "", missing: str = "refuse",
                       final_only: bool = False, allow_new_column: bool = False,
                       worksheet: Path | None = None, grade_column: str = "Grade",
                       identifier: str = "username", feedback: bool = True) -> dict:
    """Write ``out/<platform>_grades.csv`` (and Moodle's filled worksheet) and the feedback
    package (Moodle ``moodle_feedback.zip`` with a worksheet; Canvas ``canvas_feedback/``).

    Returns a dict: ``file`` (Path or None), ``held`` (student ids held back), ``blocked`` (the
    reason no file was written, or ""), ``brief`` and ``options`` (the reasons in a few words and
    the options that would write the final grades anyway, from :class:`ExportBlocked`; empty
    when written), ``feedback`` (Path or None), ``notes`` (list of text), ``written`` (the names
    of this platform's export files now in ``out``).

    Raises
    ------
    ValueError
        Unknown platform.
    ExportCheckFailed
        If a written file breaks the importer's rules (a bug, not a class problem).
    """
    from nbgrader.api import Gradebook

    if platform not in PLUGINS:
        raise ValueError(f"unknown platform {platform!r} ({', '.join(PLUGINS)})")
    dest = Path(out) / f"{platform}_grades.csv"
    traits = dict(to=str(dest), assignment=[assignment], roster=str(roster), column=column,
                  missing=missing, final_only=final_only, allow_new_column=allow_new_column,
                  outcomes=str(outcomes))
    if platform == "moodle":
        traits.update(identifier=identifier, grade_column=grade_column,
                      worksheet=str(worksheet or ""))
    result = {"file": None, "held": [], "blocked": "", "brief": [], "options": [],
              "feedback": None, "notes": [], "written": []}
    for stale in (dest, dest.with_name(dest.stem + ".held.csv"),
                  dest.with_name(dest.stem + "_worksheet.csv")):
        stale.unlink(missing_ok=True)
    try:
        with Gradebook(db_url) as gb:
            PLUGINS[platform](**traits).export(gb)
    except ExportBlocked as exc:
        result.update(blocked=str(exc), brief=exc.brief, options=exc.options)
        return result
    except ExportCheckFailed:
        raise
    result["file"] = dest
    held = dest.with_name(dest.stem + ".held.csv")
    if held.exists():
        result["held"] = pd.read_csv(held, dtype=str)["student_id"].tolist()
    if feedback and platform == "moodle" and worksheet:
        path, left_out = feedback_zip(course, assignment, worksheet, roster,
                                      Path(out) / "moodle_feedback.zip", grade_column)
        result["feedback"], result["notes"] = path, left_out
    elif feedback and platform == "canvas":
        target = Path(out) / "canvas_feedback"
        result["notes"] = feedback_folders(course, assignment, roster, target)
        result["feedback"] = target
    result["written"] = _written(Path(out), platform)
    return result


def markdown_lines(platform: str, result: dict) -> list[str]:
    """report.md lines about the platform export (level-2 heading)."""
    lines = [f"## Grades for {platform.capitalize()}", ""]
    if result["blocked"]:
        lines += [f"**No {platform} file was written:** {result['blocked']}", ""]
    else:
        lines += [f"Written: `{result['file'].name}`, checked against the importer's rules."]
        if result["held"]:
            lines.append(f"Held back (not final, left out of the file): "
                         f"{', '.join(result['held'])}.")
        lines.append("")
    if result["feedback"] is not None:
        lines += [f"Feedback for the platform: `{Path(result['feedback']).name}`.", ""]
    written = result.get("written") or []
    lines += [f"Export files written by this run: {', '.join(f'`{n}`' for n in written) or 'none'}"
              " (those of an earlier run were removed when this run started).", ""]
    for note in result["notes"]:
        lines.append(f"- feedback left out: {note}")
    if result["notes"]:
        lines.append("")
    return lines


def terminal_line(platform: str, result: dict) -> str:
    """One line for the command's terminal summary about the platform export (``result`` as
    :func:`export_to_platform` returns it): what was written, or that the export was blocked,
    why in brief, and the options that would write the final grades anyway."""
    if result["blocked"]:
        line = (f"{platform} export blocked ({', '.join(result.get('brief') or ['see report.md'])})"
                f": no {platform}_grades.csv written, reasons in report.md")
        if result.get("options"):
            line += f"; to write the final grades anyway: {' and '.join(result['options'])}"
        return line
    line = f"{platform}: wrote {Path(result['file']).name}"
    if result["held"]:
        line += f" ({len(result['held'])} held back, not final: {', '.join(result['held'])})"
    return line
