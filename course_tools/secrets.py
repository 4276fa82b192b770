"""The secret scan: no line of a solution or hidden-test region may reach what students read.

:func:`secret_lines` and :func:`public_lines` read a source notebook's regions, :func:`readable_text`
what a reader of a file sees, and :func:`scan_for_secrets` finds the secret lines in released
notebooks, feedback or the built book. Used by ``course_tools.release`` and by the tests.
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
