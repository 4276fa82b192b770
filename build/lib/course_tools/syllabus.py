"""The seminar kit's data: syllabus, session plans, discussion guides, rubrics, outcomes, self-study.

One module loads and checks the instructor pages' data so that the book pages (``book/instructors/``,
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


# --------------------------------------------------------------------------------------------------
# Checks: each returns a list of problems (empty when consistent)


def reading_minutes(keys, guides: dict) -> int:
    """Total reading time in minutes of the given bibliography keys, from their guided readings.

    Raises SeminarKitError if a key has no guided reading.
    """
    missing = [k for k in keys if k not in guides]
    if missing:
        raise SeminarKitError(f"no guided reading for {missing}")
    return int(sum(int(guides[k]["reading_time_min"]) for k in keys))


def check_syllabus(syllabus: dict, guides: dict, bib: set, chapters: list, lab_ids: list,
                   source_assignments=()) -> list[str]:
    """Problems with the 12-week schedule and the assignment calendar.

    Checks: weeks numbered 1..N; each week has a question, known chapters, at least one required
    reading, readings present in the bibliography and in the guided-reading data, required reading
    within ``reading_budget_min``, a known lab (or none) and a discussion focus; every chapter of the
    book and every lab is scheduled; each assignment id appears once in the calendar, is released
    before or when it is due, and every assignment with a source notebook is in the calendar.
    """
    problems = []
    budget = syllabus.get("reading_budget_min")
    if not isinstance(budget, int) or budget <= 0:
        return [f"reading_budget_min must be a positive integer, got {budget!r}"]
    weeks = syllabus.get("weeks") or []
    numbers = [w.get("week") for w in weeks]
    if numbers != list(range(1, len(weeks) + 1)):
        problems.append(f"weeks must be numbered 1..{len(weeks)} in order, got {numbers}")
    for w in weeks:
        tag = f"week {w.get('week')}"
        for name in ("question", "discussion_focus"):
            if not str(w.get(name) or "").strip():
                problems.append(f"{tag}: no {name}")
        if not w.get("chapters"):
            problems.append(f"{tag}: no chapter")
        for ch in w.get("chapters") or []:
            if ch not in chapters:
                problems.append(f"{tag}: unknown chapter {ch!r}")
        required, optional = w.get("required_readings") or [], w.get("optional_readings") or []
        if not required:
            problems.append(f"{tag}: no required reading")
        for key in set(required) & set(optional):
            problems.append(f"{tag}: {key} is both required and optional")
        for key in required + optional:
            if key not in bib:
                problems.append(f"{tag}: reading {key!r} is not in the bibliography")
            if key not in guides:
                problems.append(f"{tag}: reading {key!r} has no guided reading")
        if all(k in guides for k in required):
            minutes = reading_minutes(required, guides)
            if minutes > budget:
                problems.append(f"{tag}: {minutes} min of required reading exceeds the budget of {budget}")
        if w.get("lab") is not None and w["lab"] not in lab_ids:
            problems.append(f"{tag}: unknown lab {w['lab']!r}")
    scheduled = {ch for w in weeks for ch in w.get("chapters") or []}
    for ch in chapters:
        if ch not in scheduled:
            problems.append(f"chapter {ch} is in no week")
    used_labs = {w.get("lab") for w in weeks}
    for lab in lab_ids:
        if lab not in used_labs:
            problems.append(f"lab {lab} is in no week")
    ids = [a.get("id") for a in syllabus.get("assignments") or []]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"assignment {dup} appears {ids.count(dup)} times in the calendar")
    for a in syllabus.get("assignments") or []:
        tag = f"assignment {a.get('id')}"
        if a.get("kind") not in ASSIGNMENT_KINDS:
            problems.append(f"{tag}: kind must be one of {ASSIGNMENT_KINDS}")
        rel, due = a.get("released"), a.get("due")
        if due not in numbers:
            problems.append(f"{tag}: due week {due!r} is not a week of the course")
        elif not isinstance(rel, int) or not 1 <= rel <= due:
            problems.append(f"{tag}: released week {rel!r} must be between 1 and the due week {due}")
        if not isinstance(a.get("time_min"), int) or a["time_min"] <= 0:
            problems.append(f"{tag}: time_min must be a positive integer")
    for name in source_assignments:
        if name not in ids:
            problems.append(f"assignment {name} has a source notebook but is not in the calendar")
    return problems


def check_condensed(syllabus: dict, guides: dict) -> list[str]:
    """Problems with the 6-week variant: each week covered once and in order, readings drawn from the
    weeks covered, required reading per session within the budget."""
    problems = []
    weeks = {w["week"]: w for w in syllabus.get("weeks") or []}
    sessions = syllabus.get("condensed") or []
    if [s.get("session") for s in sessions] != list(range(1, len(sessions) + 1)):
        problems.append("condensed sessions must be numbered 1..M in order")
    covered = [n for s in sessions for n in s.get("weeks") or []]
    if covered != sorted(weeks):
        problems.append(f"condensed sessions must cover weeks {sorted(weeks)} once each, in order; "
                        f"they cover {covered}")
    budget = syllabus.get("reading_budget_min", 0)
    for s in sessions:
        tag = f"condensed session {s.get('session')}"
        pool = {k for n in s.get("weeks") or [] if n in weeks
                for k in (weeks[n].get("required_readings") or []) + (weeks[n].get("optional_readings") or [])}
        required = s.get("required_readings") or []
        if not required:
            problems.append(f"{tag}: no required reading")
        for key in required:
            if key not in pool:
                problems.append(f"{tag}: reading {key!r} is not a reading of weeks {s.get('weeks')}")
        if all(k in guides for k in required):
            minutes = reading_minutes(required, guides)
            if minutes > budget:
                problems.append(f"{tag}: {minutes} min of required reading exceeds the budget of {budget}")
    return problems


def check_session_plans(plans: list, syllabus: dict, headings: dict) -> list[str]:
    """Problems with the session plans: one per week, minutes adding up to the session length, a
    demonstration from the week's own lab naming a section that exists in that lab.

    ``headings`` maps lab id to the list of its section headings (text only).
    """
    problems = []
    weeks = {w["week"]: w for w in syllabus.get("weeks") or []}
    planned = [p.get("week") for p in plans or []]
    if sorted(planned) != sorted(weeks) or len(set(planned)) != len(planned):
        problems.append(f"need exactly one session plan per week {sorted(weeks)}, got {planned}")
    length = syllabus.get("session_min")
    for p in plans or []:
        tag = f"session plan for week {p.get('week')}"
        for part in ("opening", "exit"):
            if not str((p.get(part) or {}).get("question") or "").strip():
                problems.append(f"{tag}: no {part} question")
        if len(p.get("discussion_prompts") or []) < 2:
            problems.append(f"{tag}: needs at least two discussion prompts")
        if not p.get("activities"):
            problems.append(f"{tag}: no activities")
        demo = p.get("demo") or {}
        total = sum(int(x.get("minutes", 0)) for x in [p.get("opening") or {}, demo, p.get("exit") or {},
                                                        *(p.get("activities") or [])])
        if total != length:
            problems.append(f"{tag}: timings add up to {total} min, not {length}")
        week = weeks.get(p.get("week"))
        if week is not None and demo.get("lab") != week.get("lab"):
            problems.append(f"{tag}: demonstration uses {demo.get('lab')!r} but the week's lab is "
                            f"{week.get('lab')!r}")
        if demo.get("lab") in headings and demo.get("section") not in headings[demo["lab"]]:
            problems.append(f"{tag}: lab {demo['lab']} has no section {demo.get('section')!r}")
        if not (demo.get("show") and demo.get("ask")):
            problems.append(f"{tag}: demonstration needs 'show' and 'ask'")
    return problems


def check_discussion_guides(discussion: dict, chapters: list, bib: set) -> list[str]:
    """Problems with the discussion guides: every chapter in exactly one cluster, questions present,
    each debate with a motion and two sides that draw on readings in the bibliography, and a debate
    format whose steps are timed."""
    problems = []
    clusters = discussion.get("clusters") or []
    seen = [ch for c in clusters for ch in c.get("chapters") or []]
    for ch in chapters:
        if seen.count(ch) != 1:
            problems.append(f"chapter {ch} is in {seen.count(ch)} discussion clusters (need 1)")
    for ch in set(seen) - set(chapters):
        problems.append(f"discussion cluster names unknown chapter {ch!r}")
    if not all(int(s.get("minutes", 0)) > 0 and s.get("step") for s in discussion.get("debate_format") or [None]):
        problems.append("every step of debate_format needs minutes and a step")
    ids = []
    for c in clusters:
        tag = f"cluster {c.get('id')}"
        if len(c.get("questions") or []) < 3:
            problems.append(f"{tag}: needs at least three discussion questions")
        for d in c.get("debates") or []:
            ids.append(d.get("id"))
            if not str(d.get("motion") or "").strip():
                problems.append(f"{tag}: debate {d.get('id')} has no motion")
            for side in ("for", "against"):
                s = d.get(side) or {}
                if not s.get("points"):
                    problems.append(f"{tag}: debate {d.get('id')} side '{side}' has no points")
                if not s.get("draw_on"):
                    problems.append(f"{tag}: debate {d.get('id')} side '{side}' draws on no reading")
                for key in s.get("draw_on") or []:
                    if key not in bib:
                        problems.append(f"{tag}: debate {d.get('id')} cites unknown key {key!r}")
    if len(ids) < 2:
        problems.append("need at least two structured debates")
    if len(set(ids)) != len(ids):
        problems.append("debate ids must be unique")
    return problems


def check_rubric(name: str, rubric: dict, points: float | None = None) -> list[str]:
    """Problems with one rubric ({criteria: [{criterion, levels: [{points, descriptor}]}]}).

    The best level of each criterion must add up to the rubric's points (``points`` if given, else
    ``rubric['points']``); each criterion needs two or more levels with distinct points, one of them 0.
    """
    problems = []
    total = rubric.get("points") if points is None else points
    criteria = rubric.get("criteria") or []
    if not criteria:
        return [f"{name}: no criteria"]
    best = 0.0
    for c in criteria:
        levels = c.get("levels") or []
        pts = [float(lv.get("points", -1)) for lv in levels]
        if not str(c.get("criterion") or "").strip():
            problems.append(f"{name}: a criterion has no name")
        if len(levels) < 2 or len(set(pts)) != len(pts) or min(pts, default=-1) != 0:
            problems.append(f"{name}: criterion {c.get('criterion')!r} needs two or more levels with "
                            "distinct points, the lowest 0")
        if any(not str(lv.get("descriptor") or "").strip() for lv in levels):
            problems.append(f"{name}: criterion {c.get('criterion')!r} has a level with no descriptor")
        best += max(pts, default=0)
    if total is None or abs(best - float(total)) > 1e-9:
        problems.append(f"{name}: best levels add up to {best:g} points, but the rubric is worth {total}")
    return problems


def rubric_for(kit: "Kit", assignment: str, grade_id: str) -> tuple[dict | None, str]:
    """The rubric that applies to a manually graded question, and where it comes from.

    Returns (rubric, 'assignment') from ``assignments/rubrics/<assignment>.yaml`` if that file has the
    question, else (default rubric, 'default') when the default short-answer rubric's points equal the
    question's, else (None, 'missing').
    """
    for q in kit.assignment_rubrics.get(assignment, []):
        if q.get("grade_id") == grade_id:
            return q, "assignment"
    row = kit.questions[(kit.questions["assignment"] == assignment) & (kit.questions["grade_id"] == grade_id)]
    default = kit.seminar_rubrics["written_answer_default"]
    if len(row) and float(row["points"].iloc[0]) == float(default["points"]):
        return default, "default"
    return None, "missing"


def check_rubrics(kit: "Kit") -> list[str]:
    """Problems with all rubrics: seminar rubrics well formed; every assignment rubric question names a
    manually graded cell with the same points; every manually graded question has a rubric."""
    problems = []
    for name, rubric in kit.seminar_rubrics.items():
        problems += check_rubric(name, rubric)
    q = kit.questions
    for ps, items in kit.assignment_rubrics.items():
        for item in items:
            gid = item.get("grade_id")
            row = q[(q["assignment"] == ps) & (q["grade_id"] == gid) & (q["kind"] == "manual")]
            if row.empty:
                problems.append(f"rubric {ps}/{gid}: no manually graded cell {gid} in {ps}")
                continue
            if float(item.get("points", -1)) != float(row["points"].iloc[0]):
                problems.append(f"rubric {ps}/{gid}: {item.get('points')} points, notebook says "
                                f"{row['points'].iloc[0]:g}")
            problems += check_rubric(f"rubric {ps}/{gid}", item)
    for _, row in q[q["kind"] == "manual"].iterrows():
        if rubric_for(kit, row["assignment"], row["grade_id"])[1] == "missing":
            problems.append(f"manual question {row['assignment']}/{row['grade_id']} has no rubric")
    return problems


def check_outcomes(outcomes: dict, chapters: list, bib: set, lab_ids: list, questions: pd.DataFrame,
                   assignments: dict) -> list[str]:
    """Problems with the learning outcomes and their alignment.

    Every outcome needs a statement, at least one chapter, one reading and one lab or assessment, all
    known; every mapped assignment question must exist; every graded question in the source notebooks,
    every chapter, every lab and every paper in the calendar must map to at least one outcome.
    ``assignments`` maps each calendar assignment id to its kind ('problem set' or 'paper').
    """
    problems = []
    items = outcomes.get("outcomes") or []
    ids = [o.get("id") for o in items]
    if len(set(ids)) != len(ids):
        problems.append("outcome ids must be unique")
    graded = {(r.assignment, r.grade_id) for r in questions.itertuples()}
    mapped, mapped_ch, mapped_labs, mapped_asg = set(), set(), set(), set()
    for o in items:
        tag = f"outcome {o.get('id')}"
        if not str(o.get("statement") or "").strip():
            problems.append(f"{tag}: no statement")
        if not o.get("chapters"):
            problems.append(f"{tag}: covered by no chapter")
        if not o.get("readings"):
            problems.append(f"{tag}: covered by no reading")
        if not (o.get("labs") or o.get("questions") or o.get("papers")):
            problems.append(f"{tag}: practised in no lab and assessed by no assignment")
        for ch in o.get("chapters") or []:
            if ch not in chapters:
                problems.append(f"{tag}: unknown chapter {ch!r}")
            mapped_ch.add(ch)
        for key in o.get("readings") or []:
            if key not in bib:
                problems.append(f"{tag}: reading {key!r} is not in the bibliography")
        for lab in o.get("labs") or []:
            if lab not in lab_ids:
                problems.append(f"{tag}: unknown lab {lab!r}")
            mapped_labs.add(lab)
        for paper in o.get("papers") or []:
            if assignments.get(paper) != "paper":
                problems.append(f"{tag}: {paper!r} is not a paper in the calendar")
            mapped_asg.add(paper)
        for ps, gids in (o.get("questions") or {}).items():
            mapped_asg.add(ps)
            for gid in gids or []:
                if (ps, gid) not in graded:
                    problems.append(f"{tag}: {ps}/{gid} is not a graded question of a source notebook")
                mapped.add((ps, gid))
    for ps, gid in sorted(graded - mapped):
        problems.append(f"assignment question {ps}/{gid} maps to no outcome")
    for ch in chapters:
        if ch not in mapped_ch:
            problems.append(f"chapter {ch} supports no outcome")
    for lab in lab_ids:
        if lab not in mapped_labs:
            problems.append(f"lab {lab} supports no outcome")
    for a, kind in assignments.items():
        if kind == "paper" and a not in mapped_asg:
            problems.append(f"paper {a} assesses no outcome")
    return problems


def check_self_study(text: str, syllabus: dict) -> list[str]:
    """Problems with the self-study page: one checkpoint exercise with a solution per week, labelled
    ``selfstudy-week-NN``."""
    problems = []
    labels = re.findall(r"^:label:\s*(selfstudy-\S+)", text, re.M)
    solutions = re.findall(r"```\{solution\}\s+(selfstudy-\S+)", text)
    for w in syllabus.get("weeks") or []:
        label = f"selfstudy-week-{w['week']:02d}"
        if label not in labels:
            problems.append(f"self-study: no checkpoint {label}")
        if label not in solutions:
            problems.append(f"self-study: checkpoint {label} has no solution")
    return problems


def problems(kit: Kit) -> list[str]:
    """Every problem found in the kit's data (empty list when all is consistent)."""
    headings = {lab: [t for _, t in lab_headings(kit.book, lab)] for lab in kit.lab_ids}
    source = sorted(set(kit.questions["assignment"]))
    out = check_syllabus(kit.syllabus, kit.guides, kit.bib, kit.chapters, kit.lab_ids, source)
    out += check_condensed(kit.syllabus, kit.guides)
    out += check_session_plans(kit.plans, kit.syllabus, headings)
    out += check_discussion_guides(kit.discussion, kit.chapters, kit.bib)
    out += check_rubrics(kit)
    out += check_outcomes(kit.outcomes, kit.chapters, kit.bib, kit.lab_ids, kit.questions,
                          {a["id"]: a["kind"] for a in kit.syllabus["assignments"]})
    self_study = kit.book / "self_study.md"
    if self_study.is_file():
        out += check_self_study(self_study.read_text(encoding="utf-8"), kit.syllabus)
    return out


