"""Release checks on the source notebooks, before ``nbgrader generate_assignment`` runs.

:func:`lint_notebook` and :func:`lint_assignment` find near-miss solution or hidden-test markers,
unclosed regions, hidden tests outside a test cell, and test cells ending in a bare expression
(which nbgrader would read as a partial-credit score). See ``course_tools.release`` for the whole
release; its module docstring explains each check.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path


MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
_MARKER_KEYS = {re.sub(r"[^A-Z]", "", m): m for m in MARKERS}
PARTIAL_CREDIT_OPT_IN = "# nbgrader: partial credit"
_ALLOWED_CALLS = {"print", "display"}


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
