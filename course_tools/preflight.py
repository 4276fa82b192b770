"""Pre-flight check and repair of one student's submission, before nbgrader autogrades it.

``preflight(original, staged, release_dir)`` copies a submission folder to a staging folder and
repairs the copy; the student's original files are never modified. Every problem found is recorded
as a :class:`Problem` for the per-student grading report. What it does, in order:

1. **Folder.** An empty or missing submission folder is a fatal problem (reported, not graded).
   Only what can be graded is copied (:func:`copy_submission`): symbolic links (a link could point
   at the instructor's files), files over ``max_file_mb`` (judged by size before reading, so a
   large or sparse file is never written out densely), hidden files and folders (``.ipython``
   holds startup files the kernel would run) and ``.ipynb_checkpoints`` folders are left
   out, and reported. Other extra files stay beside
   the notebook and are listed in the report.
2. **Notebook names.** The expected notebooks are those of the release. A missing notebook is taken
   from a file whose name differs only by a copy suffix or case (``ps1 (1).ipynb``,
   ``PS1-Copy1.ipynb``), or, when exactly one notebook is missing and exactly one unexpected notebook
   is present, from that one. The rename is reported. With no gradable notebook the submission fails.
3. **JSON.** A notebook that does not parse (malformed JSON, not a notebook) is reported with the
   parser's message; it is removed from the staged copy, so that nbgrader scores it zero if other
   notebooks of the submission can be graded, and the submission fails if none can.
4. **Kernel.** The kernelspec is set to the release's (the course kernel); a different one is
   reported.
5. **Cells, against the release, by grade_id.** Cells whose nbgrader metadata is unknown are turned
   into ordinary cells. A grade_id present more than once keeps one copy (for locked cells the copy
   identical to the release if there is one, otherwise the last, as nbgrader's ``DeduplicateIds``
   does); the others become ordinary cells. A cell whose type was changed (code to markdown, say) is
   changed back. A locked cell (test cell, instructions) whose text differs from the release is
   restored and reported as edited; whitespace at line ends and the ends of the cell is ignored,
   so an untouched test cell that consists only of hidden tests (empty in the release) is not
   reported. Missing nbgrader cells are put back from the release after the nearest preceding one,
   so every test is run and scored and no answer cell is left waiting for a grade. Metadata of each
   kept cell is reset to the release's, so nbgrader's metadata checks cannot crash on edited
   metadata. nbgrader restores the hidden tests in test cells from its gradebook afterwards.

Limits: cells without nbgrader metadata are the student's own and are not checked; a student can
still define names that a test uses (nbgrader runs tests in the student's kernel).
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

#: Files larger than this (MB) are removed from the staged copy.
DEFAULT_MAX_FILE_MB = 50.0
#: Files an nbgrader exchange writes beside a submission (stock: ``timestamp.txt``,
#: ``submission_secret.txt``; the class hub's exchange also ``receipt.json``): kept, never reported
#: as the student's extra files.
EXCHANGE_FILES = frozenset({"timestamp.txt", "submission_secret.txt", "receipt.json"})
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|[\s_-]*copy\d*|[\s_-]+\d+)$", re.IGNORECASE)


@dataclass
class Problem:
    """One problem found in a submission.

    ``kind``: a short code (e.g. ``"renamed"``, ``"malformed_json"``, ``"edited_locked_cell"``);
    ``message``: a sentence for the instructor's report; ``fatal``: the submission cannot be graded.
    """

    kind: str
    message: str
    fatal: bool = False


@dataclass
class PreflightResult:
    """Outcome of :func:`preflight` for one submission."""

    staged: Path
    problems: list[Problem] = field(default_factory=list)
    notebooks: list[str] = field(default_factory=list)  # staged notebook names that can be graded

    @property
    def ok(self) -> bool:
        """True when nothing fatal was found and at least one notebook can be graded."""
        return bool(self.notebooks) and not any(p.fatal for p in self.problems)

    def add(self, kind: str, message: str, fatal: bool = False) -> None:
        self.problems.append(Problem(kind, message, fatal))


def _src(cell) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def normalise_source(text: str) -> str:
    """Cell text compared for tampering: line endings unified, trailing whitespace ignored."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    return "\n".join(line.rstrip() for line in lines)


