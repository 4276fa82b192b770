"""``--downloads`` from a learning platform, through ``nbgrader zip_collect`` and our collectors.

:func:`collect_platform_downloads` copies the downloaded files and archives into nbgrader's
``downloaded/<assignment>/archive/``, refuses nothing silently (a corrupted archive and every file
that matches no student are listed by name) and runs ``nbgrader zip_collect`` with
:class:`course_tools.intake.canvas.CanvasCollectorPlugin` or
:class:`course_tools.intake.moodle.MoodleCollectorPlugin`. (Blackboard's submission downloads are
not read: unverified naming.)

:func:`course_named_regexp` reads ``FileNameCollectorPlugin.named_regexp`` from the course's own
``nbgrader_config.py``, so that a plain ``--downloads`` collects as ``nbgrader zip_collect`` would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from course_tools import roster as _roster
from course_tools.intake import archives as _archives
from course_tools.intake import canvas as _canvas
from course_tools.intake import moodle as _moodle
from course_tools.intake.held import hold_duplicates, hold_foreign

PLATFORMS = ("canvas", "moodle")
_SYSTEM = ("__MACOSX", ".DS_Store", "Thumbs.db")


def course_named_regexp(course: Path) -> str:
    """``c.FileNameCollectorPlugin.named_regexp`` of the course config ("" when not set)."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    if "FileNameCollectorPlugin" in config and "named_regexp" in config.FileNameCollectorPlugin:
        return str(config.FileNameCollectorPlugin.named_regexp)
    return ""


def _members(path: Path) -> list[str] | None:
    """Names inside an archive (None: not an archive); raises ValueError for a corrupted one."""
    name = path.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                # Names only: testzip() would expand every member before any limit applies
                # (a 564-byte zip took 2 s in a trial); damaged members are reported on extraction.
                return [m for m in archive.namelist() if not m.endswith("/")]
        if name.endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(path) as archive:
                return [m.name for m in archive.getmembers() if m.isfile()]
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"corrupted archive {path.name}: {exc}") from exc
    return None


