"""The seminar kit's data: syllabus, session plans, discussion guides, rubrics, outcomes, self-study.

The package ``seminar_kit`` loads (this module), checks (``checks``) and renders (``pages``) the
instructor pages' data so that the book pages (``book/instructors/``,
``book/self_study.md``) and the tests (``tests/book/test_seminar_kit.py``) use the same code. The data
files live in ``book/data/``:

* ``syllabus.yaml``: reading budget, labs, assignment calendar, the 12 weeks, the condensed 6 sessions;
* ``session_plans.yaml``: one 90-minute plan per week;
* ``discussion_guides.yaml``: clusters of chapters, their questions and structured debates;
* ``outcomes.yaml``: course learning outcomes and their alignment with chapters, readings, labs and
  assignment questions;
* ``seminar_rubrics.yaml``: rubrics for the seminar paper, its proposal, and the default rubric for a
  short written answer.

Reading times come from the guided readings (``book/data/guided_readings*.yaml``), lab titles and
section headings from the lab notebooks, chapter titles from the chapters, and assignment questions
from the nbgrader metadata of ``assignments/source/*/*.ipynb``; nothing is copied, so nothing can
drift. Only cell *metadata* is read from the source notebooks, never their solution text, and the
``strong_answer`` field of a rubric (guidance for graders) is never rendered.

Every ``check_*`` function returns a list of human-readable problems (empty when consistent), so a
test can plant a bad input and see the problem named. :func:`ensure_consistent` raises
:class:`SeminarKitError` listing all problems (the tests use it); the pages show the same list as a
warning with :func:`problems_markdown`, so that, say, a new problem set not yet mapped to an outcome
fails the test suite without breaking the book build for everyone else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
COURSE = ROOT / "assignments"

ASSIGNMENT_KINDS = ("problem set", "paper")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.M)


class SeminarKitError(ValueError):
    """The seminar kit's data are inconsistent; the message lists every problem found."""


# --------------------------------------------------------------------------------------------------
# Loading


def read_yaml(path: Path):
    """Parse a YAML file; raise SeminarKitError naming the file if it is missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise SeminarKitError(f"data file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SeminarKitError(f"{path.name} is not valid YAML: {exc}") from exc


def load_guides(book: Path = BOOK) -> dict[str, dict]:
    """Guided readings keyed by bibliography key, merged from every ``guided_readings*.yaml``.

    Each guide has at least ``key``, ``chapter``, ``difficulty`` and ``reading_time_min`` (minutes,
    int). Raises SeminarKitError if two files hold a guide for the same key.
    """
    guides: dict[str, dict] = {}
    for path in sorted((Path(book) / "data").glob("guided_readings*.yaml")):
        for item in read_yaml(path) or []:
            if item["key"] in guides:
                raise SeminarKitError(f"two guided readings for {item['key']!r} ({path.name})")
            guides[item["key"]] = item
    return guides


def bib_keys(book: Path = BOOK) -> set[str]:
    """All entry keys of the book's bibliography files (references.bib, references_extra.bib)."""
    import pybtex.database  # imported here: only needed when checking

    keys: set[str] = set()
    for name in ("references.bib", "references_extra.bib"):
        path = Path(book) / name
        if path.is_file():
            keys |= set(pybtex.database.parse_file(str(path)).entries)
    return keys


def toc_chapters(book: Path = BOOK) -> list[str]:
    """Docnames of the numbered chapters (the toc parts whose caption starts with 'Part'), in order."""
    toc = read_yaml(Path(book) / "_toc.yml")
    return [c["file"] for part in toc.get("parts", []) if str(part.get("caption", "")).startswith("Part")
            for c in part.get("chapters", [])]


def toc_files(book: Path = BOOK) -> set[str]:
    """Every docname listed anywhere in the table of contents."""
    toc = read_yaml(Path(book) / "_toc.yml")
    return {c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])}


def chapter_title(book: Path, docname: str) -> str:
    """The level-1 heading of a chapter (``book/<docname>.md``)."""
    text = (Path(book) / f"{docname}.md").read_text(encoding="utf-8")
    for level, title in _HEADING.findall(text):
        if len(level) == 1:
            return title
    raise SeminarKitError(f"{docname} has no level-1 heading")