def _stem_key(name: str) -> str:
    stem = name[:-len(".ipynb")] if name.lower().endswith(".ipynb") else name
    previous = None
    while previous != stem:
        previous, stem = stem, _COPY_SUFFIX.sub("", stem).strip()
    return stem.lower()


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _describe(ref_cell) -> str:
    meta = _meta(ref_cell)
    if meta.get("grade") and not meta.get("solution"):
        return "test cell"
    if meta.get("solution"):
        return "answer cell"
    return "locked cell"


def _clean_cell(cell) -> None:
    """Make a cell valid nbformat 4 for its type (outputs are cleared by nbgrader anyway)."""
    cell.setdefault("metadata", {})
    cell["source"] = _src(cell)
    if cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        if cell.get("cell_type") not in ("markdown", "raw"):
            cell["cell_type"] = "raw"


def _set_type(cell, cell_type: str) -> None:
    cell["cell_type"] = cell_type
    _clean_cell(cell)


def repair_cells(nb, ref, result: PreflightResult, label: str) -> None:
    """Compare ``nb`` with the release notebook ``ref`` by grade_id and repair it in place."""
    ref_cells = {}
    order = {}
    for i, cell in enumerate(ref["cells"]):
        gid = _meta(cell).get("grade_id")
        if gid:
            ref_cells[gid] = cell
            order[gid] = i

    seen_ids = set()
    for cell in nb["cells"]:
        _clean_cell(cell)
        if "id" in cell:  # a copied cell keeps its id; give the copy a new one
            if cell["id"] in seen_ids:
                cell["id"] = uuid.uuid4().hex[:8]
            seen_ids.add(cell["id"])
    groups: dict[str, list[int]] = {}
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if gid in ref_cells:
            groups.setdefault(gid, []).append(i)
        else:
            del cell["metadata"]["nbgrader"]
            if isinstance(meta, dict) and any(meta.get(k) for k in ("grade", "solution", "locked")):
                result.add("unknown_cell", f"{label}: a cell marked as nbgrader cell "
                           f"{gid!r} is not in the assignment; graded as an ordinary cell")

    drop_meta = set()
    for gid, idxs in groups.items():
        ref_cell = ref_cells[gid]
        locked = bool(_meta(ref_cell).get("locked"))
        keep = idxs[-1]
        if len(idxs) > 1:
            same = [i for i in idxs if normalise_source(_src(nb["cells"][i])) ==
                    normalise_source(_src(ref_cell))
                    and nb["cells"][i].get("cell_type") == ref_cell["cell_type"]]
            if locked and same:
                keep = same[-1]
            edited = sum(normalise_source(_src(nb["cells"][i])) != normalise_source(_src(ref_cell))
                         for i in idxs)
            result.add("duplicate_cell", f"{label}: {_describe(ref_cell)} {gid!r} appears "
                       f"{len(idxs)} times ({edited} differing from the release); copy "
                       f"{idxs.index(keep) + 1} was graded, the others ran as ordinary cells")
            drop_meta.update(i for i in idxs if i != keep)
        cell = nb["cells"][keep]
        if cell.get("cell_type") != ref_cell["cell_type"]:
            result.add("cell_type_changed", f"{label}: {_describe(ref_cell)} {gid!r} was changed "
                       f"from {ref_cell['cell_type']} to {cell.get('cell_type')}; changed back")
            _set_type(cell, ref_cell["cell_type"])
        if locked and normalise_source(_src(cell)) != normalise_source(_src(ref_cell)):
            result.add("edited_locked_cell", f"{label}: {_describe(ref_cell)} {gid!r} was edited; "
                       "restored to the instructor's version")
            cell["source"] = _src(ref_cell)
        cell["metadata"] = {**{k: v for k, v in cell.get("metadata", {}).items()
                               if k not in ("nbgrader", "editable", "deletable")},
                            **copy.deepcopy({k: v for k, v in ref_cell.get("metadata", {}).items()
                                             if k in ("nbgrader", "editable", "deletable")})}
    for i in drop_meta:
        md = nb["cells"][i]["metadata"]
        for key in ("nbgrader", "editable", "deletable"):
            md.pop(key, None)

    present = set(groups)
    for gid in sorted(set(ref_cells) - present, key=order.get):
        ref_cell = ref_cells[gid]
        pos = 0
        for i, cell in enumerate(nb["cells"]):
            other = _meta(cell).get("grade_id")
            if other in order and order[other] < order[gid]:
                pos = i + 1
        new = copy.deepcopy(ref_cell)
        _clean_cell(new)
        nb["cells"].insert(pos, nbformat.from_dict(new))
        what = _describe(ref_cell)
        extra = " (no answer: scores zero)" if what == "answer cell" else ""
        result.add("missing_cell", f"{label}: {what} {gid!r} was deleted; restored from the "
                   f"release{extra}")


