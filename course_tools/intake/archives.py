"""Extract downloaded archives safely: streamed, with limits checked before anything is written.

``nbgrader zip_collect`` extracts each archive whole (in memory, then on disk) before any size limit
applies, and skips entries with ``../``, absolute paths or symbolic links without telling anyone.
:func:`extract_archive` replaces that step for ``--downloads``: it reads the archive's entries one by
one and writes each entry's bytes in chunks, and it skips, *and reports by name with the reason*:

* an entry whose path leaves the folder (``..``) or is absolute;
* a symbolic or hard link, a device, a FIFO (only regular files and folders are extracted);
* an entry larger than :data:`MAX_ENTRY_BYTES` (50 MB, the pipeline's per-file limit of pre-flight),
  judged first by the size the archive declares and then by the bytes actually read, so a forged
  header does not help;
* an entry whose compression ratio exceeds :data:`MAX_RATIO` (100 to 1) once it is over
  :data:`RATIO_FLOOR` (1 MB); a notebook compresses about 3 to 10 to 1, a bomb about 1,000 to 1;
* an archive inside the archive (nbgrader's ``zip_collect`` would expand it without limits);
* anything beyond :data:`MAX_STUDENT_BYTES` (200 MB) extracted for one student (the part of the
  entry name before the first ``_``, as ``--downloads`` reads it), and beyond
  :data:`MAX_ARCHIVE_BYTES` (1 GB) from one archive.

An entry that runs over a limit while being written is removed again. Supported archives: ``.zip``
(:mod:`zipfile`) and ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz`` (:mod:`tarfile`,
streamed). Sources: Python's ``zipfile`` and ``tarfile`` documentation (extraction warnings).
"""

from __future__ import annotations

import posixpath
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

#: Largest entry extracted (bytes): the pipeline's 50 MB per-file limit (preflight.DEFAULT_MAX_FILE_MB).
MAX_ENTRY_BYTES = 50_000_000
#: Most bytes extracted for one student, over all their archives.
MAX_STUDENT_BYTES = 200_000_000
#: Most bytes extracted from one archive.
MAX_ARCHIVE_BYTES = 1_000_000_000
#: Highest compression ratio (uncompressed / compressed) accepted for an entry over RATIO_FLOOR.
MAX_RATIO = 100
RATIO_FLOOR = 1_000_000
_CHUNK = 1 << 20
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
#: Names that nbgrader's zip_collect (or a student) could take for an archive: never passed on.
COMPRESSED_SUFFIXES = ARCHIVE_SUFFIXES + (".gz", ".bz2", ".xz", ".7z", ".rar", ".zst")


@dataclass
class Skipped:
    """One archive entry (or file) that was not extracted, and why."""

    archive: str
    entry: str
    reason: str

    def __str__(self) -> str:
        return f"{self.archive}: {self.entry!r} not collected: {self.reason}"


def is_archive(path: Path) -> bool:
    """True for the archive types :func:`extract_archive` reads (by name)."""
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def student_of(name: str) -> str:
    """The student id a downloaded file name gives (``<student>_<anything>``), or the name."""
    return posixpath.basename(name).split("_", 1)[0]


#: Longest entry path (bytes, UTF-8) and most folder levels extracted: far below Linux's 4,095-byte
#: path limit once nbgrader's own folders are added (a path near that limit, written here, made
#: nbgrader's zip_collect fail for the whole class in a hostile-student trial).
MAX_NAME_BYTES = 512
MAX_DEPTH = 16


