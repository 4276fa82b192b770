"""Issue 8: the built HTML works from a plain folder with no network.

A static scan of every built HTML page, stylesheet and script for references that would make a
browser contact another host. Plain hyperlinks (``<a href>``, e.g. to DOIs) are navigation, not
requests, and are allowed. The browser tests (test_browser_book.py) check the same thing
dynamically: Chromium records every request while each page loads.
"""

from __future__ import annotations

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

from conftest import ROOT

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
URL_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "background",
             "xlink:href", "ping", "manifest", "imagesrcset"}
ABSOLUTE = re.compile(r"""(?:(?:https?|wss?|ftp):)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)]*""")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""")
JS_URL = re.compile(r"""https?://([A-Za-z0-9.-]+\.[A-Za-z]{2,})""")

#: Hosts that scripts may NAME without the browser ever contacting them, and why.
#: (file-path prefix, host) -> reason. Anything else named in a script fails the scan.
ALLOWED_SCRIPT_HOSTS = {
    ("", "www.w3.org"): "XML namespace identifiers (SVG, MathML), never fetched",
    ("_static/mathjax/", "cdn.jsdelivr.net"):
        "speech-rule-engine's built-in fallback locations; MathJax configures it to load its maps "
        "from the bundled _static/mathjax/sre folder (the browser test records no such request)",
    ("_static/mathjax/", "github.com"): "links shown in MathJax's menu and error messages",
    ("_static/mathjax/", "www.mathjax.org"): "the 'About MathJax' link in MathJax's menu",
    ("_static/mathjax/", "www.apache.org"): "licence text",
    ("_static/mathjax/", "exslt.org"): "XSLT namespace identifier",
    ("_static/scripts/", "pydata-sphinx-theme.readthedocs.io"): "link in a console message",
    ("_static/searchtools.js", "developer.mozilla.org"): "reference in a source comment",
    ("_static/clipboard.min.js", "clipboardjs.com"): "licence comment",
    ("_static/scripts/", "getbootstrap.com"): "licence comment",
    ("_static/scripts/", "fontawesome.com"): "licence comment",
    ("_static/scripts/", "github.com"): "licence comment",
}


def is_external(url: str) -> bool:
    """True when loading ``url`` from a page of the book would contact another host."""
    url = url.strip()
    if url.startswith("//"):
        url = "http:" + url
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https", "ws", "wss", "ftp"}:
        return False  # relative paths, data:, mailto:, javascript: ...
    return parsed.hostname not in LOCAL_HOSTS


class _RefCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self._inline: str | None = None  # "script" or "style" while inside an inline one

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "style"} and not attrs.get("src"):
            self._inline = tag
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            target = (attrs.get("content") or "").partition("url=")[2]
            self._add(f"<meta refresh> {target}", target)
        if "style" in attrs:
            self.refs += [f"<{tag} style> {u}" for u in css_refs(attrs["style"] or "")]
        if tag == "a":
            return  # hyperlinks are navigation, not requests
        for name, value in attrs.items():
            if name in URL_ATTRS and value:
                urls = [part.split()[0] for part in value.split(",") if part.strip()] \
                    if "srcset" in name else [value]
                for url in urls:
                    self._add(f"<{tag} {name}> {url}", url)

    def handle_endtag(self, tag):
        if tag == self._inline:
            self._inline = None

    def handle_data(self, data):
        if self._inline == "style":
            self.refs += [f"<style> {u}" for u in css_refs(data)]
        elif self._inline == "script":
            for match in ABSOLUTE.finditer(data):
                if is_external(match.group(0)) and "www.w3.org" not in match.group(0):
                    self.refs.append(f"<script> {match.group(0)}")

    def _add(self, label, url):
        if is_external(url):
            self.refs.append(label)


def html_refs(text: str) -> list[str]:
    """Requests to other hosts that an HTML page would make (hyperlinks excluded)."""
    collector = _RefCollector()
    collector.feed(text)
    collector.close()
    return collector.refs


