"""Issue 17: every claim credited to the text that makes it; an audit that says "unverified".

The register of what we could read of the seed article and its companion chapter is
``book/data/seed_texts.yaml``; the review of every sentence that cites the article is
``book/data/seed_citation_review.csv``; the sentence finder is ``seed_citations.py`` (run it with
``--missing`` to list sentences still to review). Each check is also run on a planted error, so each
test is seen to fail. No book build needed (about a second).
"""

from __future__ import annotations

import re

import pandas as pd
import pybtex.database
import pytest

from . import seed_citations as sc
from conftest import ROOT

BOOK = ROOT / "book"
SEED_KEYS = {"herrigel2013process", "herrigel2013governance"}
BASIS_WORDS = {"our reading", "no claim", "other work"}


@pytest.fixture(scope="module")
def register() -> dict:
    return sc.register()


@pytest.fixture(scope="module")
def sentences() -> list[tuple[str, str]]:
    return list(sc.book_sentences())


# --- the register ---------------------------------------------------------------------------------

def test_register_lines_have_ids_works_sources_and_text(register):
    lines = register["lines"]
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids))
    for line in lines:
        assert line["work"] in SEED_KEYS, line
        assert line["part"] in {"title", "abstract", "introduction", "opening"}, line
        assert len(line["source"]) > 20 and len(line["text"]) > 20, line
    parts = {(line["work"], line["part"]) for line in lines}
    assert {("herrigel2013process", "abstract"), ("herrigel2013process", "introduction"),
            ("herrigel2013governance", "opening")} <= parts


def test_companion_only_words_are_in_the_companion_and_not_in_the_article(register):
    article = " ".join(sc.register_texts("herrigel2013process"))
    companion = " ".join(sc.register_texts("herrigel2013governance"))
    for word in register["companion_only"]:
        pattern = re.escape(sc.normalise(word)).replace(r"\ ", r"[\s-]+")
        assert re.search(pattern, companion), word
        assert not re.search(pattern, article), word


def test_seed_page_shows_every_register_line_verbatim(register):
    page = (BOOK / "seed_article.md").read_text("utf-8")
    assert "(seed-abstract)=\n# The seed article: abstract\n" in page
    flat = sc.normalise(page.replace("\n> ", " "))
    for line in register["lines"]:
        assert sc.normalise(line["text"]) in flat, line["id"]
    abstract = " ".join(line["text"] for line in register["lines"] if line["part"] == "abstract")
    assert sc.normalise(abstract) in flat
    overview = (BOOK / "chapters" / "overview.md").read_text("utf-8")
    assert "{ref}`seed-abstract`" in overview


# --- quotations -----------------------------------------------------------------------------------

def test_every_quotation_credited_to_the_seed_works_is_in_the_register(sentences):
    assert sc.quotation_problems(sentences) == []


@pytest.mark.parametrize("planted", [
    # a word inserted inside a quotation of the abstract
    ("x.md", 'The abstract says producers "successfully upgraded by humbly apprenticing themselves" '
             "{cite:p}`herrigel2013process`."),
    # words of neither text quoted as the companion chapter's
    ("x.md", 'The related chapter says multinationals "added engineering and design capability" '
             "{cite:p}`herrigel2013governance`."),
])
def test_quotation_check_fails_on_a_planted_misquotation(planted):
    assert len(sc.quotation_problems([planted])) == 1


def test_quotation_check_accepts_a_verbatim_quotation():
    ok = ("x.md", 'The abstract says that "apprenticeship disappears and Chinese and foreign players '
                  'learn from one another" {cite:p}`herrigel2013process`.')
    assert sc.quotation_problems([ok]) == []


# --- companion words credited to the article ------------------------------------------------------

def test_no_sentence_credits_the_companion_chapters_words_to_the_article(sentences):
    assert sc.companion_word_problems(sentences) == []


@pytest.mark.parametrize("sentence", [
    "In its push after 1992, the abstract says, Chinese manufacturing was a platform for high-volume, "
    "low-cost production for export {cite:p}`herrigel2013process`.",
    "Multinationals were expanding engineering and design work in China {cite:p}`herrigel2013process`.",
])
def test_companion_word_check_fails_on_a_planted_misattribution(sentence):
    assert sc.companion_word_problems([("x.md", sentence)])


def test_companion_word_check_accepts_the_same_words_cited_to_the_companion():
    ok = ("x.md", "Multinationals need to augment engineering capability in China, the related chapter "
                  "says {cite:p}`herrigel2013governance`.")
    assert sc.companion_word_problems([ok]) == []


# --- the review table -----------------------------------------------------------------------------

