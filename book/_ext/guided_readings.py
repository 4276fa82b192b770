"""Render guided readings from book/data/guided_readings.yaml into the chapters.

Usage in a chapter (MyST):

    ```{guided-reading} march1991exploration
    ```

The directive looks the bibliography key up in the data file and renders a "seealso" admonition with
the citation, why the reading matters, what to do before, while and after reading, its difficulty and
an estimated reading time. The text is parsed as MyST, so it may hold citations, glossary terms and
cross-references. The data file is validated by the test suite (tests/book/test_guided_readings.py);
this directive only fails the build, with a clear message, when a key has no guide.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

DATA = Path(__file__).resolve().parent.parent / "data" / "guided_readings.yaml"


def load_guides(path: Path = DATA) -> dict[str, dict]:
    """Return the guides keyed by bibliography key (the file holds a list of mappings)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {item["key"]: item for item in items}


def _bullets(items) -> list[str]:
    return [f"- {item}" for item in items]


class GuidedReading(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        key = self.arguments[0]
        self.env.note_dependency(str(DATA))
        guides = load_guides()
        if key not in guides:
            raise self.error(f"no guided reading for {key!r} in {DATA.name}")
        g = guides[key]
        lines = [
            f"**{{cite:t}}`{key}`** · {g['difficulty']} · about {g['reading_time_min']} minutes",
            "",
            f"**Why it matters.** {g['why_it_matters'].strip()}",
            "",
            f"**Before reading.** {g['before_reading'].strip()}",
            "",
            "**While reading, look for:**",
            "",
            *_bullets(g["while_reading"]),
            "",
            "**After reading, discuss:**",
            "",
            *[f"{i}. {q}" for i, q in enumerate(g["after_reading"], start=1)],
        ]
        admonition = nodes.admonition(classes=["seealso", "guided-reading"])
        admonition["ids"].append(f"guide-{key}")
        title_text = f"Guided reading: {g['short_title']}"
        admonition += nodes.title(title_text, title_text)
        self.state.nested_parse(StringList(lines, source=str(DATA)), self.content_offset, admonition)
        return [admonition]


def setup(app):
    app.add_directive("guided-reading", GuidedReading)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
