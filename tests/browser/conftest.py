"""Browser fixtures: the built book served on 127.0.0.1 and Debian's Chromium driven by Playwright.

Reusable by any browser test (the accessibility checks build on them):

``built_html``
    The ``_build/html`` folder of the session's clean strict build (shared with tests/book: the
    book is built once per session).
``served_book``
    A :class:`ServedBook` ``(base_url, pages)``: the HTML folder served by a thread-based
    ``http.server`` on 127.0.0.1 (a free port), and the relative paths of every HTML page.
``browser``
    A headless Chromium (``/usr/bin/chromium``, installed by ``python3 dev.py test``) launched by
    Playwright with the flags this closed network needs. Playwright gives it a fresh temporary
    profile (user-data-dir) on every launch. Never run ``playwright install``.
``page``
    A new page in a fresh browser context. Requests to any host other than 127.0.0.1/localhost are
    aborted, and recorded.
``page_events``
    A :class:`PageEvents` recorder attached to ``page``: console errors, uncaught page errors,
    failed requests, HTTP error responses and attempted requests to other hosts.

Screenshots go to ``test-artifacts/`` (git-ignored) through :func:`screenshot`.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, NamedTuple
from urllib.parse import urlparse

import pytest

from book.conftest import clean_book_build
from conftest import ROOT

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: Pages Sphinx writes that are not part of the book's reading order.
SKIPPED_DIRS = {"_static", "_sources", "_images", "reports", "_downloads"}


class ServedBook(NamedTuple):
    """The served book: ``base_url`` ends with "/"; ``pages`` are paths such as "intro.html"."""

    base_url: str
    pages: tuple[str, ...]

    def url(self, page: str) -> str:
        """The absolute URL of a page path relative to the book's root."""
        return self.base_url + page.lstrip("/")


@dataclass
class PageEvents:
    """What went wrong while a page was open. ``problems()`` lists everything, worst first."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return ([f"request to another host: {u}" for u in self.external_requests]
                + [f"page error: {e}" for e in self.page_errors]
                + [f"console error: {e}" for e in self.console_errors]
                + [f"failed request: {r}" for r in self.failed_requests]
                + [f"HTTP error: {r}" for r in self.bad_responses])

    def clear(self) -> None:
        for value in vars(self).values():
            value.clear()


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (127.0.0.1, localhost, data:, blob:, about:)."""
    parsed = urlparse(url)
    if parsed.scheme in {"data", "blob", "about", "chrome-error"}:
        return True
    return parsed.hostname in LOCAL_HOSTS


def book_pages(html: Path) -> tuple[str, ...]:
    """Relative paths of every HTML page Sphinx wrote, sorted (assets and reports left out)."""
    pages = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html)
        if rel.parts[0] in SKIPPED_DIRS:
            continue
        pages.append(rel.as_posix())
    return tuple(pages)


def require_chromium() -> Path:
    """Path of the Chromium binary; fails (never skips) with instructions when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. The browser tests need Debian's chromium package: "
            "run `python3 dev.py test` (it installs it with apt-get when it can) or "
            "`apt-get install chromium` as root. Do not run `playwright install`.",
            pytrace=False)
    return CHROMIUM


def screenshot(page, name: str, full_page: bool = False) -> Path:
    """Save a PNG of ``page`` as test-artifacts/screenshots/<name>.png and return its path."""
    out = ARTIFACTS / "screenshots" / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=full_page)
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


@pytest.fixture(scope="session")
def built_html(tmp_path_factory) -> Path:
    """The ``_build/html`` folder of the session's clean strict build.

    For quick local iteration on browser tests only, ``COURSE_BOOK_HTML=book/_build/html`` points
    the browser tests at an existing build instead (its book folder must hold ``_toc.yml``).
    """
    existing = os.environ.get("COURSE_BOOK_HTML")
    if existing:
        html = Path(existing).resolve()
        if not (html / "index.html").exists():
            pytest.fail(f"COURSE_BOOK_HTML={existing} holds no built book", pytrace=False)
        return html
    return clean_book_build(tmp_path_factory) / "_build" / "html"


@pytest.fixture(scope="session")
def served_book(built_html) -> Iterator[ServedBook]:
    """Serve ``built_html`` on 127.0.0.1 (free port) for the session; yields a ServedBook."""
    handler = functools.partial(_QuietHandler, directory=str(built_html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield ServedBook(f"http://{host}:{port}/", book_pages(built_html))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium under Playwright, for the whole session."""
    chromium = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `python3 dev.py test` (it installs the "
                    "pinned requirements).", pytrace=False)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_context(browser):
    """A fresh context (no cookies or storage from other tests) that only reaches this machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.external_requests = []  # filled by the route below

    def block(route):
        context.external_requests.append(route.request.url)
        route.abort("blockedbyclient")

    context.route(lambda url: not is_local(url), block)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    """A new page in ``browser_context``."""
    page = browser_context.new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.fixture
def page_events(page, browser_context) -> PageEvents:
    """Record console errors, page errors, failed and off-host requests of ``page``."""
    events = PageEvents()
    events.external_requests = browser_context.external_requests
    page.on("console", lambda msg: msg.type == "error" and events.console_errors.append(
        f"{msg.text} ({msg.location.get('url', '')})"))
    page.on("pageerror", lambda exc: events.page_errors.append(str(exc)))
    page.on("request", lambda req: events.requests.append(req.url))
    page.on("requestfailed", lambda req: events.failed_requests.append(
        f"{req.url}: {req.failure}"))
    page.on("response", lambda resp: resp.status >= 400 and events.bad_responses.append(
        f"{resp.status} {resp.url}"))
    return events
