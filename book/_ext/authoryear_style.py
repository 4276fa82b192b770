"""Author-year labels and ordering for the bibliography page.

sphinxcontrib-bibtex already formats in-text citations in author-year style
(``bibtex_reference_style: author_year``); this extension makes the generated
bibliography match: entries are sorted by author, year and title, and labelled
"Author Year" (with a, b suffixes where two works share a label). It registers a
pybtex formatting style; everything else is pybtex's ``unsrt`` style.

In-text citations carry the same suffix. sphinxcontrib-bibtex's author-year citations print the
entry's ``year`` field alone, so the authors' 2013 article and their 2013 chapter were both cited
as "Herrigel et al., 2013" while the bibliography called them 2013a and 2013b: a reader could not
tell which text a claim was credited to. :func:`year_as_labelled` takes the place of the ``year``
template node in sphinxcontrib-bibtex's author-year and year-only reference styles.
"""

import re
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.template import node
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


@node
def year_as_labelled(children, data):
    """The cited entry's year followed by the letter its bibliography label has, if any.

    ``data`` is the template data sphinxcontrib-bibtex gives a reference node (``entry``, a pybtex
    entry, and ``formatted_entry``, whose ``label`` :class:`AuthorYearLabelStyle` made). The
    letter is added only when the label ends in exactly the entry's year plus one lower-case
    letter ("Herrigel et al. 2013a" with year 2013 gives "2013a"); otherwise the year is printed as
    sphinxcontrib-bibtex prints it (the ``year`` field, or "n.d." without one).
    """
    from sphinxcontrib.bibtex.style.template import year

    assert not children
    printed = year.format_data(data)
    label = data["formatted_entry"].label
    field = data["entry"].fields.get("year", "")
    match = re.search(r"(\d{4})([a-z])$", label)
    if match and field and match.group(1) == field:
        return Text(printed, match.group(2))
    return printed


def use_labelled_years() -> None:
    """Make sphinxcontrib-bibtex's author-year and year-only citations use
    :func:`year_as_labelled` (their ``inner`` templates read the module-level name ``year``)."""
    from sphinxcontrib.bibtex.style.referencing import basic_author_year, extra_year

    basic_author_year.year = year_as_labelled
    extra_year.year = year_as_labelled


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    use_labelled_years()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
