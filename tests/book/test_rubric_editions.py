"""Issue 18 item 5: the public book grades in the open but keeps model answers private.

The problem sets' rubrics (``assignments/rubrics/<ps>.yaml``) hold specific level descriptors and
strong answers (and may hold ``grader_notes``): the *private texts*. The public book shows each
criterion with the public wording of ``book/data/rubrics_public.yaml``; only the instructor edition
(``python3 dev.py book --instructor``, Sphinx tag ``instructor``; book/_ext/rubric_editions.py) shows
the private texts. Checked here:

* the renderer: public output holds the public wording and none of the private texts, instructor
  output all of them; a rubric changed without its public wording is refused, never shown raw;
* the tag: a small Sphinx project built with and without ``-t instructor``;
* the session's public build of the whole book (tests/book/conftest.py): no private text in any
  file of ``_build/html`` (pages, ``_sources``, ``searchindex.js``, downloads, the wheel's
  files), and no word that only the private texts use in the search index.

The PDF is checked in tests/browser/test_pdf.py with :func:`private_only_stems`.
"""

from __future__ import annotations

import copy
import html as htmllib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import COURSE, ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import rubric_editions as editions  # noqa: E402  (book/_ext is not a package)

BOOK = ROOT / "book"
MIN_LEN = 25  # shorter texts ("Missing or wrong.") are generic and may occur anywhere
TEXT_SUFFIXES = {".html", ".js", ".txt", ".md", ".ipynb", ".json", ".css", ".xml", ".py", ".yaml",
                 ".yml", ".csv", ".svg", ".tex", ""}
_QUOTES = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
           "\u00a0": " ", "\u00ad": ""}