def css_refs(text: str) -> list[str]:
    """url(...) and @import targets on other hosts in a stylesheet (comments ignored)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    found = [a or b for a, b in CSS_URL.findall(text)]
    return [u for u in found if is_external(u)]


def script_hosts(rel_path: str, text: str) -> list[str]:
    """Hosts named in a script that are not on the documented allow-list for that file."""
    hosts = set(JS_URL.findall(text))
    return sorted(h for h in hosts if h not in LOCAL_HOSTS and not any(
        rel_path.startswith(prefix) and h == host for prefix, host in ALLOWED_SCRIPT_HOSTS))


def _files(html: Path, suffix: str) -> list[Path]:
    return [p for p in sorted(html.rglob(f"*{suffix}"))
            if p.is_file() and "_sources" not in p.relative_to(html).parts]


def test_no_page_requests_anything_from_another_host(built_html):
    pages = _files(built_html, ".html")
    assert len(pages) >= 10
    bad = {p.relative_to(built_html).as_posix(): refs for p in pages
           if (refs := html_refs(p.read_text("utf-8")))}
    assert not bad, bad


def test_no_stylesheet_loads_fonts_or_images_from_another_host(built_html):
    sheets = _files(built_html, ".css")
    assert sheets
    bad = {p.relative_to(built_html).as_posix(): refs for p in sheets
           if (refs := css_refs(p.read_text("utf-8", errors="replace")))}
    assert not bad, bad


def test_scripts_name_no_host_beyond_the_documented_ones(built_html):
    scripts = _files(built_html, ".js")
    assert any("mathjax" in p.as_posix() for p in scripts)
    bad = {}
    for path in scripts:
        rel = path.relative_to(built_html).as_posix()
        hosts = script_hosts(rel, path.read_text("utf-8", errors="replace"))
        if hosts:
            bad[rel] = hosts
    assert not bad, bad


def test_the_scan_catches_planted_outside_requests():
    page = """<html><head>
      <script src="https://cdn.example.org/mathjax.js"></script>
      <link rel="stylesheet" href="//fonts.example.com/css?family=X">
      <script>const T = "https://unpkg.com/thebe@0.8.2/lib/index.js";</script>
      <style>@font-face { src: url(https://fonts.example.net/a.woff2); }</style>
      </head><body><img srcset="local.png 1x, https://img.example.org/b.png 2x">
      <a href="https://doi.org/10.1111/j.2042-5805.2012.01046.x">a DOI is only a link</a>
      <img src="_images/local.png"><script src="_static/mathjax/tex-mml-chtml.js"></script>
      </body></html>"""
    refs = html_refs(page)
    assert len(refs) == 5, refs
    assert not any("doi.org" in r or "_images" in r or "_static" in r for r in refs)
    assert css_refs("/* url(https://in.a.comment/x) */ a { background: url('https://x.example/i.png') }"
                    ) == ["https://x.example/i.png"]
    assert css_refs("@import 'theme.css'; b { background: url(data:image/png;base64,AA) }") == []
    assert script_hosts("_static/app.js", 'fetch("https://api.example.com/v1")') == \
        ["api.example.com"]
    assert script_hosts("_static/app.js", 'ns = "http://www.w3.org/2000/svg"') == []
    # the MathJax allowance is for MathJax's own files only
    assert script_hosts("_static/app.js", 'u = "https://cdn.jsdelivr.net/npm/x"') == \
        ["cdn.jsdelivr.net"]


def test_mathjax_is_bundled_and_every_page_loads_the_local_copy(built_html):
    mathjax = built_html / "_static" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").stat().st_size > 500_000
    assert any((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert any((mathjax / "input" / "tex" / "extensions").glob("*.js"))
    assert (mathjax / "sre" / "mathmaps" / "en.json").exists()
    math_pages = [p for p in _files(built_html, ".html")
                  if 'class="math notranslate' in p.read_text("utf-8")]
    assert math_pages
    for path in math_pages:
        srcs = re.findall(r'<script[^>]+src="([^"]*tex-mml-chtml\.js[^"]*)"', path.read_text("utf-8"))
        assert len(srcs) == 1, (path, srcs)
        target = (path.parent / srcs[0].split("?")[0]).resolve()
        assert target == (mathjax / "tex-mml-chtml.js").resolve(), (path, srcs)


def test_thebe_and_its_outside_script_are_gone_by_default(built_html):
    for path in _files(built_html, ".html"):
        text = path.read_text("utf-8")
        for marker in ("sphinx-thebe.js", "THEBE_JS_URL", "x-thebe-config", "unpkg.com"):
            assert marker not in text, (path, marker)


# --- the extension's configuration guards (no build needed) -------------------------------

def _extension():
    spec = importlib.util.spec_from_file_location(
        "offline_assets", ROOT / "book" / "_ext" / "offline_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_cdn_mathjax_path_is_refused_and_the_default_becomes_local():
    from sphinx.errors import ConfigError
    from sphinx.ext.mathjax import MATHJAX_URL

    ext = _extension()
    config = SimpleNamespace(mathjax_path=MATHJAX_URL)
    ext._use_local_mathjax(None, config)
    assert config.mathjax_path == "mathjax/tex-mml-chtml.js"
    with pytest.raises(ConfigError, match="another host"):
        ext._use_local_mathjax(None, SimpleNamespace(
            mathjax_path="https://cdn.example.org/mathjax/tex-chtml.js"))


def test_a_hub_url_without_a_repository_is_refused():
    from sphinx.errors import ConfigError

    ext = _extension()
    hub = {"launch_buttons": {"binderhub_url": "https://binder.example.org"}}
    with pytest.raises(ConfigError, match="repository.url"):
        ext._check_launch_buttons(None, SimpleNamespace(html_theme_options=hub))
    ext._check_launch_buttons(None, SimpleNamespace(html_theme_options={
        **hub, "repository_url": "https://github.com/example/course"}))
    ext._check_launch_buttons(None, SimpleNamespace(html_theme_options={
        "launch_buttons": {"binderhub_url": "", "jupyterhub_url": ""}}))
