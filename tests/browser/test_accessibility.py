"""Issue 10: every page of the built book meets WCAG 2.1 A/AA as far as automated checks can tell.

- axe-core (through axe-playwright-python, which bundles it: no network) audits every page after its
  scripts and the maths have run, with all WCAG 2.0/2.1 A and AA rules, in light and in dark mode;
  failures are listed by page and rule.
- The built HTML is read directly: meaningful alt text on every image, headings in order, header
  rows on data tables, link text that says where the link goes.
- The keyboard alone reaches the skip link, the table of contents and a solution dropdown, opens
  and closes the dropdown with Enter and Space, and the focused element is always visible.

Uses the fixtures of tests/browser/conftest.py (one strict build per session, served on 127.0.0.1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from accessibility.a11y_rules import alt_problems, heading_problems, link_text_problems
from browser.conftest import ServedBook

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: axe rules switched off, each with the documented reason. Empty: no rule is disabled.
DISABLED_RULES: dict[str, str] = {}
MATH_READY = """async () => {
  if (!window.MathJax || !window.MathJax.startup) { return 'no MathJax'; }
  await window.MathJax.startup.promise;
  return 'ok';
}"""
DARK_READY = """async () => {
  for (let i = 0; i < 50 && document.documentElement.dataset.theme !== 'dark'; i++) {
    await new Promise(r => setTimeout(r, 100));
  }
  // let colour transitions (the theme's buttons fade for .15 s) start and finish, so that axe
  // measures the final colours
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  return document.documentElement.dataset.theme;
}"""
#: Sphinx's general index lays out its entries in a table of columns (class "indextable"); it is a
#: layout table, not a data table, so it needs no header row (axe-core audits it as well).
LAYOUT_TABLE_CLASSES = {"indextable"}


def axe_options(tags: list[str] = WCAG_TAGS, rules: list[str] | None = None) -> dict:
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    else:
        options["runOnly"] = {"type": "tag", "values": tags}
        if DISABLED_RULES:
            options["rules"] = {rule: {"enabled": False} for rule in DISABLED_RULES}
    return options


def describe_violations(violations: list[dict]) -> list[str]:
    """One line per axe rule violated: rule, impact, how many elements, and up to three of them."""
    lines = []
    for v in violations:
        examples = "; ".join(f"{' '.join(map(str, n['target']))} -> {n['html'][:120]}"
                             for n in v["nodes"][:3])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} element(s)): {v['help']}. "
                     f"E.g. {examples}")
    return lines


def format_report(by_page: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n" + "\n".join(f"  - {line}" for line in lines)
                     for page, lines in sorted(by_page.items()))


def run_axe(page, options: dict) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page, options=options).response["violations"]


def test_every_page_passes_axe_wcag21_aa_in_light_and_dark_mode(served_book, page):
    """All WCAG 2.0/2.1 A and AA rules on every page; colour contrast again in dark mode.

    The theme follows the reader's colour-scheme preference ("auto"), so the same page is switched
    to dark by emulating that preference, without reloading.
    """
    light, dark = {}, {}
    for path in served_book.pages:
        page.emulate_media(color_scheme="light")
        response = page.goto(served_book.url(path), wait_until="networkidle")
        assert response is not None and response.ok, path
        page.evaluate(MATH_READY)
        violations = run_axe(page, axe_options())
        if violations:
            light[path] = describe_violations(violations)
        page.emulate_media(color_scheme="dark")
        if page.evaluate(DARK_READY) == "dark":
            violations = run_axe(page, axe_options(rules=["color-contrast"]))
            if violations:
                dark[path] = describe_violations(violations)
        elif page.evaluate("document.body !== null && !!document.querySelector('main')"):
            dark[path] = ["the page did not follow the dark colour-scheme preference"]
    report = ""
    if light:
        report += "axe-core WCAG 2.1 A/AA violations, by page and rule:\n" + format_report(light) + "\n"
    if dark:
        report += "Dark mode, colour contrast, by page:\n" + format_report(dark)
    assert not report, report


def test_maths_has_a_text_alternative(served_book, built_html, page):
    """MathJax puts a hidden MathML copy (read by screen readers) beside every typeset formula."""
    pages = [p for p in served_book.pages
             if 'class="math notranslate' in (built_html / p).read_text("utf-8")]
    assert pages, "no page with maths"
    missing = {}
    for path in pages:
        page.goto(served_book.url(path), wait_until="networkidle")
        assert page.evaluate(MATH_READY) == "ok", path
        counts = page.evaluate("[document.querySelectorAll('mjx-container').length,"
                               " document.querySelectorAll('mjx-container mjx-assistive-mml math').length]")
        if counts[0] == 0 or counts[0] != counts[1]:
            missing[path] = f"{counts[0]} formulas, {counts[1]} with a MathML alternative"
    assert not missing, missing


def test_axe_audit_reports_planted_violations_by_rule(page):
    page.set_content("<html><head><title>Planted</title></head><body><main>"
                     "<h1>Planted</h1><img src='chart.png'>"
                     "<p style='color:#999;background:#fff'>faint text</p>"
                     "<a href='x.html'></a></main></body></html>")
    lines = describe_violations(run_axe(page, axe_options()))
    rules = {line.split(" ", 1)[0] for line in lines}
    assert {"image-alt", "color-contrast", "link-name"} <= rules, lines
    report = format_report({"planted.html": lines})
    assert report.startswith("planted.html:\n  - ") and "image-alt (critical" in report


# --- The built HTML, read directly ------------------------------------------------------------------

def html_problems(html: str, where: str) -> list[str]:
    """Alt text, heading order, table headers and link text of one built page."""
    soup = BeautifulSoup(html, "html.parser")
    if soup.find("meta", attrs={"http-equiv": "Refresh"}) and soup.body is None:
        return []  # a redirect (index.html -> intro.html): nothing is shown
    main = soup.find("main") or soup.body
    problems = []
    for k, img in enumerate(soup.find_all("img")):
        inside = main in img.parents
        decorative = img.get("alt") == "" and (img.get("role") == "presentation"
                                               or img.get("aria-hidden") == "true")
        if inside and not decorative:
            problems += alt_problems(img.get("alt"), f"{where} image {k + 1} ({img.get('src')})")
        elif img.get("alt") is None:
            problems.append(f"{where}: image {img.get('src')} has no alt attribute")
    article = soup.find("article") or main
    headings = [(int(h.name[1]), h.get_text(" ", strip=True).rstrip("#").strip())
                for h in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    problems += heading_problems(headings, where)
    for t, table in enumerate(main.find_all("table")):
        if LAYOUT_TABLE_CLASSES & set(table.get("class", [])) or table.get("role") == "presentation":
            continue
        first = table.find("tr")
        if table.find("thead") is None and (first is None or first.find("th") is None):
            problems.append(f"{where}: table {t + 1} has no header row")
    for a in soup.find_all("a", href=True):
        name = (a.get("aria-label") or a.get_text(" ", strip=True)
                or " ".join(i.get("alt", "") for i in a.find_all("img")) or a.get("title"))
        problems += link_text_problems(name, a["href"], where)
    return problems


def test_built_pages_have_alt_text_headings_tables_and_link_text(built_html, served_book):
    by_page = {}
    for path in served_book.pages:
        found = html_problems((built_html / path).read_text("utf-8"), path)
        if found:
            by_page[path] = found
    assert not by_page, json.dumps(by_page, indent=1)


def test_figures_in_the_book_carry_their_descriptions(built_html, served_book):
    """The figures drawn by code reach the page with the alt text their cells carry."""
    images = 0
    for path in served_book.pages:
        soup = BeautifulSoup((built_html / path).read_text("utf-8"), "html.parser")
        images += len((soup.find("main") or soup).find_all("img"))
    assert images >= 10


@pytest.mark.parametrize("html, expected", [
    ("<main><article><h1>T</h1><img src='_images/a.png' alt='_images/a.png'></article></main>",
     "file name"),
    ("<main><article><h1>T</h1><img src='a.png'></article></main>", "no alternative text"),
    ("<main><article><h1>T</h1><h3>Deep</h3></article></main>", "jumps from level 1 to 3"),
    ("<main><article><h2>T</h2></article></main>", "not 1"),
    ("<main><article><h1>T</h1><table><tr><td>a</td></tr></table></article></main>",
     "no header row"),
    ("<main><article><h1>T</h1><a href='x.html'>click here</a></article></main>",
     "does not say where"),
    ("<main><article><h1>T</h1><a href='x.html'></a></article></main>", "has no text"),
])
def test_html_checks_catch_planted_problems(html, expected):
    assert any(expected in p for p in html_problems(html, "planted")), html_problems(html, "planted")


def test_html_checks_pass_a_clean_page():
    html = ("<main><article><h1>T</h1><h2>S</h2><img src='a.png' alt='Line chart of unit cost "
            "falling along a straight line on log axes'><table><thead><tr><th>A</th></tr></thead>"
            "<tr><td>1</td></tr></table><a href='x.html'>the glossary</a></article></main>")
    assert html_problems(html, "clean") == []


# --- Keyboard ---------------------------------------------------------------------------------------

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) { return null; }
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return {tag: e.tagName, text: (e.innerText || e.getAttribute('aria-label') || '').trim().slice(0, 60),
          href: e.getAttribute('href'), cls: e.className && String(e.className),
          inNav: !!e.closest('nav.bd-docs-nav, .bd-sidebar-primary nav'),
          inSolution: !!e.closest('.solution'),
          visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden',
          ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'};
}"""