def normalise(text: str) -> str:
    """HTML tags removed, entities decoded, plain quotes and dashes, one space between words."""
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", text))
    for fancy, plain in _QUOTES.items():
        text = text.replace(fancy, plain)
    text = re.sub(r"\*\*|\\\|", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def squash(text: str) -> str:
    """What a leak check compares: tags removed (inline markup may split a sentence anywhere),
    entities decoded, plain quotes and dashes, no Markdown emphasis or code marks, no whitespace."""
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", text))
    for fancy, plain in _QUOTES.items():
        text = text.replace(fancy, plain)
    return re.sub(r"\s+|\*|`|\\\|", "", text)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", normalise(text).lower()))


def _questions(course: Path = COURSE):
    for path in sorted((course / "rubrics").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8")) or []
        for item in data.get("questions", []) if isinstance(data, dict) else data:
            yield path.stem, item


def public_texts(book: Path = BOOK) -> set[str]:
    public = yaml.safe_load((book / "data" / "rubrics_public.yaml").read_text("utf-8"))
    return {normalise(str(text)) for questions in public.values() for criteria in questions.values()
            for levels in criteria.values() for text in levels.values()}


def private_texts_of(item: dict, public: set[str], squashed: bool = True) -> list[str]:
    """The private texts of one rubric question, :func:`squash`-ed: specific descriptors (not
    also public wording, and long enough to be specific), the strong answer and graders' notes.
    With ``squashed=False``, the texts with their spaces (for word checks)."""
    found = [normalise(lv["descriptor"]) for c in item.get("criteria", []) for lv in c["levels"]]
    found = [t for t in found if len(t) >= MIN_LEN and t not in public]
    found += [normalise(item[k]) for k in ("strong_answer", "grader_notes")
              if str(item.get(k) or "").strip()]
    return [squash(t) for t in found] if squashed else found


def private_texts(course: Path = COURSE, book: Path = BOOK, squashed: bool = True) -> list[str]:
    public = public_texts(book)
    return sorted({t for _, item in _questions(course)
                   for t in private_texts_of(item, public, squashed)})


def visible_text(html_dir: Path) -> str:
    """The text of every built HTML page (not _sources, not scripts)."""
    parts = []
    for page in sorted(html_dir.rglob("*.html")):
        if "_sources" in page.relative_to(html_dir).parts:
            continue
        text = page.read_text("utf-8", errors="replace")
        parts.append(re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S))
    return normalise("\n".join(parts))


def stems(found: set[str]) -> set[str]:
    """English stems, as Sphinx's search index stores its terms (Snowball, lower case)."""
    from sphinx.search.en import SearchEnglish

    stem = SearchEnglish({}).stem
    return {stem(w).lower() for w in found}


def private_only_stems(html_dir: Path) -> set[str]:
    """Stems of the words (four letters or more) that the private texts use and no public page of
    ``html_dir`` uses in any form."""
    secret = set().union(*(words(t) for t in private_texts(squashed=False)))
    return stems(secret) - stems(words(visible_text(html_dir)))


def _rendered(spec: str, instructor: bool, book: Path = BOOK, course: Path = COURSE) -> str:
    lines, _ = editions.rubric_markdown(spec, book=book, course=course, instructor=instructor)
    return squash("\n".join(lines))


# -- the renderer -------------------------------------------------------------------------------


def test_there_are_private_texts_to_protect():
    texts = private_texts()
    assert len(texts) >= 20  # 10 questions: a strong answer each, and specific descriptors


def test_every_rubric_has_matching_public_wording():
    public = editions.read_yaml(BOOK / editions.PUBLIC_FILE)
    specs = [f"{ps}/{item['grade_id']}" for ps, item in _questions()]
    assert specs
    for (ps, item), spec in zip(_questions(), specs):
        wording = editions.public_wording(public, ps, item["grade_id"])
        assert editions.check_public_wording(item, wording, spec) == [], spec
    # and nothing in the public file for a question that does not exist
    listed = {f"{ps}/{gid}" for ps, qs in public.items() for gid in qs}
    assert listed == set(specs)


def test_public_edition_shows_wording_and_no_private_text_instructor_edition_shows_all():
    public = public_texts()
    for ps, item in _questions():
        spec = f"{ps}/{item['grade_id']}"
        shown, full = _rendered(spec, instructor=False), _rendered(spec, instructor=True)
        for criterion in item["criteria"]:
            assert squash(criterion["criterion"]) in shown
        secrets = private_texts_of(item, public)
        assert secrets, spec
        assert not [t for t in secrets if t in shown], spec
        assert all(t in full for t in secrets), spec


def test_graders_notes_and_strong_answers_reach_the_instructor_edition_only(tmp_path):
    course = tmp_path / "assignments"
    shutil.copytree(COURSE / "rubrics", course / "rubrics")
    items = yaml.safe_load((course / "rubrics" / "ps1.yaml").read_text("utf-8"))
    items[0]["grader_notes"] = "PLANTED GRADER NOTE: accept either ratio"
    items[0]["strong_answer"] = "PLANTED STRONG ANSWER: the second phase is steeper"
    (course / "rubrics" / "ps1.yaml").write_text(yaml.safe_dump(items), "utf-8")
    spec = f"ps1/{items[0]['grade_id']}"
    shown = _rendered(spec, instructor=False, course=course)
    full = _rendered(spec, instructor=True, course=course)
    assert "PLANTED" not in shown
    assert squash("PLANTED GRADER NOTE") in full and squash("PLANTED STRONG ANSWER") in full


def test_a_rubric_changed_without_its_public_wording_is_refused(tmp_path):
    course = tmp_path / "assignments"
    shutil.copytree(COURSE / "rubrics", course / "rubrics")
    items = yaml.safe_load((course / "rubrics" / "ps2.yaml").read_text("utf-8"))
    renamed = copy.deepcopy(items)
    renamed[0]["criteria"][0]["criterion"] = "A new criterion"
    (course / "rubrics" / "ps2.yaml").write_text(yaml.safe_dump(renamed), "utf-8")
    spec = f"ps2/{items[0]['grade_id']}"
    with pytest.raises(editions.RubricError, match="'A new criterion' has no public wording"):
        _rendered(spec, instructor=False, course=course)
    _rendered(spec, instructor=True, course=course)  # the instructor edition still builds
    relevelled = copy.deepcopy(items)
    relevelled[0]["criteria"][1]["levels"][1]["points"] = 0.25
    (course / "rubrics" / "ps2.yaml").write_text(yaml.safe_dump(relevelled), "utf-8")
    with pytest.raises(editions.RubricError, match="public wording for"):
        _rendered(spec, instructor=False, course=course)
    with pytest.raises(editions.RubricError, match="no public wording for ps2/q9_answer"):
        editions.public_wording(editions.read_yaml(BOOK / editions.PUBLIC_FILE), "ps2", "q9_answer")


# -- the Sphinx tag, end to end on a small project ------------------------------------------------

CONF = """
import sys
sys.path.insert(0, {ext!r})
project = "t"
extensions = ["myst_parser", "rubric_editions"]
html_theme = "sphinx_book_theme"
myst_enable_extensions = ["colon_fence"]
"""


def test_the_instructor_tag_switches_the_edition(tmp_path):
    src = tmp_path / "book"
    (src / "data").mkdir(parents=True)
    for name in ("rubrics_public.yaml", "seminar_rubrics.yaml"):
        shutil.copy2(BOOK / "data" / name, src / "data")
    shutil.copytree(COURSE / "rubrics", tmp_path / "assignments" / "rubrics")
    (src / "conf.py").write_text(CONF.format(ext=str(BOOK / "_ext")), "utf-8")
    (src / "index.md").write_text("# Rubrics\n\n```{course-rubric} ps4/q1_answer\n:heading: Q1\n```\n"
                                  "\n```{course-rubric} seminar/paper_proposal\n```\n", "utf-8")
    item = next(i for ps, i in _questions() if ps == "ps4" and i["grade_id"] == "q1_answer")
    secrets = private_texts_of(item, public_texts())
    built = {}
    for edition, tags in (("public", []), ("instructor", ["-t", "instructor"])):
        out = tmp_path / edition
        proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", *tags,
                               str(src), str(out)], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        built[edition] = squash((out / "index.html").read_text("utf-8"))
    assert "Researchquestion" in built["public"]  # the seminar rubric: public in both
    assert not [t for t in secrets if t in built["public"]]
    assert "Instructoredition" not in built["public"]
    assert all(t in built["instructor"] for t in secrets)
    assert squash(editions.BANNER) in built["instructor"]


