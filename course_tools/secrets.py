"""The secret scan: no line of a solution or hidden-test region may reach what students read.

:func:`secret_lines` and :func:`public_lines` read a source notebook's regions, :func:`readable_text`
what a reader of a file sees, and :func:`scan_for_secrets` finds the secret lines in released
notebooks, feedback or the built book; :func:`release_file_problems` finds any file of a release
folder holding a marker or jupytext pairing metadata. Used by ``course_tools.release`` and by the
tests.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from course_tools.lint import _src


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
