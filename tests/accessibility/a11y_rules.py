"""Accessibility rules shared by the notebook, book-source and built-book checks (WCAG 2.1 AA).

Each rule is a plain function that returns a list of problems (strings, empty when the input
passes), so a failing test can list every problem at once. The rules implement:

- alternative text that says what an image shows (WCAG 1.1.1): not empty, not a file name or URL,
  not a placeholder such as "figure 1" or "plot", and long enough to describe something;
- headings in order (WCAG 1.3.1, 2.4.6): one level-1 heading first, no level skipped going down;
- instructions that do not rely on colour alone (WCAG 1.4.1);
- link text that says where the link goes (WCAG 2.4.4).
"""

from __future__ import annotations

import re

#: Alternative text shorter than this many words cannot state what a figure shows.
MIN_ALT_WORDS = 6
_GENERIC_ALT = re.compile(
    r"^\s*(an?\s+|the\s+)?(figure|fig\.?|image|img|picture|graph|chart|plot|diagram|screenshot|"
    r"output|untitled|png|svg|jpe?g|alt|alt text|placeholder)(\s*[-_#:.]?\s*\d+)?\s*[.:]?\s*$",
    re.IGNORECASE)
_FILENAME_ALT = re.compile(r"(^\S+\.(png|jpe?g|gif|svg|webp|pdf)$)|(^(https?:|\.\./|\./|_images/))",
                           re.IGNORECASE)


def alt_problems(alt: str | None, where: str) -> list[str]:
    """Problems with one image's alternative text; ``where`` names the image in messages."""
    if alt is None:
        return [f"{where}: no alternative text"]
    text = " ".join(str(alt).split())
    if not text:
        return [f"{where}: empty alternative text"]
    if _FILENAME_ALT.search(text):
        return [f"{where}: alternative text is a file name or address ({text[:60]!r})"]
    if _GENERIC_ALT.match(text):
        return [f"{where}: alternative text is a placeholder ({text!r}), not a description"]
    if len(text.split()) < MIN_ALT_WORDS:
        return [f"{where}: alternative text too short to say what the image shows ({text!r})"]
    return []


def heading_problems(levels: list[tuple[int, str]], where: str) -> list[str]:
    """Problems with a page's heading outline, given (level, text) pairs in document order.

    The first heading must be the only level-1 heading, and no heading may be more than one level
    deeper than the heading before it (going back up any number of levels is fine).
    """
    if not levels:
        return [f"{where}: no headings"]
    problems = []
    if levels[0][0] != 1:
        problems.append(f"{where}: first heading {levels[0][1]!r} is level {levels[0][0]}, not 1")
    h1 = [text for level, text in levels if level == 1]
    if len(h1) > 1:
        problems.append(f"{where}: {len(h1)} level-1 headings ({h1[:3]})")
    for (prev, _), (level, text) in zip(levels, levels[1:]):
        if level > prev + 1:
            problems.append(f"{where}: heading {text!r} jumps from level {prev} to {level}")
    return problems


_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def markdown_headings(text: str) -> list[tuple[int, str]]:
    """(level, text) of the ATX headings in Markdown, skipping fenced code and directive blocks.

    Headings inside backtick or ``:::`` directive fences (admonitions, exercises, solutions) are
    skipped too: Sphinx renders them as rubrics inside the block, not as section headings. A fence
    closes on a line of the same character at least as long as the one that opened it.
    """
    out, fence = [], None
    if text.startswith("---\n") and "\n---" in text[4:]:  # YAML front matter
        text = text[text.index("\n---", 4) + 4:]
    for line in text.splitlines():
        m = _FENCE.match(line)
        if m:
            run = m.group(1)
            if fence is None:
                fence = run
            elif run[0] == fence[0] and len(run) >= len(fence) and line.strip() == run:
                fence = None
            continue
        if fence is None:
            h = _MD_HEADING.match(line)
            if h:
                out.append((len(h.group(1)), h.group(2)))
    return out


_COLOURS = (r"red|green|blue|orange|yellow|purple|violet|pink|brown|cyan|magenta|teal|turquoise|"
            r"vermilli?on|sky[- ]blue|bluish[- ]green|reddish[- ]purple")
#: Phrases that point at something by colour: "in red", "the green cell", "highlighted in yellow",
#: "the orange line", "coloured blue".
COLOUR_ONLY = re.compile(
    rf"\b(?:(?:in|with|shown in|marked in|highlighted in|printed in|coloured|colored)\s+(?:{_COLOURS})\b"
    rf"|(?:{_COLOURS})\s+(?:cells?|boxe?s?|text|font|lines?|curves?|bars?|areas?|regions?|dots?|points?|"
    rf"markers?|bands?|arrows?|squares?|circles?|highlights?|backgrounds?|parts?|words?|series)\b)",
    re.IGNORECASE)
#: Other cues that, in the same sentence, make a colour reference redundant rather than the only cue.
NON_COLOUR_CUES = re.compile(
    r"\b(solid|dashed|dotted|dash-dot(?:ted)?|hatched|circles?|squares?|triangles?|diamonds?|"
    r"crosses|markers?|labelled|labeled|bold|italic|numbered)\b", re.IGNORECASE)


def colour_only_problems(text: str, where: str) -> list[str]:
    """Sentences that refer to something by colour with no other cue (WCAG 1.4.1)."""
    problems = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", text):
        m = COLOUR_ONLY.search(sentence)
        if m and not NON_COLOUR_CUES.search(sentence):
            problems.append(f"{where}: refers to something by colour alone: "
                            f"{' '.join(sentence.split())[:120]!r}")
    return problems


_GENERIC_LINK = re.compile(
    r"^\s*(click\s+)?(here|this|this link|link|more|read more|see more|click|go|page|website|"
    r"this page|details|info|more info)\s*[.!]?\s*$", re.IGNORECASE)


def link_text_problems(text: str | None, href: str | None, where: str) -> list[str]:
    """Problems with a link's accessible name (its text, aria-label or image alt)."""
    name = " ".join((text or "").split())
    if not name:
        return [f"{where}: link to {href!r} has no text"]
    if _GENERIC_LINK.match(name):
        return [f"{where}: link text {name!r} does not say where the link to {href!r} goes"]
    return []