def tab_until(page, predicate, limit: int, seen: list[dict]) -> dict | None:
    """Press Tab until ``predicate(focused)`` holds; record every focused element in ``seen``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused:
            seen.append(focused)
            if predicate(focused):
                return focused
    return None


def solution_page(built_html: Path, served: ServedBook) -> str:
    pages = [p for p in served.pages if p.startswith("chapters/")
             and 'class="solution dropdown' in (built_html / p).read_text("utf-8")]
    assert pages, "no chapter with a solution dropdown"
    return pages[0]


def test_keyboard_reaches_skip_link_and_navigation(built_html, served_book, page):
    path = solution_page(built_html, served_book)
    page.goto(served_book.url(path), wait_until="networkidle")
    seen: list[dict] = []
    first = tab_until(page, lambda f: True, 1, seen)
    assert first and "skip to main content" in first["text"].lower(), first
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"
    page.goto(served_book.url(path), wait_until="networkidle")
    seen.clear()
    link = tab_until(page, lambda f: f["inNav"] and f["tag"] == "A", 80, seen)
    assert link is not None, f"Tab never reached the table of contents: {seen[-5:]}"
    more = tab_until(page, lambda f: not f["inNav"], 200, seen)
    assert more is not None, "focus is trapped in the table of contents"
    nav_links = [f for f in seen if f["inNav"] and f["tag"] == "A"]
    assert len(nav_links) >= 5, nav_links
    hidden = [f for f in seen if not f["visible"] or not f["ring"]]
    assert not hidden, f"focused elements without a visible focus indicator: {hidden[:5]}"
    # Enter on a table-of-contents link opens that page.
    page.goto(served_book.url(path), wait_until="networkidle")
    target = tab_until(page, lambda f: f["inNav"] and f["tag"] == "A" and f["href"]
                       and not f["href"].startswith("#") and path not in f["href"], 120, [])
    assert target is not None
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0].endswith(target["href"].split("/")[-1].split("#")[0])


def test_keyboard_opens_and_closes_a_solution(built_html, served_book, page):
    path = solution_page(built_html, served_book)
    page.goto(served_book.url(path), wait_until="networkidle")
    seen: list[dict] = []
    button = tab_until(page, lambda f: f["inSolution"] and f["tag"] == "BUTTON", 800, seen)
    assert button is not None, f"Tab never reached a solution toggle; last: {seen[-5:]}"
    hidden = [f for f in seen if not f["visible"] or not f["ring"]]
    assert not hidden, f"focused elements without a visible focus indicator: {hidden[:5]}"
    body = ("() => { const s = document.activeElement.closest('.solution');"
            " const c = s.querySelector('section, .admonition-title ~ *');"
            " const r = c.getBoundingClientRect();"
            " return {shown: r.height > 0 && getComputedStyle(c).display !== 'none',"
            " expanded: document.activeElement.getAttribute('aria-expanded')}; }")
    before = page.evaluate(body)
    assert not before["shown"], "the solution is visible before it is opened"
    page.keyboard.press("Enter")
    opened = page.evaluate(body)
    assert opened["shown"], "Enter did not open the solution"
    page.keyboard.press("Space")
    closed = page.evaluate(body)
    assert not closed["shown"], "Space did not close the solution"
    if before["expanded"] is not None:
        assert (before["expanded"], opened["expanded"], closed["expanded"]) == ("false", "true", "false")


def test_keyboard_helpers_see_a_missing_focus_outline(page):
    page.set_content("<html><body><a href='#a'>first link</a>"
                     "<button style='outline: none; box-shadow: none'>no ring</button>"
                     "<div class='solution'><button>toggle</button></div></body></html>")
    seen: list[dict] = []
    found = tab_until(page, lambda f: f["inSolution"] and f["tag"] == "BUTTON", 10, seen)
    assert found is not None and [f["text"] for f in seen] == ["first link", "no ring", "toggle"]
    assert [f["ring"] for f in seen] == [True, False, True]
    assert tab_until(page, lambda f: f["inNav"], 3, []) is None
