"""Issue 3: the book's data and chapters hold together (cheap checks, no build)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pybtex.database
import pytest
import yaml

from conftest import ROOT

BOOK = ROOT / "book"
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
TERM = re.compile(r"\{term\}`([^`<]+?)(?:\s*<([^>]+)>)?`")
GUIDE = re.compile(r"```\{guided-reading\}\s+(\S+)")
VERDICTS = {"correct", "corrected", "unverified", "duplicate", "dropped"}
DIFFICULTIES = {"introductory", "intermediate", "advanced"}


def bib_keys() -> set[str]:
    keys = set()
    for name in ("references.bib", "references_extra.bib"):
        keys |= set(pybtex.database.parse_file(BOOK / name).entries)
    return keys


def sources() -> dict[Path, str]:
    files = {p: p.read_text("utf-8") for p in BOOK.rglob("*.md") if "_build" not in p.parts}
    files.update({p: p.read_text("utf-8") for p in (ROOT / "notebooks").glob("*.ipynb")})
    return files


def guides() -> list[dict]:
    return yaml.safe_load((BOOK / "data" / "guided_readings.yaml").read_text("utf-8"))


def chapters() -> list[str]:
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text("utf-8"))
    return [c["file"] for part in toc["parts"] if part["caption"].startswith("Part")
            for c in part["chapters"]]


def test_every_citation_resolves():
    keys = bib_keys()
    missing = {(p.name, k.strip()) for p, text in sources().items()
               for group in CITE.findall(text) for k in group.split(",") if k.strip() not in keys}
    assert not missing


def test_citation_check_catches_an_unknown_key():
    text = "as argued by {cite:t}`nosuchauthor2099`"
    assert [k for g in CITE.findall(text) for k in g.split(",") if k not in bib_keys()]


def test_guided_readings_are_complete_and_resolve():
    items = guides()
    keys = [g["key"] for g in items]
    assert len(set(keys)) == len(keys), "a reference has two guides"
    assert len(keys) >= 25
    assert set(keys) <= bib_keys()
    for g in items:
        assert g["difficulty"] in DIFFICULTIES, g["key"]
        assert isinstance(g["reading_time_min"], int) and 5 <= g["reading_time_min"] <= 600
        assert len(g["after_reading"]) >= 3, g["key"]
        assert g["while_reading"] and g["why_it_matters"] and g["before_reading"], g["key"]
        page = (BOOK / (g["chapter"] + ".md")).read_text("utf-8")
        assert g["key"] in GUIDE.findall(page), f"guide {g['key']} not rendered in {g['chapter']}"


def test_every_rendered_guide_has_data():
    keys = {g["key"] for g in guides()}
    rendered = {k for text in sources().values() for k in GUIDE.findall(text)}
    assert rendered <= keys, rendered - keys


@pytest.mark.parametrize("chapter", chapters())
def test_chapter_has_required_elements(chapter):
    text = (BOOK / (chapter + ".md")).read_text("utf-8")
    assert "Learning objectives" in text
    assert re.search(r"^## Summary", text, re.M)
    assert re.search(r"^## Discussion questions", text, re.M)
    assert "{exercise}" in text and "{solution}" in text
    if not chapter.endswith("conclusion"):
        assert len(GUIDE.findall(text)) >= 2
    headings = [len(m) for m in re.findall(r"^(#{1,6}) ", text, re.M)]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:])), "heading levels skip"


def glossary_terms() -> set[str]:
    text = (BOOK / "glossary.md").read_text("utf-8")
    block = text[text.index("{glossary}"):]
    return {ln.strip().lower() for ln in block.splitlines()
            if ln.strip() and not ln.startswith((" ", "\t", "`", ":"))}


def test_glossary_has_enough_terms_and_every_term_used_exists():
    terms = glossary_terms()
    assert len(terms) >= 30
    used = {" ".join((m[1] or m[0]).split()).lower() for text in sources().values() for m in TERM.findall(text)}
    assert used <= terms, used - terms


def test_reference_audit_covers_all_61_seed_entries_once():
    audit = pd.read_csv(BOOK / "data" / "reference_audit.csv")
    assert sorted(audit["seed_no"]) == list(range(1, 62))
    assert set(audit["verdict"]) <= VERDICTS
    kept = audit[audit["verdict"] != "dropped"]
    seed_bib = set(pybtex.database.parse_file(BOOK / "references.bib").entries)
    assert set(kept["bib_key"]) <= seed_bib
    assert audit.loc[audit["verdict"] != "correct", "problem"].notna().all()
    # every seed-list entry of references.bib is the target of some audit row
    assert seed_bib - {"herrigel2013process"} <= set(kept["bib_key"])
