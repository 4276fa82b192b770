"""Author-year labels and ordering for the bibliography page.

sphinxcontrib-bibtex already formats in-text citations in author-year style
(``bibtex_reference_style: author_year``); this extension makes the generated
bibliography match: entries are sorted by author, year and title, and labelled
"Author Year" (with a, b suffixes where two works share a label). It only
registers a pybtex formatting style; everything else is pybtex's ``unsrt`` style.
"""

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle


def _surnames(entry):
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [" ".join(p.last_names) for p in persons]
    if not last:
        return entry.fields.get("title", "Anon.")[:20]
    if len(last) == 1:
        return last[0]
    if len(last) == 2:
        return f"{last[0]} and {last[1]}"
    return f"{last[0]} et al."


class AuthorYearLabelStyle(BaseLabelStyle):
    """Label each entry "Surname Year", "A and B Year" or "A et al. Year"."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        base = [f"{_surnames(e)} {e.fields.get('year', 'n.d.')}" for e in entries]
        counts = Counter(base)
        seen = Counter()
        for label in base:
            if counts[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = SortingStyle


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
