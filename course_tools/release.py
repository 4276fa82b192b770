"""Release an assignment safely: lint the source, generate the student version, scan it for secrets.

    python -m course_tools.release ps1            # lint, nbgrader generate_assignment, scan
    python -m course_tools.release ps1 --lint-only

Checks made before ``nbgrader generate_assignment`` (any one fails the release, naming the notebook,
the cell and the line):

* **Near-miss markers.** nbgrader removes solutions and hidden tests only between lines containing
  exactly ``BEGIN SOLUTION``/``END SOLUTION`` and ``BEGIN HIDDEN TESTS``/``END HIDDEN TESTS``. A line
  such as ``### BEGIN HIDEN TESTS``, ``### begin solution`` or ``#BEGIN HIDDEN TEST`` is not
  recognised, and nbgrader would ship everything after it to students. Any line that resembles a
  marker but is not written exactly as the course writes them (``### BEGIN SOLUTION``, ``### END
  SOLUTION``, ``### BEGIN HIDDEN TESTS``, ``### END HIDDEN TESTS``, alone on the line) fails. So do an
  unclosed region and a hidden-test region outside a test cell.
* **Bare last expression in a test cell.** nbgrader reads a test cell's ``execute_result`` as a
  partial-credit score: a last line that evaluates to ``0`` gives zero points, while ``False`` or a
  DataFrame (not convertible to a number) gives full marks. A test cell whose last statement is an
  expression (other than a call of ``print``, ``display`` or an ``assert...`` function, or a line
  ending in ``;``) fails, unless the cell says ``# nbgrader: partial credit`` to mean it.

After generating, :func:`check_release` refuses the release, and removes it, when any file of the
release folder, whatever its name (nbgrader copies every file of ``source/<assignment>/``), holds a
solution or hidden-test marker or jupytext pairing metadata (a stale paired ``.py``/``.md`` file can
hold an older answer key), is a symbolic link, or holds a line of a solution or hidden-test region
that does not also appear elsewhere in the source (:func:`scan_for_secrets`; the same scan is used
on feedback and the built book by the tests). The grading pipeline runs :func:`check_release` again
on an existing release before grading against it.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
_MARKER_KEYS = {re.sub(r"[^A-Z]", "", m): m for m in MARKERS}
PARTIAL_CREDIT_OPT_IN = "# nbgrader: partial credit"
_ALLOWED_CALLS = {"print", "display"}


class ReleaseError(RuntimeError):
    """The release was refused; the message lists every problem."""


@dataclass
class LintProblem:
    """One problem in a source notebook: where it is and what is wrong."""

    notebook: str
    cell: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.notebook}, cell {self.cell}, line {self.line}: {self.message}"


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _marker_like(line: str) -> str | None:
    """The canonical marker a line resembles (exactly or nearly), else None.

    Only comment lines, or lines that start with BEGIN/END and hold no code (``(`` or ``=``), are
    considered, so that code such as ``begin_solution()`` is not taken for a marker.
    """
    stripped = line.strip()
    letters = re.sub(r"[^A-Z]", "", stripped.upper())
    if not letters or len(letters) > 24:
        return None
    if not stripped.startswith("#") and not (letters.startswith(("BEGIN", "END"))
                                             and not re.search(r"[(=]", stripped)):
        return None
    if letters in _MARKER_KEYS:
        return _MARKER_KEYS[letters]
    ratio, key = max((difflib.SequenceMatcher(None, letters, k).ratio(), k) for k in _MARKER_KEYS)
    return _MARKER_KEYS[key] if ratio >= 0.8 else None


def _last_statement_problem(source: str) -> str | None:
    """Why the last statement of a test cell would be read as a score, or None if it would not."""
    if PARTIAL_CREDIT_OPT_IN in source:
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        code = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        code = source
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return f"the test cell does not parse ({exc.msg})"
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    last = tree.body[-1]
    lines = [ln.split("#")[0].rstrip() for ln in code.splitlines()]
    lines = [ln for ln in lines if ln.strip()]
    if lines and lines[-1].endswith(";"):
        return None
    value = last.value
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _ALLOWED_CALLS or name.startswith("assert") or name == "show":
            return None
    text = ast.get_source_segment(code, last) or "expression"
    return (f"the test cell ends with the expression `{text[:60]}`; nbgrader would read its value "
            "as a partial-credit score (0 gives zero points, False or a DataFrame full marks). "
            "Use assert, end the line with ';', or add '# nbgrader: partial credit' if meant")


def lint_notebook(nb: dict, name: str) -> list[LintProblem]:
    """All release problems of one source notebook (see the module docstring)."""
    problems = []
    for index, cell in enumerate(nb.get("cells", [])):
        meta = _meta(cell)
        label = meta.get("grade_id") or f"#{index}"
        source = _src(cell)
        open_region = None
        for lineno, line in enumerate(source.splitlines(), start=1):
            marker = _marker_like(line)
            if marker is None:
                continue
            if line.strip() != marker:
                problems.append(LintProblem(name, label, lineno,
                                            f"{line.strip()!r} looks like the marker {marker!r} "
                                            "but is not written exactly so; nbgrader would not "
                                            "recognise it and would ship what follows"))
                continue
            if "HIDDEN" in marker and not (meta.get("grade") and not meta.get("solution")
                                           and cell.get("cell_type") == "code"):
                problems.append(LintProblem(name, label, lineno,
                                            "hidden tests outside an autograded test cell"))
            if "BEGIN" in marker:
                if open_region:
                    problems.append(LintProblem(name, label, lineno,
                                                f"{marker!r} inside an open {open_region!r}"))
                open_region = marker
            else:
                if open_region is None or open_region.split()[-1] != marker.split()[-1]:
                    problems.append(LintProblem(name, label, lineno,
                                                f"{marker!r} without a matching BEGIN"))
                open_region = None
        if open_region:
            problems.append(LintProblem(name, label, len(source.splitlines()),
                                        f"{open_region!r} is never closed"))
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            why = _last_statement_problem(source)
            if why:
                problems.append(LintProblem(name, label, len(source.splitlines()), why))
    return problems


def lint_assignment(course: Path, assignment: str) -> list[LintProblem]:
    """Lint every source notebook of ``course/source/<assignment>/``.

    Raises
    ------
    FileNotFoundError
        If the assignment has no source notebook.
    """
    folder = Path(course) / "source" / assignment
    paths = sorted(folder.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no source notebook in {folder}")
    problems = []
    for path in paths:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(LintProblem(path.name, "-", 0, f"not a readable notebook: {exc}"))
            continue
        problems += lint_notebook(nb, path.name)
    return problems


def secret_lines(source_nb: dict) -> dict[str, list[str]]:
    """Lines that only a solution or hidden-test region of a source notebook contains.

    Returns ``{"solution": [...], "hidden test": [...]}``: stripped, non-blank lines inside the
    regions, without the markers, and without lines that also appear outside any region (visible
    starter code or tests repeat some lines, such as imports).
    """
    inside, public = {"solution": [], "hidden test": []}, set()
    for cell in source_nb.get("cells", []):
        region = None
        for line in _src(cell).splitlines():
            text = line.strip()
            if text in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                region = "solution" if "SOLUTION" in text else "hidden test"
            elif text in ("### END SOLUTION", "### END HIDDEN TESTS"):
                region = None
            elif text:
                (inside[region].append(text) if region else public.add(text))
    return {k: [ln for ln in v if ln not in public] for k, v in inside.items()}


def public_lines(source_nb: dict) -> set[str]:
    """Stripped lines of a source notebook outside any solution or hidden-test region."""
    public, region = set(), False
    for cell in source_nb.get("cells", []):
        region = False
        for line in _src(cell).splitlines():
            text = line.strip()
            if text in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                region = True
            elif text in ("### END SOLUTION", "### END HIDDEN TESTS"):
                region = False
            elif text and not region:
                public.add(text)
    return public


def readable_text(path: Path) -> str:
    """The text a reader of a file sees: notebook cell sources and outputs, HTML without tags."""
    raw = Path(path).read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(raw)
        except json.JSONDecodeError:
            return raw
        parts = []
        for cell in nb.get("cells", []):
            parts.append(_src(cell))
            for out in cell.get("outputs", []):
                parts.append(json.dumps(out, ensure_ascii=False))
                text = out.get("text", "")
                parts.append(text if isinstance(text, str) else "".join(text))
                for value in out.get("data", {}).values():
                    parts.append(value if isinstance(value, str) else "".join(map(str, value)))
                parts.extend(out.get("traceback", []))
        return "\n".join(parts)
    if path.suffix in (".html", ".htm"):
        raw = re.sub(r"<[^>]+>", "", raw)
        return html.unescape(raw)
    return raw


def scan_for_secrets(source_notebooks: list[Path], targets: list[Path],
                     min_length: int = 15) -> list[tuple[Path, str, str]]:
    """Secret lines of the source notebooks found in the target files.

    Parameters
    ----------
    source_notebooks : instructor notebooks with solution and hidden-test regions.
    targets : files or folders to scan (``.ipynb``, ``.html``, ``.md``, ``.txt``, ``.py``, ...;
        folders are scanned recursively for those suffixes).
    min_length : lines this short or shorter are ignored (``return x`` is not a leak); so are
        lines that any of the source notebooks shows outside its secret regions (as a line or
        inside one, e.g. quoted in the instructions).

    Returns
    -------
    List of (file, kind, line) with kind ``"solution"`` or ``"hidden test"``; empty if none.
    """
    secrets, public = [], set()
    for path in source_notebooks:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        for kind, lines in secret_lines(nb).items():
            secrets += [(kind, ln) for ln in lines if len(ln) > min_length]
        public |= public_lines(nb)
    # A line that one notebook shows openly (an import, a data-generating line) is no secret.
    public_text = "\n".join(public)
    secrets = [(kind, ln) for kind, ln in dict.fromkeys(secrets) if ln not in public_text]
    files = []
    for target in targets:
        target = Path(target)
        if target.is_dir():
            files += [p for p in sorted(target.rglob("*")) if p.is_file() and p.suffix in
                      (".ipynb", ".html", ".htm", ".md", ".txt", ".py", ".json", ".csv")]
        elif target.is_file():
            files.append(target)
    found = []
    for path in files:
        text = readable_text(path)
        found += [(path, kind, ln) for kind, ln in secrets if ln in text]
    return found


#: A line that names a solution or hidden-test marker, however written (case, spaces, ``_``).
_ANY_MARKER = re.compile(rb"(BEGIN|END)[\s_-]*(SOLUTION|HIDDEN[\s_-]*TESTS?)", re.IGNORECASE)
#: jupytext's pairing metadata: ``jupytext:`` in a text file's header, ``"jupytext":`` in JSON.
_JUPYTEXT = re.compile(rb"(^\W*jupytext\s*:|\"jupytext\"\s*:)", re.IGNORECASE | re.MULTILINE)


def release_file_problems(folder: Path) -> list[str]:
    """Files of a release folder that must not reach students, with the reason.

    Every file is read, whatever its name or type (nbgrader copies every file of the source folder
    into the release): one holding a line that names a solution or hidden-test marker (``BEGIN
    SOLUTION``, ``END HIDDEN TESTS``..., in any case or spacing), or jupytext pairing metadata
    (a stale paired ``.py``/``.md`` file holds an older answer key; a notebook that keeps the
    pairing metadata invites students' tools to recreate it), is a problem. A symbolic link is one
    too. Returns sentences naming each file (relative to ``folder``); empty when all is well.
    """
    folder = Path(folder)
    problems = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            problems.append(f"{rel}: a symbolic link")
            continue
        if not path.is_file():
            continue
        data = path.read_bytes()
        match = _ANY_MARKER.search(data)
        if match:
            line = data.count(b"\n", 0, match.start()) + 1
            problems.append(f"{rel}, line {line}: holds a solution or hidden-test marker "
                            f"({match.group(0).decode('utf-8', 'replace')!r})")
        if _JUPYTEXT.search(data):
            problems.append(f"{rel}: holds jupytext pairing metadata (a paired copy of a notebook "
                            "may hold an old answer key; remove the pairing before releasing)")
    return problems


def check_release(course: Path, assignment: str) -> None:
    """Check an existing release folder; remove it and raise if it must not reach students.

    Checks every file (:func:`release_file_problems`) and scans for secret lines of the source
    notebooks (:func:`scan_for_secrets`). The grading pipeline calls this before grading against
    an existing release.

    Raises
    ------
    ReleaseError
        Naming every problem, after removing ``course/release/<assignment>/``.
    """
    out = Path(course) / "release" / assignment
    problems = release_file_problems(out)
    leaks = scan_for_secrets(sorted((Path(course) / "source" / assignment).glob("*.ipynb")), [out])
    problems += [f"{path.relative_to(out).as_posix()}: {kind} line: {line}"
                 for path, kind, line in leaks[:20]]
    if problems:
        shutil.rmtree(out, ignore_errors=True)
        raise ReleaseError(f"release of {assignment} refused and removed ({out}):\n"
                           + "\n".join(f"  - {p}" for p in problems))


def release(course: Path, assignment: str, run=None) -> Path:
    """Lint, run ``nbgrader generate_assignment --force``, and check the release (secret lines,
    markers and jupytext metadata in any file, see :func:`check_release`).

    ``run`` is a callable ``run(args, course) -> CompletedProcess`` running nbgrader (defaults to
    ``course_tools.grade._nbgrader``). Returns the release folder. A refused release is removed,
    so that no half-checked student version is left where it could be handed out.

    Raises
    ------
    ReleaseError
        On any lint problem, a failed ``generate_assignment``, or a refused release.
    """
    course = Path(course)
    problems = lint_assignment(course, assignment)
    if problems:
        raise ReleaseError(f"release of {assignment} refused:\n" +
                           "\n".join(f"  - {p}" for p in problems))
    if run is None:
        from course_tools.grade import _nbgrader as run
    proc = run(["generate_assignment", assignment, "--force"], course)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or "").splitlines() if "ERROR" in ln or "Error" in ln]
        raise ReleaseError(f"nbgrader generate_assignment failed: {' | '.join(lines[-3:])}")
    check_release(course, assignment)
    return course / "release" / assignment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path,
                        default=Path(__file__).resolve().parent.parent / "assignments")
    parser.add_argument("--lint-only", action="store_true", help="only run the source checks")
    args = parser.parse_args(argv)
    try:
        if args.lint_only:
            problems = lint_assignment(args.course, args.assignment)
            for p in problems:
                print(p)
            return 1 if problems else 0
        out = release(args.course, args.assignment)
    except (ReleaseError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"released: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
