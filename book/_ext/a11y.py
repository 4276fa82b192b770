"""Accessibility fixes for the built book (WCAG 2.1 AA, issue 10).

- Registers ``_static/a11y.css`` (contrast, visible focus, underlined links).
- Writes bibliography entries as list items. Docutils 0.21 gives each citation the ARIA role
  ``doc-biblioentry`` inside a ``role="list"`` container; DPUB-ARIA 1.1 deprecated that role, so
  axe-core reports ``aria-deprecated-role`` and, because the entries then no longer count as list
  items, ``aria-required-children``. ``role="listitem"`` is what the list needs.

Enable it in ``_config.yml`` under ``sphinx: local_extensions: a11y: _ext``.
"""

from __future__ import annotations

from docutils import nodes


def visit_citation(self, node):
    """Docutils' own citation markup, with ``role="listitem"`` instead of the deprecated role."""
    type(self).visit_citation(self, node)
    self.body[-1] = self.body[-1].replace('role="doc-biblioentry"', 'role="listitem"')


def depart_citation(self, node):
    type(self).depart_citation(self, node)


def setup(app):
    app.add_css_file("a11y.css")
    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