# -- the public build of the whole book ---------------------------------------------------------


def _build_files(html_dir: Path):
    """(relative path, :func:`squash`-ed text) of every text file of the build and every member of
    a zip archive (the wheel) in it."""
    for path in sorted(p for p in html_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(html_dir).as_posix()
        if path.suffix in {".whl", ".zip"}:
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    yield f"{rel}!{name}", squash(zf.read(name).decode("utf-8", "replace"))
        elif path.suffix.lower() in TEXT_SUFFIXES:
            yield rel, squash(path.read_text("utf-8", errors="replace"))


def test_the_public_build_holds_no_private_rubric_text(clean_build):
    html_dir = clean_build / "_build" / "html"
    secrets = private_texts()
    leaks, seen = {}, set()
    for rel, text in _build_files(html_dir):
        seen.add(rel.split("/")[0])
        found = [t[:60] for t in secrets if t in text]
        if found:
            leaks[rel] = found
    assert not leaks, leaks
    assert {"_sources", "searchindex.js", "_downloads", "student_versions"} <= seen
    # The page does show the rubrics, in their public wording.
    page = squash((html_dir / "instructors" / "rubrics.html").read_text("utf-8"))
    shown = [squash(t) for t in public_texts() if len(t) >= MIN_LEN]
    assert shown and all(t in page for t in shown)


def test_the_scan_would_catch_a_leak(tmp_path):
    planted = tmp_path / "html"
    (planted / "instructors").mkdir(parents=True)
    secret = next(t for t in private_texts_of(next(_questions())[1], public_texts()))
    text = normalise(next(lv["descriptor"] for ps, item in _questions()
                          for c in item["criteria"] for lv in c["levels"]
                          if squash(normalise(lv["descriptor"])) == secret))
    # as Sphinx would write it: curly quotes, an inline tag splitting a word, a line break
    page = f"<p>{text[:17]}<em>{text[17:30]}</em>\n{text[30:]}</p>".replace("'", "&#8217;")
    (planted / "instructors" / "rubrics.html").write_text(page, "utf-8")
    assert any(secret in found for _, found in _build_files(planted))


def _index_terms(html_dir: Path) -> set[str]:
    text = (html_dir / "searchindex.js").read_text("utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    return {t.lower() for t in index["terms"]} | {t.lower() for t in index["titleterms"]}


def test_the_search_index_holds_no_word_only_the_private_texts_use(clean_build):
    html_dir = clean_build / "_build" / "html"
    only_private = private_only_stems(html_dir)
    assert len(only_private) >= 5, only_private  # the check has something to find
    assert max(len(w) for w in only_private) < 25, only_private  # words, not squashed sentences
    indexed = sorted(only_private & _index_terms(html_dir))
    assert not indexed, indexed
