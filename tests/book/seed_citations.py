"""Find the book's sentences that cite the seed article or its companion chapter (issue 17).

Used by ``test_seed_attribution.py``; run it to list sentences that the review table
(``book/data/seed_citation_review.csv``) does not cover yet, as CSV rows to review and paste::

    .venv/bin/python tests/book/seed_citations.py --missing

What counts as a sentence: prose in the book's Markdown pages (``book/**/*.md``; code cells are
skipped except their figure captions and alt texts) and every string in the data files
(``book/data/*.yaml``), cut at sentence ends, list items and table rows. A sentence *cites the
article* when it names it: its bibliography key ``herrigel2013process``, "seed article", "seed
abstract", "the abstract", "the article's" introduction/abstract/title/opening, or "Herrigel". It
*cites the companion chapter* when it has ``herrigel2013governance`` or says "related chapter" or
"companion chapter". The register of what we could read is ``book/data/seed_texts.yaml``.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
REGISTER = BOOK / "data" / "seed_texts.yaml"
REVIEW = BOOK / "data" / "seed_citation_review.csv"

ARTICLE = re.compile(r"herrigel2013process|seed article|seed abstract|the abstract|abstract's"
                     r"|article's (?:introduction|abstract|title|opening)|\bHerrigel\b", re.I)
COMPANION = re.compile(r"herrigel2013governance|related chapter|companion chapter", re.I)
ARTICLE_KEY_OR_NAME = re.compile(r"herrigel2013process|seed article|seed abstract"
                                 r"|article's (?:introduction|abstract|title|opening)", re.I)
# A quotation: text between straight or curly double quotes (at least two words).
QUOTE = re.compile(r"[\"“]([^\"“”]+?\s[^\"“”]+?)[\"”]")
SENTENCE_END = re.compile(r"(?<=[.!?])[)*_]*\s+(?=[A-Z\"“*({\[`])")
FENCE = re.compile(r"^(`{3,}|~{3,})")


def normalise(text: str) -> str:
    """Lower case, one space between words, straight quotes and apostrophes."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).lower()


def markdown_units(text: str) -> list[str]:
    """Paragraphs, list items and table rows of a MyST page; code cells give only captions/alts."""
    units: list[str] = []
    current: list[str] = []
    fence, fence_is_code = None, False

    def flush():
        if current:
            units.append(" ".join(current))
            current.clear()

    for line in text.splitlines():
        stripped = line.strip()
        marker = FENCE.match(stripped)
        if fence and marker and stripped.rstrip("`~") == "" and len(stripped) >= len(fence):
            flush()
            fence = None
            continue
        if fence and fence_is_code:
            if re.match(r"\s*(caption|alt):", line):
                units.append(line.split(":", 1)[1].strip().strip('"'))
            continue
        if marker and not fence:
            flush()
            fence = marker.group(1)
            fence_is_code = not re.match(r"(`{3,}|~{3,})\{(?!code)", stripped)
            continue
        if marker:  # a nested directive inside a prose directive
            flush()
            continue
        if not stripped or stripped.startswith(":") or re.fullmatch(r"\(.*\)=|-{3,}", stripped):
            flush()
            continue
        if re.match(r"(\d+\.|[-*+])\s", stripped) or stripped.startswith(("#", "|")):
            flush()
        current.append(stripped)
    flush()
    return units


def yaml_strings(value) -> list[str]:
    """Every string in a loaded YAML document, in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in yaml_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in yaml_strings(v)]
    return []


def sentences(unit: str) -> list[str]:
    return [" ".join(s.split()) for s in SENTENCE_END.split(unit) if s.strip()]


def book_sentences() -> dict[tuple[str, str], int]:
    """``(file, sentence)`` -> how many times it occurs, for every sentence of the book."""
    found: dict[tuple[str, str], int] = {}
    files = sorted(p for p in BOOK.rglob("*.md") if "_build" not in p.parts)
    files += sorted((BOOK / "data").glob("*.yaml"))
    for path in files:
        text = path.read_text("utf-8")
        if path.suffix == ".md":
            units = markdown_units(text)
        else:
            if path == REGISTER:
                continue
            units = yaml_strings(yaml.safe_load(text))
        rel = path.relative_to(BOOK).as_posix()
        for unit in units:
            for s in sentences(unit):
                found[(rel, s)] = found.get((rel, s), 0) + 1
    return found


def citing_sentences() -> list[tuple[str, str]]:
    """The sentences that cite the seed article (see the module docstring), in book order."""
    return [key for key in book_sentences() if ARTICLE.search(key[1])]


def register() -> dict:
    return yaml.safe_load(REGISTER.read_text("utf-8"))


def register_texts(work: str | None = None) -> list[str]:
    """Normalised register lines, of one work (bib key) or of both."""
    return [normalise(line["text"]) for line in register()["lines"]
            if work is None or line["work"] == work]


def quotations(sentence: str) -> list[str]:
    """Direct quotations in a sentence (two words or more between double quotes)."""
    return [q.strip(" ,.;:") for q in QUOTE.findall(sentence)]


def quotation_problems(pairs) -> list[str]:
    """Quotations credited to either work that are not, word for word, in the register."""
    texts = register_texts()
    others = [normalise(q["quote"]) for q in register().get("other_quotations", [])]
    problems = []
    for path, sentence in pairs:
        if not (ARTICLE.search(sentence) or COMPANION.search(sentence)):
            continue
        for quote in quotations(sentence):
            if not any(normalise(quote) in t for t in texts + others):
                problems.append(f"{path}: \"{quote}\" is not in the seed-text register ({sentence[:90]}...)")
    return problems


def companion_word_problems(pairs) -> list[str]:
    """Sentences citing the article, not the companion chapter, that use companion-only words."""
    words = register()["companion_only"]
    problems = []
    for path, sentence in pairs:
        if not ARTICLE_KEY_OR_NAME.search(sentence) or COMPANION.search(sentence):
            continue
        for word in words:
            pattern = re.escape(word).replace(r"\ ", r"[\s-]+")
            if re.search(r"(?<![\w-])" + pattern + r"(?![\w-])", sentence, re.I):
                problems.append(f"{path}: \"{word}\" is the companion chapter's, but the sentence "
                                f"cites the article: {sentence[:100]}...")
    return problems


def review_rows() -> list[dict]:
    with REVIEW.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main(argv: list[str]) -> int:
    if "--missing" not in argv:
        print(__doc__)
        return 0
    reviewed = {(r["file"], r["sentence"]) for r in review_rows()} if REVIEW.exists() else set()
    writer = csv.writer(sys.stdout)
    for path, sentence in citing_sentences():
        if (path, sentence) not in reviewed:
            writer.writerow([path, sentence, "", ""])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