def chapter_words(book: Path, docname: str) -> int:
    """Approximate words of reading in a chapter: its text without front matter and code cells."""
    text = (Path(book) / f"{docname}.md").read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"```\{code-cell\}.*?\n```", "", text, flags=re.S)
    return len(re.findall(r"[A-Za-z0-9][\w'’-]*", text))


def _lab_path(book: Path, lab_id: str) -> Path:
    for folder in (Path(book) / "labs", Path(book).parent / "notebooks"):
        path = folder / f"{lab_id}.ipynb"
        if path.is_file():
            return path
    raise SeminarKitError(f"no lab notebook {lab_id}.ipynb")


def lab_headings(book: Path, lab_id: str) -> list[tuple[int, str]]:
    """(level, text) of every Markdown heading in a lab notebook, in order."""
    nb = json.loads(_lab_path(book, lab_id).read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            out += [(len(level), title) for level, title in _HEADING.findall(src)]
    return out


def lab_title(book: Path, lab_id: str) -> str:
    """The lab's level-1 heading without the leading 'Lab: '."""
    for level, title in lab_headings(book, lab_id):
        if level == 1:
            return title.removeprefix("Lab: ")
    raise SeminarKitError(f"lab {lab_id} has no level-1 heading")


def assignment_questions(course: Path = COURSE) -> pd.DataFrame:
    """The graded cells of every source notebook ``assignments/source/<ps>/<ps>.ipynb``.

    Returns a DataFrame with columns assignment, grade_id, kind ('autograded' for test cells, 'manual'
    for answers graded by hand) and points (float), one row per graded cell, in notebook order. Only
    cell metadata is read; the text of solutions is never looked at.
    """
    rows = []
    source = Path(course) / "source"
    for nb_path in sorted(source.glob("*/*.ipynb")) if source.is_dir() else []:
        if ".ipynb_checkpoints" in nb_path.parts:
            continue
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                manual = bool(meta.get("solution"))
                rows.append({"assignment": nb_path.parent.name, "grade_id": meta["grade_id"],
                             "kind": "manual" if manual else "autograded",
                             "points": float(meta.get("points", 0))})
    return pd.DataFrame(rows, columns=["assignment", "grade_id", "kind", "points"])


def load_assignment_rubrics(course: Path = COURSE) -> dict[str, list[dict]]:
    """Rubric files ``assignments/rubrics/<ps>.yaml`` present now: assignment id -> list of questions.

    A file holds either a list of questions or a mapping with a ``questions`` list; each question has
    grade_id, points, criteria and (for graders only) strong_answer. Raises SeminarKitError otherwise.
    """
    folder = Path(course) / "rubrics"
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path) or []
        # two layouts are in use: a list of questions, or {assignment: ..., questions: [...]}
        items = data.get("questions") if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(q, dict) for q in items):
            raise SeminarKitError(f"{path.name}: expected a list of questions (or a 'questions' list)")
        out[path.stem] = items
    return out


@dataclass
class Kit:
    """Everything the instructor pages need, loaded once. Build with :meth:`Kit.load`."""

    book: Path
    course: Path
    syllabus: dict
    plans: list
    discussion: dict
    outcomes: dict
    seminar_rubrics: dict
    guides: dict
    bib: set
    chapters: list
    toc: set
    questions: pd.DataFrame
    assignment_rubrics: dict = field(default_factory=dict)

    @classmethod
    def load(cls, book: Path = BOOK, course: Path | None = None) -> "Kit":
        """Load every data file. ``course`` defaults to ``<book>/../assignments`` if that exists,
        else the repository's ``assignments/`` (a copied book without the course still builds)."""
        book = Path(book)
        if course is None:
            course = book.parent / "assignments" if (book.parent / "assignments").is_dir() else COURSE
        data = book / "data"
        return cls(book=book, course=Path(course),
                   syllabus=read_yaml(data / "syllabus.yaml"),
                   plans=read_yaml(data / "session_plans.yaml"),
                   discussion=read_yaml(data / "discussion_guides.yaml"),
                   outcomes=read_yaml(data / "outcomes.yaml"),
                   seminar_rubrics=read_yaml(data / "seminar_rubrics.yaml"),
                   guides=load_guides(book), bib=bib_keys(book), chapters=toc_chapters(book),
                   toc=toc_files(book), questions=assignment_questions(course),
                   assignment_rubrics=load_assignment_rubrics(course))

    @property
    def lab_ids(self) -> list[str]:
        return [lab["id"] for lab in self.syllabus["labs"]]