def _safe_path(name: str) -> str | None:
    """Why ``name`` may not be extracted as a path, or None (an archive inside an archive is not
    extracted either: nbgrader's zip_collect would expand it without limits). ``\\`` counts as a
    folder separator, as on Windows, where such archives are made."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return "path leaves the downloads folder (..)"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES or len(parts) > MAX_DEPTH \
            or any(len(part.encode("utf-8", "surrogateescape")) > 200 for part in parts):
        return (f"path too long (over {MAX_NAME_BYTES} bytes, {MAX_DEPTH} folders or 200 bytes "
                "per name)")
    if name.lower().endswith(COMPRESSED_SUFFIXES):
        return "an archive inside an archive (not extracted)"
    return None


class _Budget:
    def __init__(self, used: dict[str, int]):
        self.used = used  # per student, shared across archives
        self.archive = 0


def _write(stream, target: Path, name: str, declared: int, compressed: int | None,
           budget: _Budget, owner: str | None = None) -> str | None:
    """Copy ``stream`` to ``target`` within the limits, counting the bytes against ``owner`` (the
    archive's owner) or else the student ``name`` gives; None when written, else why not."""
    student = owner or student_of(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(target, "wb") as out:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            written += len(chunk)
            why = _over(written, compressed, budget, student)
            if why is None and written > declared >= 0 and compressed is not None:
                why = "holds more than its header declares"
            if why:
                out.close()
                target.unlink()
                return why
            out.write(chunk)
    budget.used[student] = budget.used.get(student, 0) + written
    budget.archive += written
    return None


def _over(size: int, compressed: int | None, budget: _Budget, student: str) -> str | None:
    if size > MAX_ENTRY_BYTES:
        return f"over the {MAX_ENTRY_BYTES // 1_000_000} MB file limit"
    if compressed is not None and size > RATIO_FLOOR and size > MAX_RATIO * max(compressed, 1):
        return (f"compression ratio over {MAX_RATIO}:1 ({size:,} bytes from "
                f"{compressed:,} or fewer): an archive bomb")
    if budget.used.get(student, 0) + size > MAX_STUDENT_BYTES:
        return f"over the {MAX_STUDENT_BYTES // 1_000_000} MB per-student limit"
    if budget.archive + size > MAX_ARCHIVE_BYTES:
        return f"over the {MAX_ARCHIVE_BYTES // 1_000_000} MB per-archive limit"
    return None


def _owned_name(name: str, owner: str | None) -> str:
    """The path entry ``name`` of ``owner``'s archive is written as: ``name`` when its file name
    already starts with ``<owner>_`` (or there is no owner), else ``<owner>_<file name>`` in the
    same folder. Every entry of a student's own archive is that student's: ``ps1.ipynb`` becomes
    ``dana_ps1.ipynb``, and ``bob_ps1.ipynb`` becomes ``dana_bob_ps1.ipynb`` (never bob's)."""
    name = name.replace("\\", "/")  # written as checked: "bob_x\\mallory_y" is a folder and a file
    if owner is None:
        return name
    folder, base = posixpath.split(name)
    if base.startswith(f"{owner}_"):
        return name
    return posixpath.join(folder, f"{owner}_{base}")


def _free(target: Path, root: Path) -> Path:
    """``target`` if nothing is there yet, else the same path under ``root/copy-<n>/``: a second
    entry that would be the same file is kept beside the first (intake.held compares them)."""
    n = 1
    free = target
    while free.exists():
        n += 1
        free = root / f"copy-{n}" / target.relative_to(root)
    return free


def extract_archive(archive: Path, target: Path, used: dict[str, int] | None = None,
                    owned: bool = False) -> list[Skipped]:
    """Extract ``archive`` into ``target`` within the limits above; returns what was skipped.

    ``used`` maps student ids to bytes already extracted for them (updated), so the per-student
    limit holds across several archives. An archive that cannot be read at all is one skipped
    entry named ``*``. With ``owned`` (a student's own upload named ``<student>_<anything>``, as
    ``--downloads`` reads it), every entry is the owner's: an entry whose file name does not
    start with ``<owner>_`` is written as ``<owner>_<file name>`` in the same folder, so a plain
    ``ps1.ipynb`` is collected as the owner's ``ps1.ipynb`` and a file named as a classmate's
    (``victim_ps1.ipynb`` inside ``mallory_ps1.zip``, which replaced the victim's notebook in a
    hostile-student trial) becomes the owner's oddly named ``mallory_victim_ps1.ipynb``, sorted out
    by pre-flight, never the classmate's. A bulk download made by the instructor (one archive of
    the whole class) is read without ``owned``. An entry that would land on a file already written
    from this archive (``ps1.ipynb`` beside ``dana_ps1.ipynb``) is written under ``copy-<n>/``
    instead of over it. Skipped entries are reported by their name in the archive.
    """
    archive, target = Path(archive), Path(target)
    owner = student_of(archive.name) if owned and "_" in archive.name else None
    budget = _Budget(used if used is not None else {})
    skipped: list[Skipped] = []

    def skip(entry: str, reason: str) -> None:
        skipped.append(Skipped(archive.name, entry, reason))

    others: set[str] = set()  # the <x>_ prefixes of entries named for someone else
    own = False  # an entry named for the owner, or with no <x>_ prefix at all

    def note(name: str) -> None:
        nonlocal own
        base = posixpath.basename(name.replace("\\", "/"))
        if owner is not None and "_" in base and not base.startswith(f"{owner}_"):
            others.add(base.split("_", 1)[0])
        else:
            own = True

    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    name = info.filename
                    mode = (info.external_attr >> 16) & 0o170000
                    if info.is_dir():
                        continue
                    why = _safe_path(name)
                    written = _owned_name(name, owner)
                    note(name)
                    if why is None and mode and mode not in (0o100000,):
                        why = ("symbolic link (not followed)" if mode == 0o120000
                               else "not a regular file")
                    if why is None:
                        why = _over(info.file_size, info.compress_size, budget,
                                    owner or student_of(written))
                    if why is None:
                        with zf.open(info) as stream:
                            why = _write(stream, _free(target / written, target), written,
                                         info.file_size, info.compress_size, budget, owner)
                    if why:
                        skip(name, why)
        else:
            packed = archive.stat().st_size
            with tarfile.open(archive, "r|*") as tf:  # a stream: entries in order, nothing cached
                for member in tf:
                    name = member.name
                    if member.isdir():
                        continue
                    why = _safe_path(name)
                    written = _owned_name(name, owner)
                    note(name)
                    if why is None and not member.isreg():
                        why = ("symbolic link (not followed)" if member.issym()
                               else "hard link (not followed)" if member.islnk()
                               else "not a regular file")
                    # A tar stream is compressed as a whole: the ratio is checked for the archive.
                    if why is None:
                        why = _over(member.size, None, budget, owner or student_of(written))
                        if why is None and budget.archive + member.size > RATIO_FLOOR and \
                                budget.archive + member.size > MAX_RATIO * max(packed, 1):
                            why = (f"compression ratio over {MAX_RATIO}:1 for the archive: "
                                   "an archive bomb")
                    if why is None:
                        stream = tf.extractfile(member)
                        why = _write(stream, _free(target / written, target), written,
                                     member.size, None, budget, owner)
                    if why:
                        skip(name, why)
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
        skip("*", f"the archive could not be read ({type(exc).__name__}: {exc})")
    if owner is not None and len(others) >= 2 and not own:
        # Files named for several other people and none for the owner: a whole-class archive
        # whose name holds a "_" (ps1_submissions.zip), not the upload of a student "ps1".
        shutil.rmtree(target, ignore_errors=True)
        names = ", ".join(sorted(others)[:3]) + (", ..." if len(others) > 3 else "")
        skipped = [Skipped(archive.name, "*", f"not collected: its files are named for {len(others)} "
                           f"other students ({names}) and none for {owner!r}, so it looks like a "
                           "whole-class archive; rename it without '_' (or unpack it) and run "
                           "again")]
    return skipped


def copy_download(path: Path, target: Path, used: dict[str, int]) -> Skipped | None:
    """Copy one loose downloaded file within the limits (size judged before reading)."""
    path = Path(path)
    if path.is_symlink():
        return Skipped(path.name, path.name, "symbolic link (not followed)")
    if not path.is_file():
        return Skipped(path.name, path.name, "not a regular file (folders are not collected)")
    if path.name.lower().endswith(COMPRESSED_SUFFIXES):
        return Skipped(path.name, path.name, "a compressed file that is not a .zip or .tar archive")
    size = path.stat().st_size
    budget = _Budget(used)
    why = _over(size, None, budget, student_of(path.name))
    if why is None:
        with open(path, "rb") as stream:
            why = _write(stream, target / path.name, path.name, size, None, budget)
    return Skipped(path.name, path.name, why) if why else None

