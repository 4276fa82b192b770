"""Issue 8: the built book in a real browser (Debian's Chromium under Playwright), served on
127.0.0.1. Every page loads cleanly with no request to another host; navigation, search, maths,
figures, solution dropdowns, downloads and the phone layout work. Screenshots of a few pages are
kept in test-artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from browser.conftest import ServedBook, is_local, screenshot

MATH_READY = """async () => {
  if (!window.MathJax || !window.MathJax.startup) { return 'no MathJax'; }
  await window.MathJax.startup.promise;
  return 'ok';
}"""


def toc_order(built_html: Path) -> list[str]:
    """The book's pages in reading order (root, then every file of every part of _toc.yml)."""
    toc = yaml.safe_load((built_html.parent.parent / "_toc.yml").read_text("utf-8"))
    order = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                order.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return [f"{name}.html" for name in order]


def _path_of(url: str, served: ServedBook) -> str:
    assert url.startswith(served.base_url), url
    return url[len(served.base_url):].split("#")[0].split("?")[0]


def _pages_with(built_html: Path, served: ServedBook, marker: str) -> list[str]:
    return [p for p in served.pages if marker in (built_html / p).read_text("utf-8")]


def test_every_page_loads_without_errors_or_outside_requests(served_book, page, page_events):
    problems = {}
    for path in served_book.pages:
        page_events.clear()
        response = page.goto(served_book.url(path), wait_until="networkidle")
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        page.evaluate(MATH_READY)
        if page_events.problems():
            problems[path] = page_events.problems()
    assert not problems, json.dumps(problems, indent=1)
    assert len(served_book.pages) >= 10


def test_outside_requests_are_caught(served_book, page, page_events):
    """The watch the test above relies on does see a page that asks another host for a file."""
    page.goto(served_book.url("intro.html"), wait_until="load")
    page.evaluate("""() => { const s = document.createElement('script');
                     s.src = 'https://cdn.example.org/lib.js'; document.head.appendChild(s); }""")
    page.wait_for_timeout(500)
    assert any("cdn.example.org" in url for url in page_events.external_requests)
    assert page_events.problems()


def test_previous_and_next_walk_the_table_of_contents(served_book, built_html, page):
    expected = toc_order(built_html)
    page.goto(served_book.url(expected[0]))
    visited = [_path_of(page.url, served_book)]
    for _ in range(len(expected) + 5):
        nxt = page.locator("a.right-next")
        if nxt.count() == 0:
            break
        nxt.first.click()
        page.wait_for_load_state()
        visited.append(_path_of(page.url, served_book))
    assert visited == expected
    # and back again for three steps
    for step in range(1, 4):
        page.locator("a.left-prev").first.click()
        page.wait_for_load_state()
        assert _path_of(page.url, served_book) == expected[-1 - step]


def _search(page, served_book, term: str) -> list[str]:
    page.goto(served_book.url("search.html") + "?q=" + term.replace(" ", "+"))
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results');"
        " return s && (s.querySelector('ul.search li') || /did not match|no results|0 pages/i"
        ".test(s.innerText)); }")
    return page.locator("#search-results ul.search li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")


def test_search_finds_a_known_term(served_book, page, page_events):
    hits = _search(page, served_book, "absorptive capacity")
    assert any("glossary" in h for h in hits), hits
    screenshot(page, "search-absorptive-capacity")
    assert not page_events.problems(), page_events.problems()


def test_search_reports_no_hit_for_a_made_up_word(served_book, page):
    assert _search(page, served_book, "qzxjvwkplorbm") == []


def test_equations_are_typeset_by_the_bundled_mathjax(served_book, built_html, page, page_events):
    math_pages = _pages_with(built_html, served_book, 'class="math notranslate')
    assert math_pages, "no page with mathematics found"
    for path in math_pages:
        page.goto(served_book.url(path))
        assert page.evaluate(MATH_READY) == "ok", path
        counts = page.evaluate("""() => ({
            math: document.querySelectorAll('.math').length,
            typeset: document.querySelectorAll('.math mjx-container').length,
            errors: document.querySelectorAll('mjx-merror').length})""")
        assert counts["math"] > 0 and counts["typeset"] >= counts["math"], (path, counts)
        assert counts["errors"] == 0, (path, counts)
    mathjax = [u for u in page_events.requests if "tex-mml-chtml.js" in u]
    assert mathjax and all(is_local(u) and "/_static/mathjax/" in u for u in mathjax), mathjax
    fonts = [u for u in page_events.requests if u.endswith(".woff")]
    assert all(is_local(u) for u in fonts), fonts
    page.goto(served_book.url(math_pages[0]))
    page.evaluate(MATH_READY)
    page.locator(".math mjx-container").first.scroll_into_view_if_needed()
    screenshot(page, "equations-" + Path(math_pages[0]).stem)