def collect_platform_downloads(downloads: Path, course: Path, assignment: str, platform: str,
                               roster: Path, worksheet: Path | None = None,
                               duedate: str | None = None, grade_column: str = "Grade",
                               run=None) -> dict:
    """Collect a platform's bulk download into ``course/submitted/``.

    Parameters
    ----------
    downloads : folder holding the platform's archive(s) and/or extracted files.
    platform : "canvas" or "moodle".
    roster : roster CSV (see :mod:`course_tools.roster`).
    worksheet : Moodle only: the assignment's grading worksheet (participant ids).
    duedate : the assignment's due date (UTC text); needed when a Canvas file is marked late.
    run : function(args, course) -> CompletedProcess running nbgrader (default: a subprocess).

    Returns
    -------
    dict with ``students`` (course ids collected), ``unmatched`` (file names matching nobody,
    and non-notebook files), ``problems`` (corrupted archives, worksheet problems).

    Raises
    ------
    FileNotFoundError
        If ``downloads`` is not a folder, or the roster or worksheet is missing.
    ValueError
        Unknown platform; Moodle without a worksheet; a LATE file without a due date; a bad roster.
    RuntimeError
        If ``nbgrader zip_collect`` fails.
    """
    downloads, course = Path(downloads), Path(course)
    if platform not in PLATFORMS:
        raise ValueError(f"--downloads cannot read {platform!r} downloads (canvas or moodle)")
    if not downloads.is_dir():
        raise FileNotFoundError(f"downloads folder not found: {downloads}")
    table = _roster.load_roster(roster)
    notebooks = sorted(p.name for p in (course / "release" / assignment).glob("*.ipynb"))
    problems, names, files = [], [], []
    uploaded: set[str] = set()  # names inside a student's own upload: named by the student
    for path in sorted(p for p in downloads.rglob("*") if p.is_file()):
        if path.name in _SYSTEM:
            continue
        try:
            members = _members(path)
        except ValueError as exc:
            problems.append(f"{exc}; its submissions were not read")
            continue
        files.append(path)
        names += members if members is not None else [str(path.relative_to(downloads))]
        if members is not None and platform == "canvas" and _canvas.parse_name(path.name):
            uploaded.update(members)
    names = [n for n in names if not any(part in _SYSTEM for part in Path(n).parts)]
    if platform == "canvas":
        ids = {u: s for u, s in zip(table["canvas_user_id"], table["student_id"]) if u}
        parsed = {n: _canvas.parse_name(n, notebooks) for n in names}
        owner = {n: ids.get(p["user_id"]) if p else None for n, p in parsed.items()}
        # Only the platform's own names count: a LATE mark inside a student's upload is held.
        late = [n for n, p in parsed.items() if p and p["late"] and owner[n] and n not in uploaded]
        if late and not duedate:
            raise ValueError(f"{len(late)} file(s) are marked LATE ({', '.join(late[:3])}) but "
                             "the assignment has no due date: set one (--duedate, or nbgrader db "
                             "assignment add ... --duedate) so that the late policy can apply")
        plugin = "course_tools.intake.canvas.CanvasCollectorPlugin"
        options = [f"--CanvasCollectorPlugin.roster={Path(roster).resolve()}",
                   f"--CanvasCollectorPlugin.duedate={duedate or ''}",
                   f"--CanvasCollectorPlugin.notebooks={','.join(notebooks)}"]
    else:
        if worksheet is None:
            raise ValueError("Moodle downloads name students by participant id: pass the "
                             "assignment's grading worksheet (--worksheet FILE)")
        if not Path(worksheet).is_file():
            raise FileNotFoundError(f"grading worksheet not found: {worksheet}")
        sheet, roles = _moodle.read_worksheet(worksheet, grade_column)
        ids, sheet_problems = _moodle.participants(sheet, roles, table)
        problems += sheet_problems
        parsed = {n: _moodle.parse_name(n) for n in names}
        owner = {n: ids.get(p[0]) if p else None for n, p in parsed.items()}
        plugin = "course_tools.intake.moodle.MoodleCollectorPlugin"
        options = [f"--MoodleCollectorPlugin.roster={Path(roster).resolve()}",
                   f"--MoodleCollectorPlugin.worksheet={Path(worksheet).resolve()}",
                   f"--MoodleCollectorPlugin.grade_column={grade_column}"]
    unmatched = sorted(n for n in names if owner[n] is None)
    unmatched += sorted(f"{n} (not a notebook: not collected)" for n in names
                        if owner[n] is not None and not n.endswith(".ipynb"))
    archive = course / "downloaded" / assignment / "archive"
    shutil.rmtree(course / "downloaded" / assignment, ignore_errors=True)
    archive.mkdir(parents=True)
    used: dict[str, int] = {}
    for path in files:  # within intake.archives' limits (issue 14): streamed, checked before writing
        rel = path.relative_to(downloads)
        try:  # one download that cannot be written never stops the others
            if _archives.is_archive(path) and not path.is_symlink():
                left = _archives.extract_archive(path, archive / f"{rel}.d", used)
            else:
                (archive / rel).parent.mkdir(parents=True, exist_ok=True)
                one = _archives.copy_download(path, (archive / rel).parent, used)
                left = [one] if one is not None else []
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            left = [_archives.Skipped(str(rel), "*", f"could not be copied ({why})")]
        problems += [str(s) for s in left]
    # A student's upload may not hold files named as a classmate's, and two files of one student
    # with the same notebook name would stop zip_collect for everyone: both are moved aside and
    # reported first, judged by the same names the collector reads (intake.held).
    if platform == "canvas":
        def owner_of(path: str):
            parsed = _canvas.parse_name(path, notebooks)
            return ids.get(parsed["user_id"]) if parsed else None
    else:
        def owner_of(path: str):
            parsed = _moodle.parse_name(path)
            return ids.get(parsed[0]) if parsed else None
    marked = ((lambda path: bool((_canvas.parse_name(path, notebooks) or {}).get("late")))
              if platform == "canvas" else None)
    problems += [str(s) for s in hold_foreign(archive, archive.parent / "held", owner_of, marked)]
    traits = dict(option[2:].split("=", 1) for option in options)
    collector = (_canvas.CanvasCollectorPlugin if platform == "canvas" else
                 _moodle.MoodleCollectorPlugin)(**{k.split(".", 1)[1]: v for k, v in traits.items()})
    problems += [str(s) for s in hold_duplicates(archive, archive.parent / "held", collector.collect)]
    args = ["zip_collect", assignment, "--force", f"--ZipCollectApp.collector_plugin={plugin}",
            *options]
    proc = (run or _run)(args, course)
    if proc.returncode != 0:
        tail = [ln for ln in (proc.stderr or "").splitlines() if "rror" in ln][-3:]
        raise RuntimeError(f"nbgrader zip_collect failed: {' | '.join(tail) or proc.stderr[-300:]}")
    students = sorted({owner[n] for n in names if owner[n] and n.endswith(".ipynb")
                       and (course / "submitted" / owner[n] / assignment).is_dir()})
    return {"students": students, "unmatched": unmatched, "problems": problems}


def _run(args: list[str], course: Path):
    exe = Path(sys.executable).parent / "nbgrader"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run(cmd + args, cwd=course, capture_output=True, text=True, env=env)