def problems_markdown(kit: Kit) -> str:
    """A MyST warning listing the kit's problems, or '' when there are none.

    The pages show it at the top instead of failing the build, so that a problem set added by
    someone else (whose questions are not yet mapped to an outcome) does not break the book; the
    test suite fails on the same problems.
    """
    found = problems(kit)
    if not found:
        return ""
    items = "\n".join(f"- {p}" for p in found)
    return ("```{warning}\nThe seminar kit's data are inconsistent, so parts of this page may be "
            "incomplete. Fix the data files in `book/data/` (see `tests/book/test_seminar_kit.py`):\n\n"
            f"{items}\n```")


def ensure_consistent(kit: Kit) -> Kit:
    """Return the kit unchanged, or raise SeminarKitError listing every problem."""
    found = problems(kit)
    if found:
        raise SeminarKitError("the seminar kit's data are inconsistent:\n- " + "\n- ".join(found))
    return kit


# --------------------------------------------------------------------------------------------------
# Tables


def cite(keys, mode: str = "t") -> str:
    """MyST citations for bibliography keys, joined with '; ' (empty string for no keys)."""
    return "; ".join(f"{{cite:{mode}}}`{k}`" for k in keys)


def hours(minutes: float) -> str:
    """Minutes as 'h:mm' (e.g. 135 -> '2:15')."""
    minutes = int(round(minutes))
    return f"{minutes // 60}:{minutes % 60:02d}"