def copy_submission(original: Path, target: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB
                    ) -> list[tuple[str, str]]:
    """Copy what can be graded from ``original`` to ``target``; return what was left out.

    Only regular files of at most ``max_file_mb`` megabytes (10**6 bytes) are copied, judged by
    their size *before* anything is read, so the dense content of a large or sparse file is never
    written anywhere. Symbolic links (never followed), other special files (FIFOs, sockets,
    devices), hidden files and folders (name starting with ``.``: a ``.ipython`` folder would
    become the kernel's IPYTHONDIR and its startup files would run) and ``.ipynb_checkpoints``
    folders are left out too. Returns ``(kind, message)`` pairs for the report: kinds
    ``"symlink_removed"``, ``"hidden_removed"``, ``"large_file_removed"``,
    ``"special_file_removed"`` (checkpoints are left out silently).
    """
    original, target = Path(original), Path(target)
    left_out = []
    target.mkdir(parents=True, exist_ok=True)
    for root, dirs, files in os.walk(original):
        here = Path(root)
        rel_root = here.relative_to(original)
        for name in sorted(dirs):
            path = here / name
            rel = (rel_root / name).as_posix()
            if path.is_symlink():
                left_out.append(("symlink_removed", f"symbolic link {rel!r} removed (not followed)"))
                dirs.remove(name)
            elif name == ".ipynb_checkpoints":
                dirs.remove(name)
            elif name.startswith("."):  # e.g. .ipython/profile_default/startup/ runs at kernel start
                left_out.append(("hidden_removed", f"hidden folder {rel!r} removed"))
                dirs.remove(name)
            else:
                (target / rel_root / name).mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            path = here / name
            rel = (rel_root / name).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                left_out.append(("symlink_removed", f"symbolic link {rel!r} removed (not followed)"))
            elif name.startswith("."):
                left_out.append(("hidden_removed", f"hidden file {rel!r} removed"))
            elif not stat.S_ISREG(info.st_mode):
                left_out.append(("special_file_removed", f"{rel!r} is not a regular file; left out"))
            elif info.st_size > max_file_mb * 1e6:
                left_out.append(("large_file_removed", f"file {rel!r} ({info.st_size / 1e6:.0f} MB)"
                                 f" is over {max_file_mb:.0f} MB; left out of grading"))
            else:
                shutil.copy2(path, target / rel_root / name, follow_symlinks=False)
    return left_out


