"""Issue 8: launch buttons are off by default (the book requests nothing) and appear on the lab
pages as soon as an instructor sets a BinderHub or JupyterHub URL (and the repository) in
book/_config.yml, the one place they are configured."""

from __future__ import annotations

import html
import re

import yaml

from book.conftest import copy_book
from conftest import ROOT, run_tool

LAB = "labs/lab_learning_curves"


def test_config_has_launch_buttons_off_and_thebe_off():
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text("utf-8"))
    launch = config["launch_buttons"]
    assert launch["binderhub_url"] == "" and launch["jupyterhub_url"] == ""
    assert launch["thebe"] is False
    assert "url" in config["repository"]


def test_default_build_shows_no_launch_button(built_html):
    page = (built_html / f"{LAB}.html").read_text("utf-8")
    assert "dropdown-launch-buttons" not in page and "Launch on" not in page


def test_setting_a_hub_url_shows_launch_buttons_on_lab_pages(tmp_path):
    """A small build (intro + one lab, no execution) with both hub URLs set."""
    book = copy_book(tmp_path)
    config = yaml.safe_load((book / "_config.yml").read_text("utf-8"))
    config["launch_buttons"].update(binderhub_url="https://binder.example.org",
                                    jupyterhub_url="https://hub.example.edu")
    config["repository"]["url"] = "https://github.com/example-org/china-upgrading-course"
    config["execute"]["execute_notebooks"] = "off"
    (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    (book / "_toc.yml").write_text(
        f"format: jb-book\nroot: intro\nchapters:\n  - file: {LAB}\n", "utf-8")
    proc = run_tool(["jupyter-book", "build", str(book)], cwd=tmp_path, timeout=900,
                    own_network=True)
    out = book / "_build" / "html"
    assert (out / f"{LAB}.html").exists(), (proc.stdout + proc.stderr)[-3000:]
    page = html.unescape((out / f"{LAB}.html").read_text("utf-8"))
    binder = re.search(r'href="(https://binder\.example\.org/[^"]+)"', page)
    hub = re.search(r'href="(https://hub\.example\.edu/[^"]+)"', page)
    assert binder and hub, "no launch buttons on the lab page"
    assert binder.group(1) == ("https://binder.example.org/v2/gh/example-org/"
                               f"china-upgrading-course/main?urlpath=lab/tree/book/{LAB}.ipynb")
    assert "git-pull?" in hub.group(1) and "china-upgrading-course" in hub.group(1)
    # a page without code gets none
    intro = (out / "intro.html").read_text("utf-8")
    assert "binder.example.org" not in intro
