"""Rubrics in two editions: the public book says how answers are graded, the instructor edition what
a strong answer says.

Students should know how they are graded, but a rubric's level descriptors for a problem-set question
(``assignments/rubrics/<ps>.yaml``) name the very explanations the question asks for, and its
``strong_answer`` (and any ``grader_notes``) are model answers. So:

* the **public book** (``python3 dev.py book``, ``book/_build/html``) shows, for each problem-set
  question, its criteria and levels in the words of ``book/data/rubrics_public.yaml``: what quality
  looks like, without the expected answer. It never reads a ``descriptor``, ``strong_answer`` or
  ``grader_notes`` of an assignment rubric into a page;
* the **instructor edition** (``python3 dev.py book --instructor``, ``book/_build/instructor/html``;
  Sphinx tag ``instructor``) shows the specific descriptors, the strong answers and graders' notes,
  and says on every page that it must not be published.

The seminar rubrics in ``book/data/seminar_rubrics.yaml`` (seminar paper, proposal, default rubric for
short written answers) are written for students in both editions: their tasks are open, so their
descriptors say what quality looks like; a ``strong_answer`` or ``grader_notes`` there would appear in
the instructor edition only.

The directive ``{course-rubric}`` takes ``<ps>/<grade_id>`` or ``seminar/<name>`` and an optional
``:heading:``; ``book/instructors/rubrics.md`` writes one per question. In the public edition it
checks that the public wording matches the assignment rubric (same criteria, same level points) and
warns otherwise, which fails the strict build: a rubric changed without its public wording never
falls back to the private text. Secret text never enters a page source (``_sources/``), a notebook
output or the search index of the public build: it is read from the data files only when the tag is
set. ``tests/book/test_rubric_editions.py`` checks the public build. The instructor edition shares
the public build's execution cache safely: no notebook's output depends on the edition (the rubric
page only writes ``{course-rubric}`` directives, and it is executed afresh in every build).

Sphinx's tags and the ``only`` directive:
https://www.sphinx-doc.org/en/master/usage/restructuredtext/directives.html#including-content-based-on-tags
; Jupyter Book's ``build_sphinx`` (used by :func:`build_instructor_edition`) passes ``tags`` to Sphinx.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from docutils.statemachine import StringList
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

TAG = "instructor"
PUBLIC_FILE = Path("data") / "rubrics_public.yaml"      # relative to the book's source folder
SEMINAR_FILE = Path("data") / "seminar_rubrics.yaml"
BANNER = ("Instructor edition: holds rubric descriptors, strong answers and graders' notes. "
          "Do not publish it; publish only the public build (python3 dev.py book).")

logger = logging.getLogger(__name__)


class RubricError(ValueError):
    """A rubric or its public wording is missing or does not match; the message says what to fix."""


def _points(value) -> float:
    return float(value)


def _fmt(points: float) -> str:
    return f"{float(points):g}"


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def read_yaml(path: Path):
    """Parse a YAML file; RubricError naming the file when it is missing or malformed."""
    if not Path(path).is_file():
        raise RubricError(f"rubric data not found: {path}")
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RubricError(f"{path}: not valid YAML ({exc})") from exc


def assignment_rubric(course: Path, assignment: str, grade_id: str) -> dict:
    """The question ``grade_id`` of ``<course>/rubrics/<assignment>.yaml`` (either layout: a list of
    questions or ``{questions: [...]}``). RubricError when the file or the question is missing."""
    data = read_yaml(Path(course) / "rubrics" / f"{assignment}.yaml") or []
    items = data.get("questions") if isinstance(data, dict) else data
    for item in items or []:
        if isinstance(item, dict) and item.get("grade_id") == grade_id:
            return item
    raise RubricError(f"assignments/rubrics/{assignment}.yaml has no question {grade_id}")


def public_wording(public: dict, assignment: str, grade_id: str) -> dict:
    """``{criterion: {points: words}}`` for one question of ``rubrics_public.yaml``."""
    entry = ((public or {}).get(assignment) or {}).get(grade_id)
    if not isinstance(entry, dict) or not entry:
        raise RubricError(f"book/data/rubrics_public.yaml has no public wording for "
                          f"{assignment}/{grade_id}: add its criteria and levels there")
    return entry


def check_public_wording(rubric: dict, wording: dict, where: str) -> list[str]:
    """Problems when the public wording does not match the rubric: the same criteria (by name, in
    any order) and, for each, one text per level with the same points. Empty when they match."""
    problems = []
    names = [c.get("criterion") for c in rubric.get("criteria") or []]
    for name in names:
        if name not in wording:
            problems.append(f"{where}: criterion {name!r} has no public wording")
            continue
        levels = {_points(lv["points"]) for lv in rubric["criteria"][names.index(name)]["levels"]}
        given = {_points(p): text for p, text in (wording[name] or {}).items()}
        if set(given) != levels:
            problems.append(f"{where}: criterion {name!r} has levels "
                            f"{sorted(levels, reverse=True)}, public wording for "
                            f"{sorted(given, reverse=True)}")
        problems += [f"{where}: criterion {name!r}, level {_fmt(p)}: empty public wording"
                     for p, text in given.items() if not str(text or "").strip()]
    problems += [f"{where}: public wording for {name!r}, which the rubric does not have"
                 for name in wording if name not in names]
    return problems


def _table(rows: list[tuple[str, list[tuple[float, str]]]]) -> list[str]:
    """A Markdown table: criterion, points, then the levels best first as '**points**: text'."""
    width = max(len(levels) for _, levels in rows)
    head = ["Criterion", "Points"] + [f"Level {i + 1}" for i in range(width)]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, levels in rows:
        levels = sorted(levels, key=lambda lv: -lv[0])
        cells = [_cell(name), _fmt(levels[0][0])]
        cells += [f"**{_fmt(p)}**: {_cell(text)}" for p, text in levels]
        cells += [""] * (width - len(levels))
        out.append("| " + " | ".join(cells) + " |")
    return out


def public_markdown(rubric: dict, wording: dict) -> list[str]:
    """The public table of an assignment rubric: criterion names and points from the rubric, every
    level's words from the public wording. Reads no descriptor, strong answer or note."""
    rows = [(c["criterion"], [(_points(p), text) for p, text in wording[c["criterion"]].items()])
            for c in rubric["criteria"]]
    return _table(rows)


