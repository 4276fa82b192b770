"""Stage 1, intake from a learning platform: a flat folder of downloaded files or archives.

:func:`collect_downloads` files ``<student>_<anything>.ipynb`` (or archives of such files) into
``<course>/submitted/`` with nbgrader's own ``zip_collect``, after ``intake.archives`` has copied the
files and extracted the archives within limits; a renamed notebook is sorted out later by
pre-flight (``course_tools.preflight``). When the course's ``nbgrader_config.py`` sets
``c.FileNameCollectorPlugin.named_regexp``, that expression is used, as plain ``nbgrader
zip_collect`` would (issue 16); the platforms' own naming is read by ``intake.platform``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin

from course_tools.intake import archives as _archives
from course_tools.intake.held import hold_duplicates
from course_tools.intake.platform import course_named_regexp
from course_tools.nbgrader_tools import _errors, _nbgrader

#: How ``--downloads`` file names are read: ``<student id>_<anything>`` (the student id may not
#: contain ``_`` or ``/``), matched against the file's path inside the extracted downloads, as
#: nbgrader's FileNameCollectorPlugin does.
DOWNLOADS_REGEXP = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+)$"


def collect_downloads(downloads: Path, course: Path, assignment: str,
                      regexp: str | None = None) -> list[_archives.Skipped]:
    """Collect a flat folder of downloaded files (LMS style) with ``nbgrader zip_collect``.

    Every file in ``downloads`` (notebooks named ``<student>_<name>.ipynb``, or .zip/.tar.gz
    archives holding such notebooks) is copied, and every archive extracted, to
    ``course/downloaded/<assignment>/archive/`` by ``course_tools.intake.archives``: streamed, with
    the limits (50 MB per file, 200 MB per student, a compression ratio of at most 100:1) checked
    before anything is written; inside a student's own archive (``<student>_<anything>.zip``)
    every entry is that student's (``intake.archives.extract_archive``). nbgrader's
    ``zip_collect`` then files each notebook under ``course/submitted/<student>/<assignment>/``
    (it finds no archive left to expand). A renamed notebook is sorted out later by the
    pre-flight step; two files that would be the same notebook of one student are moved aside
    first (``intake.held``: nbgrader would stop the whole collection). File names are read with
    ``regexp`` if given, else the course config's ``FileNameCollectorPlugin.named_regexp`` if it sets one, else
    :data:`DOWNLOADS_REGEXP`. Returns every file or archive entry left out, with the reason (for
    the report).

    Raises
    ------
    FileNotFoundError
        If ``downloads`` is not a folder.
    RuntimeError
        If ``nbgrader zip_collect`` fails.
    """
    downloads = Path(downloads)
    if not downloads.is_dir():
        raise FileNotFoundError(f"downloads folder not found: {downloads}")
    archive = course / "downloaded" / assignment / "archive"
    shutil.rmtree(course / "downloaded" / assignment, ignore_errors=True)
    archive.mkdir(parents=True)
    skipped: list[_archives.Skipped] = []
    used: dict[str, int] = {}
    for path in sorted(downloads.iterdir()):
        try:  # one download that cannot be written (a name clash...) never stops the others
            if _archives.is_archive(path) and path.is_file() and not path.is_symlink():
                skipped += _archives.extract_archive(path, archive / f"{path.name}.d", used,
                                                   owned=True)
            else:
                left = _archives.copy_download(path, archive, used)
                if left is not None:
                    skipped.append(left)
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            skipped.append(_archives.Skipped(path.name, "*", f"could not be copied ({why})"))
    if not any(p.is_file() for p in archive.rglob("*")):
        return skipped  # nothing to collect (zip_collect would fail on an empty folder)
    args = ["zip_collect", assignment, "--force"]
    course_regexp = course_named_regexp(course)
    if regexp is None and not course_regexp:
        regexp = DOWNLOADS_REGEXP
    if regexp is not None:
        args.append(f"--FileNameCollectorPlugin.named_regexp={regexp}")
    collector = FileNameCollectorPlugin(named_regexp=regexp if regexp is not None else course_regexp)
    skipped += hold_duplicates(archive, archive.parent / "held", collector.collect)
    proc = _nbgrader(args, course)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader zip_collect failed: {_errors(proc)}")
    return skipped
