"""Stage 1, intake: files held back from ``zip_collect``, each named in the report with why.

Two rules, applied to the extracted downloads (``downloaded/<assignment>/archive/``) before
``zip_collect`` runs; a held file is moved to ``downloaded/<assignment>/held/`` (nothing is deleted).

**Same notebook twice.** nbgrader's ``zip_collect`` stops the whole run ("Duplicate submission file. No timestamps for
comparison", ``ZipCollectApp._collect_files`` in nbgrader 0.9.6) when two collected files give the
same student and the same file name and the collector gave no timestamp for one of them: one
student's two archives that both hold ``ps1.ipynb`` would stop the collection of the whole class.
:func:`hold_duplicates` runs the same collector plugin over the extracted files first:

* byte-identical copies are collected once (the others are moved aside and named in the report);
* different files of the same name are all moved aside to ``held/`` and named in the report, so
  that neither is graded by guesswork: the student's submission then lacks that notebook (pre-flight
  reports it missing) and the instructor decides which file counts.

When every copy has a timestamp, nbgrader keeps the newest itself and nothing is moved.

**Another student's name inside a student's upload.** A platform names each uploaded file after
its student (Canvas: ``<name>_<user id>_<attachment id>_<file>``). When the instructor has
unpacked the platform's archive, a student's own uploaded archive lies in the downloads folder and
is extracted; a file inside it named like a classmate's download would be collected as the
classmate's (:func:`hold_foreign`). (Left packed, the platform's archive is safe: an archive inside
an archive is never extracted.)
"""

from __future__ import annotations

import filecmp
import os
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Callable

from course_tools.intake.archives import Skipped


def _where(path: Path, archive: Path) -> tuple[str, str]:
    """(download, entry) naming ``path``: the archive it came from (``X.zip.d/...`` -> X.zip)."""
    parts = path.relative_to(archive).parts
    if len(parts) > 1 and parts[0].endswith(".d"):
        return parts[0][:-2], "/".join(parts[1:])
    return "downloads", "/".join(parts)


def hold_duplicates(archive: Path, held: Path,
                    collect: Callable[[str], dict | None]) -> list[Skipped]:
    """Move aside the files under ``archive`` that ``zip_collect`` would refuse as duplicates.

    ``collect`` is the collector plugin's ``collect`` method (a path as ``str`` -> a dict with
    ``student_id``, ``file_id`` and optionally ``timestamp``, or None to skip the file). Files are
    taken in sorted path order; the collected name is ``file_id`` with the file's own extension, as
    ``zip_collect`` forms it. Moved files keep their path relative to ``archive`` under ``held``.
    Returns one :class:`~course_tools.intake.archives.Skipped` per file moved, with the reason;
    empty when there is no duplicate. Errors of the file system (``OSError``) propagate.
    """
    archive, held = Path(archive), Path(held)
    groups: dict[tuple[str, str], list[tuple[Path, object]]] = defaultdict(list)
    for path in sorted(p for p in archive.rglob("*") if p.is_file() and not p.is_symlink()):
        info = collect(str(path))
        if not info or not isinstance(info.get("student_id"), str) \
                or not isinstance(info.get("file_id"), str):
            continue  # zip_collect skips (or refuses) it itself
        name = os.path.splitext(info["file_id"])[0] + path.suffix
        groups[(info["student_id"], name)].append((path, info.get("timestamp")))
    skipped: list[Skipped] = []

    def move(path: Path, reason: str) -> None:
        target = held / path.relative_to(archive)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
        skipped.append(Skipped(*_where(path, archive), reason))

    for (student, name), files in sorted(groups.items()):
        if len(files) < 2 or all(stamp for _, stamp in files):
            continue
        paths = [p for p, _ in files]
        shown = ", ".join("/".join(_where(p, archive)) for p in paths)
        if all(filecmp.cmp(paths[0], p, shallow=False) for p in paths[1:]):
            for path in paths[1:]:
                move(path, f"an identical copy of {'/'.join(_where(paths[0], archive))}, "
                           f"{student}'s {name}: collected once")
        else:
            for path in paths:
                move(path, f"{len(paths)} different files would be {student}'s {name} ({shown}): "
                           "none was collected; decide which one counts and collect it by hand")
    return skipped


def hold_foreign(archive: Path, held: Path, owner_of: Callable[[str], str | None],
                 marked: Callable[[str], bool] | None = None) -> list[Skipped]:
    """Move aside files inside a student's uploaded archive that name another student.

    ``owner_of`` maps a path (relative to ``archive``, ``/``-separated) to the student it names, or
    None. An extracted archive is the folder ``<archive name>.d``; when ``owner_of(<archive
    name>)`` names a student, every file under the folder that names *another* student, or for
    which ``marked`` is true (a mark only the platform sets, such as Canvas's LATE), is moved to
    ``held`` (same relative path). Returns one :class:`Skipped` per file moved.
    """
    archive, held = Path(archive), Path(held)
    skipped: list[Skipped] = []
    for folder in sorted(p for p in archive.rglob("*.d") if p.is_dir()):
        uploader = owner_of(folder.relative_to(archive).as_posix()[:-2])
        if uploader is None:
            continue  # the instructor's archive of the whole class
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(archive).as_posix()
            named = owner_of(rel)
            if named is not None and named != uploader:
                why = f"inside {uploader}'s upload but named as {named}'s file: not collected"
            elif marked is not None and marked(rel):
                why = (f"inside {uploader}'s upload but carries a mark only the platform sets "
                       "(LATE): not collected")
            else:
                continue
            target = held / path.relative_to(archive)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), str(target))
            skipped.append(Skipped(*_where(path, archive), why))
    return skipped