def full_markdown(rubric: dict) -> list[str]:
    """The instructor table: every level's descriptor, then the strong answer and graders' notes."""
    rows = [(c["criterion"], [(_points(lv["points"]), lv["descriptor"]) for lv in c["levels"]])
            for c in rubric["criteria"]]
    out = _table(rows)
    if str(rubric.get("strong_answer") or "").strip():
        out += ["", f"*Strong answer (instructor edition only):* {_cell(rubric['strong_answer'])}"]
    if str(rubric.get("grader_notes") or "").strip():
        out += ["", f"*Notes for graders (instructor edition only):* {_cell(rubric['grader_notes'])}"]
    return out


def rubric_markdown(spec: str, *, book: Path, course: Path, instructor: bool,
                    heading: str | None = None) -> tuple[list[str], list[Path]]:
    """Markdown lines for the rubric ``spec`` in one edition, and the data files it was built from.

    ``spec`` is ``<assignment>/<grade_id>`` (``assignments/rubrics/<assignment>.yaml``) or
    ``seminar/<name>`` (``book/data/seminar_rubrics.yaml``). Raises RubricError when a rubric or, in
    the public edition, its public wording is missing or does not match.
    """
    if spec.count("/") != 1:
        raise RubricError(f"rubric {spec!r}: expected '<ps>/<grade_id>' or 'seminar/<name>'")
    group, name = spec.split("/")
    if group == "seminar":
        rubric = (read_yaml(book / SEMINAR_FILE) or {}).get(name)
        if not isinstance(rubric, dict):
            raise RubricError(f"book/data/seminar_rubrics.yaml has no rubric {name!r}")
        files = [book / SEMINAR_FILE]
        # Written for students: the descriptors are public in both editions.
        body = full_markdown(rubric) if instructor else _table(
            [(c["criterion"], [(_points(lv["points"]), lv["descriptor"]) for lv in c["levels"]])
             for c in rubric["criteria"]])
    else:
        rubric = assignment_rubric(course, group, name)
        files = [course / "rubrics" / f"{group}.yaml"]
        if instructor:
            body = full_markdown(rubric)
        else:
            public = read_yaml(book / PUBLIC_FILE)
            files.append(book / PUBLIC_FILE)
            wording = public_wording(public, group, name)
            problems = check_public_wording(rubric, wording, spec)
            if problems:
                raise RubricError("; ".join(problems) + " (fix book/data/rubrics_public.yaml)")
            body = public_markdown(rubric, wording)
    total = sum(max(_points(lv["points"]) for lv in c["levels"]) for c in rubric["criteria"])
    out = ([f"**{heading}**", ""] if heading else []) + [f"Worth {_fmt(total)} points.", ""] + body
    return out, files