def review_problems(citing: list[tuple[str, str]], rows: list[dict], ids: set[str]) -> list[str]:
    """Citing sentences without a review row, rows for sentences no longer in the book, bad bases."""
    reviewed = {(r["file"], r["sentence"]) for r in rows}
    problems = [f"{f}: no review row for: {s}" for f, s in citing if (f, s) not in reviewed]
    present = set(citing)
    problems += [f"{r['file']}: stale review row: {r['sentence'][:80]}" for r in rows
                 if (r["file"], r["sentence"]) not in present]
    for r in rows:
        tokens = [t.strip() for t in r["basis"].split(";") if t.strip()]
        bad = [t for t in tokens if t not in ids and t not in BASIS_WORDS]
        if not tokens or bad:
            problems.append(f"{r['file']}: bad basis {r['basis']!r}: {r['sentence'][:80]}")
    return problems


def test_every_sentence_citing_the_article_has_a_review_row(register):
    ids = {line["id"] for line in register["lines"]}
    rows = sc.review_rows()
    assert len(rows) == len({(r["file"], r["sentence"]) for r in rows}), "duplicate review rows"
    problems = review_problems(sc.citing_sentences(), rows, ids)
    assert problems == [], ("Review these sentences (run tests/book/seed_citations.py --missing):\n"
                            + "\n".join(problems[:20]))


def test_review_check_fails_on_a_planted_unreviewed_sentence(register):
    ids = {line["id"] for line in register["lines"]}
    rows = sc.review_rows()
    citing = sc.citing_sentences() + [("chapters/x.md", "The seed article shows that trust is cheap.")]
    assert review_problems(citing, rows, ids) == [
        "chapters/x.md: no review row for: The seed article shows that trust is cheap."]
    bad_row = dict(rows[0], basis="abstract-99")
    assert review_problems(sc.citing_sentences(), [bad_row] + rows[1:], ids)


def test_a_sentence_that_claims_our_reading_is_not_mapped_to_the_texts_alone():
    """A row whose sentence says "our reading" must say so in its basis too."""
    rows = sc.review_rows()
    wrong = [r["sentence"][:80] for r in rows if re.search(r"\bour reading\b", r["sentence"], re.I)
             and not {"our reading", "no claim"} & {t.strip() for t in r["basis"].split(";")}]
    assert wrong == []


# --- the reference audit --------------------------------------------------------------------------

NO_SOURCE = re.compile(r"(?i)^\s*(unverified|not verified|no source|none)\b|no source found with")
UNSURE = re.compile(r"(?i)unverified|not (fully )?verified|could not (be )?(confirm|verif)")


def audit_problems(audit: pd.DataFrame) -> list[str]:
    """Rows whose verdict says more than was checked (see book/back/reference_audit.md)."""
    problems = []
    for row in audit.itertuples(index=False):
        evidence, problem = str(row.evidence or ""), str(row.problem or "")
        if row.verdict in {"correct", "corrected"}:
            if len(evidence.strip()) < 15 or NO_SOURCE.search(evidence):
                problems.append(f"[{row.seed_no}] {row.verdict} without the source that verified it")
        if row.verdict == "correct" and UNSURE.search(problem + " " + evidence):
            problems.append(f"[{row.seed_no}] correct, but its own notes say it is not verified")
        if row.verdict == "unverified" and not problem.strip():
            problems.append(f"[{row.seed_no}] unverified without saying what could not be checked")
    return problems


def load_audit() -> pd.DataFrame:
    return pd.read_csv(BOOK / "data" / "reference_audit.csv", dtype=str, keep_default_na=False)


def test_audit_verdicts_say_no_more_than_was_checked():
    audit = load_audit()
    assert set(audit["verdict"]) == {"correct", "corrected", "unverified", "duplicate", "dropped"}
    assert audit_problems(audit) == []


@pytest.mark.parametrize("seed_no, changes", [
    ("14", {"verdict": "correct"}),                       # its notes say the authors are unverified
    ("27", {"evidence": ""}),                              # corrected, but no source named
    ("8", {"problem": ""}),                                # unverified, but nothing said
])
def test_audit_check_fails_on_a_planted_overclaim(seed_no, changes):
    audit = load_audit()
    for column, value in changes.items():
        audit.loc[audit["seed_no"] == seed_no, column] = value
    assert audit_problems(audit)


def test_unverified_rows_are_flagged_in_the_bibliography_and_duplicates_have_a_primary():
    audit = load_audit()
    bib = pybtex.database.parse_file(BOOK / "references.bib").entries
    for row in audit[audit["verdict"] == "unverified"].itertuples():
        fields = {k.lower(): v for k, v in bib[row.bib_key].fields.items()}
        # The note is what the book's bibliography prints (x- fields are not shown to readers).
        assert fields.get("note", "").startswith("UNVERIFIED"), \
            f"{row.bib_key}: unverified in the audit but not flagged in the printed bibliography"
    for key in set(audit.loc[audit["verdict"] == "duplicate", "bib_key"]):
        verdicts = set(audit.loc[audit["bib_key"] == key, "verdict"])
        assert verdicts & {"correct", "corrected", "unverified"}, f"{key}: only duplicates"