def test_figures_have_loaded(served_book, built_html, page):
    figure_pages = _pages_with(built_html, served_book, "<img")
    assert any(p.startswith("labs/") for p in figure_pages), figure_pages
    broken = {}
    for path in figure_pages:
        page.goto(served_book.url(path), wait_until="load")
        bad = page.evaluate("""async () => {
            const imgs = Array.from(document.querySelectorAll('img'));
            imgs.forEach(i => { i.loading = 'eager'; });
            await Promise.all(imgs.map(i => i.decode().catch(() => null)));
            return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src); }""")
        if bad:
            broken[path] = bad
    assert not broken, broken
    lab = next(p for p in figure_pages if p.startswith("labs/"))
    page.goto(served_book.url(lab))
    page.locator("img").first.scroll_into_view_if_needed()
    screenshot(page, "lab-figure-" + Path(lab).stem)


def test_a_broken_figure_would_be_noticed(served_book, page):
    page.goto(served_book.url("intro.html"))
    page.evaluate("""() => { const i = document.createElement('img'); i.src = 'missing.png';
                     i.alt = 'planted'; document.body.appendChild(i); }""")
    page.wait_for_timeout(300)
    bad = page.evaluate("() => Array.from(document.images)"
                        ".filter(i => !(i.complete && i.naturalWidth > 0)).length")
    assert bad == 1


def test_a_solution_dropdown_opens(served_book, built_html, page, page_events):
    path = _pages_with(built_html, served_book, 'class="solution dropdown')[0]
    page.goto(served_book.url(path))
    solution = page.locator(".solution.dropdown").first
    body = solution.locator("#solution-content, section, p:not(.admonition-title)").first
    solution.scroll_into_view_if_needed()
    assert not body.is_visible(), "the solution should start hidden"
    solution.locator(".admonition-title").click()
    body.wait_for(state="visible")
    assert body.is_visible()
    screenshot(page, "solution-open-" + Path(path).stem)
    assert not page_events.problems(), page_events.problems()


def test_lab_pages_offer_notebook_and_pdf_downloads(served_book, page):
    labs = [p for p in served_book.pages if p.startswith("labs/")]
    assert labs
    for path in labs:
        page.goto(served_book.url(path))
        page.locator(".dropdown-download-buttons button").first.click()
        ipynb = page.locator(".dropdown-download-buttons a.btn-download-source-button")
        ipynb.first.wait_for(state="visible")
        href = ipynb.first.get_attribute("href")
        assert href.endswith(Path(path).stem + ".ipynb"), (path, href)
        assert page.locator(".dropdown-download-buttons .btn-download-pdf-button").count() == 1
        response = page.request.get(ipynb.first.evaluate("a => a.href"))
        assert response.ok, href
        notebook = json.loads(response.text())
        assert notebook["nbformat"] == 4 and notebook["cells"], href
    screenshot(page, "lab-download-menu")


def test_phone_width_layout(served_book, built_html, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.route(lambda url: not is_local(url), lambda route: route.abort())
    try:
        page = context.new_page()
        samples = ["intro.html", next(p for p in served_book.pages if p.startswith("chapters/")),
                   next(p for p in served_book.pages if p.startswith("labs/"))]
        for path in samples:
            page.goto(served_book.url(path), wait_until="load")
            widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth,"
                                   " view: window.innerWidth})")
            assert widths["doc"] <= widths["view"] + 1, (path, widths)
            assert not page.locator("#pst-primary-sidebar").is_visible() or \
                page.locator("#pst-primary-sidebar").bounding_box()["x"] < 0, path
            screenshot(page, "phone-" + Path(path).stem)
        # the site navigation opens from the visible menu button at phone width, and works
        page.goto(served_book.url("intro.html"))
        page.locator("button.primary-toggle:visible").first.click()
        drawer = page.locator("#pst-primary-sidebar-modal[open]")
        drawer.wait_for(state="visible", timeout=5_000)
        screenshot(page, "phone-navigation-open")
        drawer.get_by_role("link", name="Bibliography").click()
        page.wait_for_load_state()
        assert _path_of(page.url, served_book) == "bibliography.html"
        # and a chapter's "On this page" contents open from their button too
        page.goto(served_book.url(samples[1]))
        page.locator("button.secondary-toggle:visible").first.click()
        page.locator("#pst-secondary-sidebar-modal[open]").wait_for(state="visible",
                                                                    timeout=5_000)
    finally:
        context.close()