def preflight(original: Path, staged: Path, release_dir: Path,
              max_file_mb: float = DEFAULT_MAX_FILE_MB) -> PreflightResult:
    """Stage and repair one submission (see the module docstring).

    Parameters
    ----------
    original : folder ``submitted/<student>/<assignment>/``; only read.
    staged : folder to create (replaced if it exists) holding the repaired copy.
    release_dir : the assignment's release folder (``release/<assignment>/``) with the student
        version of every notebook.
    max_file_mb : files larger than this (megabytes) are left out of the staged copy.

    Returns
    -------
    PreflightResult with the problems found and the notebook names that can be graded.

    Raises
    ------
    FileNotFoundError
        If ``release_dir`` holds no notebook (the assignment was not released).
    """
    original, staged, release_dir = Path(original), Path(staged), Path(release_dir)
    expected = sorted(p.name for p in release_dir.glob("*.ipynb"))
    if not expected:
        raise FileNotFoundError(f"no released notebook in {release_dir}")
    result = PreflightResult(staged=staged)
    shutil.rmtree(staged, ignore_errors=True)
    if not original.is_dir() or not any(original.iterdir()):
        result.add("empty_submission", "empty submission folder: nothing to grade", fatal=True)
        return result
    for kind, message in copy_submission(original, staged, max_file_mb):
        result.add(kind, message)

    extras = []
    present = sorted(p.name for p in staged.glob("*.ipynb") if p.is_file())
    if not any(p.is_file() for p in staged.rglob("*")):
        result.add("empty_submission", "empty submission folder: nothing to grade", fatal=True)
        return result

    missing = [n for n in expected if n not in present]
    unknown = [n for n in present if n not in expected]
    for name in list(missing):
        candidates = [u for u in unknown if _stem_key(u) == _stem_key(name)]
        if len(candidates) != 1 and len(missing) == 1 and len(unknown) == 1:
            candidates = unknown
        if len(candidates) == 1:
            (staged / candidates[0]).rename(staged / name)
            result.add("renamed", f"notebook {candidates[0]!r} graded as {name!r}")
            unknown.remove(candidates[0])
            missing.remove(name)
    for name in unknown:
        result.add("extra_notebook", f"notebook {name!r} is not part of the assignment; not graded")
    for p in sorted(staged.rglob("*")):
        if p.is_file() and p.suffix != ".ipynb" and (
                p.parent != staged or p.name not in EXCHANGE_FILES):
            extras.append(p.relative_to(staged).as_posix())
    if extras:
        shown = ", ".join(repr(e) for e in extras[:5]) + (" ..." if len(extras) > 5 else "")
        result.add("extra_files", f"{len(extras)} extra file(s) kept beside the notebook: {shown}")

    for name in expected:
        path = staged / name
        if name in missing:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="strict")
            json.loads(text)  # its error names the line and column
            nb = nbformat.reads(text, as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
        except Exception as exc:  # noqa: BLE001 - any parse failure is reported, not raised
            message = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            result.add("malformed_notebook", f"{name}: not a readable notebook "
                       f"({type(exc).__name__}: {message})", fatal=len(expected) == 1)
            path.unlink()
            missing.append(name)
            continue
        ref = nbformat.read(release_dir / name, as_version=4)
        ref_kernel = ref.metadata.get("kernelspec")
        kernel = nb.metadata.get("kernelspec")
        if ref_kernel and (not isinstance(kernel, dict) or kernel.get("name") != ref_kernel.get("name")):
            shown = kernel.get("name") if isinstance(kernel, dict) else kernel
            result.add("kernel_changed", f"{name}: saved with kernel {shown!r}; graded with the "
                       f"course kernel {ref_kernel.get('name')!r}")
        if ref_kernel:
            nb.metadata["kernelspec"] = copy.deepcopy(ref_kernel)
        repair_cells(nb, ref, result, name)
        try:
            nbformat.validate(nb)
        except Exception as exc:  # noqa: BLE001
            result.add("invalid_notebook", f"{name}: still not valid after repair "
                       f"({str(exc).splitlines()[0][:200]})")
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
        result.notebooks.append(name)
    for name in missing:
        if result.notebooks:
            result.add("missing_notebook", f"notebook {name!r} missing: nbgrader scores it zero")
    if not result.notebooks and not any(p.fatal for p in result.problems):
        found = ", ".join(repr(n) for n in present) or "none"
        result.add("no_notebook", f"no gradable notebook (expected {', '.join(expected)}; "
                   f"found {found})", fatal=True)
    return result