def md_table(df: pd.DataFrame) -> str:
    """A MyST (GitHub-style) pipe table with a header row; cell text may hold MyST roles."""
    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(c) for c in df.columns) + " |",
             "|" + "|".join("---" for _ in df.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def lab_link(kit: Kit, lab_id: str | None) -> str:
    """A link to the lab's page if the lab is in the table of contents, else its title in italics."""
    if not lab_id:
        return "none"
    title = lab_title(kit.book, lab_id)
    return f"{{doc}}`{title} </labs/{lab_id}>`" if f"labs/{lab_id}" in kit.toc else f"*{title}*"


def chapter_link(docname: str) -> str:
    return f"{{doc}}`/{docname}`"


def _due_by_week(syllabus: dict) -> dict[int, list[str]]:
    due: dict[int, list[str]] = {}
    for a in syllabus["assignments"]:
        due.setdefault(a["due"], []).append(a["id"])
    return due


def weeks_frame(kit: Kit) -> pd.DataFrame:
    """One row per week of the 12-week seminar (plain values: keys, ids, minutes)."""
    due = _due_by_week(kit.syllabus)
    rows = []
    for w in kit.syllabus["weeks"]:
        rows.append({"week": w["week"], "question": w["question"], "chapters": w["chapters"],
                     "required": w["required_readings"], "optional": w.get("optional_readings") or [],
                     "required_min": reading_minutes(w["required_readings"], kit.guides),
                     "optional_min": reading_minutes(w.get("optional_readings") or [], kit.guides),
                     "lab": w.get("lab"), "due": due.get(w["week"], []),
                     "discussion_focus": w["discussion_focus"]})
    return pd.DataFrame(rows)


def condensed_frame(kit: Kit) -> pd.DataFrame:
    """One row per session of the 6-week variant, derived from the weeks it covers."""
    weeks = weeks_frame(kit).set_index("week")
    rows = []
    for s in kit.syllabus["condensed"]:
        sub = weeks.loc[s["weeks"]]
        required = s["required_readings"]
        others = [k for ks in list(sub["required"]) + list(sub["optional"]) for k in ks if k not in required]
        labs = list(dict.fromkeys(x for x in sub["lab"] if x))
        rows.append({"session": s["session"], "weeks": s["weeks"],
                     "questions": list(sub["question"]),
                     "chapters": [c for cs in sub["chapters"] for c in cs],
                     "required": required, "optional": list(dict.fromkeys(others)),
                     "required_min": reading_minutes(required, kit.guides),
                     "labs": labs, "due": [a for ds in sub["due"] for a in ds],
                     "discussion_focus": list(sub["discussion_focus"])})
    return pd.DataFrame(rows)


def calendar_frame(kit: Kit) -> pd.DataFrame:
    """The assignment calendar: id, title, kind, released and due week (12 weeks), due session (6)."""
    session_of = {n: s["session"] for s in kit.syllabus["condensed"] for n in s["weeks"]}
    rows = [{"id": a["id"], "title": a["title"], "kind": a["kind"], "released": a["released"],
             "due": a["due"], "due_condensed": session_of.get(a["due"]), "time_min": a["time_min"]}
            for a in kit.syllabus["assignments"]]
    return pd.DataFrame(rows).sort_values(["due", "id"], kind="stable").reset_index(drop=True)


def alignment_frame(kit: Kit) -> pd.DataFrame:
    """One row per outcome: id, statement, chapters, readings, labs, questions ('ps/grade_id'), papers."""
    rows = []
    for o in kit.outcomes["outcomes"]:
        rows.append({"id": o["id"], "statement": o["statement"], "chapters": o.get("chapters") or [],
                     "readings": o.get("readings") or [], "labs": o.get("labs") or [],
                     "questions": [f"{ps}/{g}" for ps, gs in (o.get("questions") or {}).items() for g in gs],
                     "papers": o.get("papers") or []})
    return pd.DataFrame(rows)


def question_outcomes_frame(kit: Kit) -> pd.DataFrame:
    """Every graded question of the source notebooks with its kind, points and the outcomes it assesses."""
    owners: dict[tuple[str, str], list[str]] = {}
    for o in kit.outcomes["outcomes"]:
        for ps, gids in (o.get("questions") or {}).items():
            for gid in gids:
                owners.setdefault((ps, gid), []).append(o["id"])
    q = kit.questions.copy()
    q["outcomes"] = [owners.get((r.assignment, r.grade_id), []) for r in q.itertuples()]
    return q


def rubric_frame(rubric: dict) -> pd.DataFrame:
    """A rubric as a table: criterion, then one column per level (best first) 'points: descriptor'.

    Only ``criteria`` are read, so fields such as ``strong_answer`` (guidance for graders) never
    reach the table.
    """
    rows = []
    width = max(len(c["levels"]) for c in rubric["criteria"])
    for c in rubric["criteria"]:
        levels = sorted(c["levels"], key=lambda lv: -float(lv["points"]))
        row = {"Criterion": c["criterion"], "Points": f"{float(levels[0]['points']):g}"}
        for i in range(width):
            row[f"Level {i + 1}"] = (f"**{float(levels[i]['points']):g}**: {levels[i]['descriptor'].strip()}"
                                     if i < len(levels) else "")
        rows.append(row)
    return pd.DataFrame(rows)


def self_study_frame(kit: Kit) -> pd.DataFrame:
    """The self-study path: one step per week, with minutes for the chapter, required readings, the
    lab (first use only; later uses are revisits at no extra time) and problem sets due that week."""
    wpm = kit.syllabus["self_study"]["chapter_words_per_minute"]
    lab_min = {lab["id"]: lab["time_min"] for lab in kit.syllabus["labs"]}
    ps = {a["id"]: a for a in kit.syllabus["assignments"] if a["kind"] == "problem set"}
    seen: set[str] = set()
    rows = []
    for w in weeks_frame(kit).itertuples():
        chapter_min = sum(-(-chapter_words(kit.book, ch) // wpm) for ch in w.chapters)
        lab = w.lab
        lab_minutes = 0 if (lab is None or lab in seen) else lab_min[lab]
        revisit = lab in seen
        seen.add(lab)
        sets = [a for a in w.due if a in ps]
        set_min = sum(ps[a]["time_min"] for a in sets)
        rows.append({"step": w.week, "question": w.question, "chapters": w.chapters,
                     "chapter_min": chapter_min, "readings": w.required, "reading_min": w.required_min,
                     "lab": lab, "lab_revisit": revisit, "lab_min": lab_minutes,
                     "problem_sets": sets, "problem_set_min": set_min,
                     "total_min": chapter_min + w.required_min + lab_minutes + set_min})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# MyST Markdown blocks for the pages (rendered with the file-level option
# ``mystnb: render_markdown_format: myst`` so that citations and links resolve)


def reading_list(kit: Kit, keys) -> str:
    """'Author (year), difficulty, N min' for each key, joined with '; ' (or 'none')."""
    if not keys:
        return "none"
    return "; ".join(f"{{cite:t}}`{k}` ({kit.guides[k]['difficulty']}, {kit.guides[k]['reading_time_min']} min)"
                     for k in keys)


def _titles(kit: Kit, ids) -> str:
    by_id = {a["id"]: a for a in kit.syllabus["assignments"]}
    return "; ".join(f"**{i}**: {by_id[i]['title']}" for i in ids) if ids else "nothing"


def week_markdown(kit: Kit, week: int) -> str:
    """The detailed entry of one week of the 12-week syllabus, as MyST Markdown."""
    w = weeks_frame(kit).set_index("week").loc[week]
    return "\n".join([
        f"**Week {week}. {w['question']}**",
        "",
        f"- Chapter: {', '.join(chapter_link(c) for c in w['chapters'])}",
        f"- Required reading ({w['required_min']} min): {reading_list(kit, w['required'])}",
        f"- Optional reading ({w['optional_min']} min): {reading_list(kit, w['optional'])}",
        f"- Model lab: {lab_link(kit, w['lab'])}",
        f"- Due this week: {_titles(kit, w['due'])}",
        f"- Discussion focus: {w['discussion_focus']}",
    ])


def plan_markdown(kit: Kit, week: int) -> str:
    """The 90-minute plan for one week as MyST Markdown: a timed run sheet, then prompts.

    Order: opening question, first activity, model demonstration, remaining activities, exit question.
    """
    plan = next((p for p in kit.plans if p["week"] == week), None)
    if plan is None:
        raise SeminarKitError(f"no session plan for week {week}")
    w = weeks_frame(kit).set_index("week").loc[week]
    demo = plan["demo"]
    acts = plan["activities"]
    steps = [("Opening question", plan["opening"]["minutes"], plan["opening"]["question"].strip())]
    steps += [(acts[0]["title"], acts[0]["minutes"], acts[0]["what"].strip())]
    steps += [(f"Model demonstration: {lab_link(kit, demo['lab'])}, section *{demo['section']}*",
               demo["minutes"], f"Show: {demo['show'].strip()} Ask: {demo['ask'].strip()}")]
    steps += [(a["title"], a["minutes"], a["what"].strip()) for a in acts[1:]]
    steps += [("Exit question", plan["exit"]["minutes"], plan["exit"]["question"].strip())]
    rows, clock = [], 0
    for title, minutes, what in steps:
        rows.append({"Time": f"{hours(clock)}–{hours(clock + minutes)}", "Minutes": minutes,
                     "Step": title, "What happens": what})
        clock += minutes
    prep = [f"**Question of the week.** {w['question']}", "",
            f"**Before class.** Students read {chapter_link(w['chapters'][0])}"
            + (f" and {', '.join(chapter_link(c) for c in w['chapters'][1:])}" if len(w['chapters']) > 1 else "")
            + f" and the required reading ({w['required_min']} min): {reading_list(kit, w['required'])}.",
            "", f"**Due this week.** {_titles(kit, w['due'])}.", "",
            md_table(pd.DataFrame(rows)), "", "**Discussion prompts**", ""]
    prep += [f"{i}. {q}" for i, q in enumerate(plan["discussion_prompts"], start=1)]
    return "\n".join(prep)


def cluster_markdown(kit: Kit, cluster_id: str) -> str:
    """A discussion guide for one cluster: aim, readings (from the guides), questions, debates."""
    c = next((c for c in kit.discussion["clusters"] if c["id"] == cluster_id), None)
    if c is None:
        raise SeminarKitError(f"no discussion cluster {cluster_id!r}")
    readings = [k for k, g in kit.guides.items() if g["chapter"] in c["chapters"]]
    order = {ch: i for i, ch in enumerate(c["chapters"])}
    readings.sort(key=lambda k: order[kit.guides[k]["chapter"]])
    lines = [f"**Aim.** {c['aim'].strip()}", "",
             f"**Chapters.** {', '.join(chapter_link(ch) for ch in c['chapters'])} "
             f"(weeks {', '.join(str(n) for n in c['weeks'])} of the 12-week seminar).", ""]
    if readings:
        table = pd.DataFrame([{"Reading": f"{{cite:t}}`{k}`", "Theme": kit.guides[k].get("theme", ""),
                               "Difficulty": kit.guides[k]["difficulty"],
                               "Minutes": kit.guides[k]["reading_time_min"],
                               "Guide in chapter": chapter_link(kit.guides[k]["chapter"])}
                              for k in readings])
        lines += ["**Readings in this cluster** (each has a guided reading in its chapter):", "",
                  md_table(table), ""]
    lines += ["**Questions across the readings**", ""]
    lines += [f"{i}. {q}" for i, q in enumerate(c["questions"], start=1)]
    for d in c.get("debates") or []:
        lines += ["", f"**Structured debate: {d['title']}.** Motion: *{d['motion'].strip()}*", ""]
        rows = []
        for side, label in (("for", "For the motion"), ("against", "Against the motion")):
            s = d[side]
            rows.append({"Side": label, "Position": s["position"],
                         "Points to make": " ".join(f"({i}) {p.strip()}" for i, p in enumerate(s["points"], 1)),
                         "Draw on": cite(s["draw_on"])})
        lines += [md_table(pd.DataFrame(rows)), "", "Listen for:", ""]
        lines += [f"- {x}" for x in d["listen_for"]]
    return "\n".join(lines)


def debate_format_markdown(kit: Kit) -> str:
    """The common debate format as a timed table, with its total."""
    rows, clock = [], 0
    for s in kit.discussion["debate_format"]:
        rows.append({"Time": f"{hours(clock)}–{hours(clock + s['minutes'])}", "Minutes": s["minutes"],
                     "Step": s["step"]})
        clock += s["minutes"]
    return md_table(pd.DataFrame(rows)) + f"\n\nTotal: {clock} minutes."


def rubric_markdown(rubric: dict, heading: str | None = None) -> str:
    """A rubric as MyST Markdown: optional bold heading, total points, the criteria table.

    Built from :func:`rubric_frame`, so grader-only fields such as ``strong_answer`` are never shown.
    """
    total = sum(max(float(lv["points"]) for lv in c["levels"]) for c in rubric["criteria"])
    out = [f"**{heading}**", ""] if heading else []
    out += [f"Worth {total:g} points.", "", md_table(rubric_frame(rubric))]
    return "\n".join(out)
