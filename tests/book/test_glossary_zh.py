"""Issue 17: Chinese terms in the glossary, each with the source in which it was found used.

``book/data/glossary_zh.yaml`` holds, per glossary term, the simplified characters, the pinyin, the
address of a Chinese-language source and the passage there that uses the term; the glossary page
shows one "Chinese:" line per entry and ``book/glossary_zh.md`` the bilingual table. No build needed.
"""

from __future__ import annotations

import re

import yaml

from conftest import ROOT

BOOK = ROOT / "book"
CHINESE_LINE = re.compile(r"^  Chinese: (\S+) \(\*([^*]+)\*\)\.$", re.M)
PINYIN = re.compile(r"^[a-züāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+( [a-züāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+)*$")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")


def entries() -> list[dict]:
    return yaml.safe_load((BOOK / "data" / "glossary_zh.yaml").read_text("utf-8"))


def glossary_chinese(text: str) -> dict[str, tuple[str, str]]:
    """{term: (characters, pinyin)} from the "Chinese:" lines of the glossary page."""
    found, term = {}, None
    for line in text.splitlines():
        if line and not line.startswith((" ", "`", ":", "#", "(")):
            term = line.strip().lower()
        match = CHINESE_LINE.match(line)
        if match:
            assert term not in found, f"two Chinese lines for {term}"
            found[term] = (match.group(1), match.group(2))
    return found


def entry_problems(items: list[dict], glossary_text: str) -> list[str]:
    """Entries without a usable source, and glossary lines that differ from the data file."""
    problems = []
    for e in items:
        shown = e.get("traditional") or e["zh"]
        if not HAN.match(e["zh"]) or not PINYIN.match(e["pinyin"]):
            problems.append(f"{e['term']}: characters or pinyin malformed")
        if not e["url"].startswith(("http://", "https://")):
            problems.append(f"{e['term']}: no address for the source")
        if shown not in e["passage"] or len(e["passage"]) > 200:
            problems.append(f"{e['term']}: the passage does not show the term in use")
    wanted = {e["term"]: (e["zh"], e["pinyin"]) for e in items}
    shown = glossary_chinese(glossary_text)
    if shown != wanted:
        problems.append(f"glossary page and data file differ: {set(shown.items()) ^ set(wanted.items())}")
    return problems


def test_every_chinese_term_has_a_source_showing_its_use_and_matches_the_glossary():
    text = (BOOK / "glossary.md").read_text("utf-8")
    items = entries()
    assert len(items) >= 10
    terms = {line.strip().lower() for line in text[text.index("{glossary}"):].splitlines()
             if line.strip() and not line.startswith((" ", "`", ":"))}
    assert {e["term"] for e in items} <= terms
    assert entry_problems(items, text) == []


def test_the_check_fails_on_a_coined_or_unsourced_term():
    text = (BOOK / "glossary.md").read_text("utf-8")
    items = entries()
    coined = text.replace("  Source: {cite:t}`march1991exploration`.\n",
                          "  Source: {cite:t}`march1991exploration`.\n  Chinese: 代码学习率 (*dàimǎ xuéxí lǜ*).\n", 1)
    assert coined != text and entry_problems(items, coined)
    unsourced = [dict(items[0], passage="没有这个词")] + items[1:]
    assert entry_problems(unsourced, text)


def test_the_bilingual_table_page_is_in_the_book():
    page = (BOOK / "glossary_zh.md").read_text("utf-8")
    assert "(glossary-zh)=\n# Chinese terms: a bilingual table" in page
    assert "glossary_zh.yaml" in page
    toc = (BOOK / "_toc.yml").read_text("utf-8")
    assert "- file: glossary_zh" in toc and "- file: seed_article" in toc
    assert "{ref}`glossary-zh`" in (BOOK / "glossary.md").read_text("utf-8")