class CourseRubric(SphinxDirective):
    """``{course-rubric} <ps>/<grade_id>`` or ``seminar/<name>``: the rubric in this build's edition."""

    required_arguments = 1
    has_content = False
    option_spec = {"heading": directives.unchanged}

    def run(self):
        book = Path(self.env.srcdir)
        course = book.resolve().parent / "assignments"
        instructor = self.env.app.tags.has(TAG)
        try:
            lines, files = rubric_markdown(self.arguments[0], book=book, course=course,
                                           instructor=instructor,
                                           heading=self.options.get("heading"))
        except RubricError as exc:
            logger.warning(str(exc), location=self.get_location())
            return []
        for path in files:
            self.env.note_dependency(str(path))
        container = _container()
        self.state.nested_parse(StringList(lines, source=f"rubric {self.arguments[0]}"),
                                self.content_offset, container)
        return [container]


def _container():
    from docutils import nodes
    return nodes.container(classes=["course-rubric"])


def _on_config_inited(app, config):
    if app.tags.has(TAG):
        config.html_title = f"{config.html_title or config.project} (instructor edition)"
        config.html_theme_options = {**(config.html_theme_options or {}), "announcement": BANNER}


def setup(app):
    app.connect("config-inited", _on_config_inited)
    app.add_directive("course-rubric", CourseRubric)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}


def build_instructor_edition(book: Path, output: Path, extra_overrides: dict | None = None) -> int:
    """Build the instructor edition of ``book`` into ``output/html`` (doctrees in ``output``),
    strictly, like the public build, with the Sphinx tag ``instructor``. Notebooks are not run again:
    the public build's execution cache (``book/_build/.jupyter_cache``) is shared. Returns the exit
    code (0 on success)."""
    from jupyter_book.sphinx import build_sphinx

    book, output = Path(book).resolve(), Path(output).resolve()
    overrides = {"external_toc_path": str(book / "_toc.yml"), "nitpicky": True,
                 "latex_individualpages": False,
                 "nb_execution_cache_path": str(book / "_build" / ".jupyter_cache"),
                 **(extra_overrides or {})}
    result = build_sphinx(book, output / "html", noconfig=True,
                          path_config=str(book / "_config.yml"), confoverrides=overrides,
                          doctreedir=str(output / ".doctrees"), tags=[TAG], builder="html",
                          warningiserror=True, keep_going=True)
    if isinstance(result, Exception):
        print(f"error: {result}", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":
    # python book/_ext/rubric_editions.py BOOK OUTPUT   (what `python3 dev.py book --instructor` runs)
    sys.exit(build_instructor_edition(Path(sys.argv[1]), Path(sys.argv[2])))
