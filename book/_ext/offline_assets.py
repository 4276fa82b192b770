"""Make the built HTML book work offline, with no request to any other host.

What this Sphinx extension does:

* **MathJax from the book itself.** Sphinx loads MathJax 3 from a CDN by default. Here
  ``mathjax_path`` is set to ``mathjax/tex-mml-chtml.js`` (relative to ``_static/``) and, when an
  HTML builder starts, the MathJax 3 files that the PyPI package ``django-static-mathjax`` ships
  (pinned in requirements.txt; MathJax is Apache-2.0 licensed) are copied into
  ``_build/html/_static/mathjax/``: the combined ``tex-mml-chtml.js`` component plus the folders
  it loads on demand (TeX extensions, CHTML web fonts, the accessibility and menu components and
  the speech-rule-engine maps). A ``mathjax_path`` that names another host fails the build.
* **No thebe unless asked for.** Jupyter Book always loads ``sphinx_thebe``, which puts a script
  naming ``unpkg.com``, ``sphinx-thebe.js`` and an inline thebe configuration on every page.
  Unless ``launch_buttons.thebe`` is true in ``_config.yml``, all three are removed.
* **A clean console.** The theme's colour mode defaults to "auto" (follow the reader's system), so a
  first visit does not log an "invalid theme mode" error.
* **Launch buttons need a repository.** If a BinderHub or JupyterHub URL is set in
  ``launch_buttons`` but ``repository.url`` is empty, the build stops with a message saying what
  to set (without a repository the theme silently shows no button).

Nothing is fetched from the network: the files come from the installed package.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Folder under ``_static/`` that holds the bundled MathJax.
MATHJAX_DIR = "mathjax"
#: The MathJax 3 component the pages load (TeX and MathML input, CommonHTML output).
MATHJAX_ENTRY = "tex-mml-chtml.js"
#: What is copied from MathJax's ``es5`` folder: the entry point and what it loads on demand.
MATHJAX_PARTS = (MATHJAX_ENTRY, "a11y", "input", "output", "sre", "ui")
#: ``mathjax_path`` value used for the offline book (relative to ``_static/``).
LOCAL_MATHJAX_PATH = f"{MATHJAX_DIR}/{MATHJAX_ENTRY}"
_STAMP = ".bundled-from"


def mathjax_source() -> Path:
    """Return the ``es5`` folder of the MathJax 3 files shipped by ``django-static-mathjax``.

    Raises:
        ExtensionError: if the package is not installed or lacks the expected files.
    """
    try:
        import mathjax  # the import name of the PyPI package django-static-mathjax
    except ImportError as exc:
        raise ExtensionError(
            "offline_assets: MathJax files not found. Install the pinned requirements "
            "(python3 dev.py book does this); the book bundles MathJax from the PyPI package "
            "'django-static-mathjax'.") from exc
    es5 = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
    missing = [part for part in MATHJAX_PARTS if not (es5 / part).exists()]
    if missing:
        raise ExtensionError(f"offline_assets: {es5} lacks {missing}; reinstall "
                             "django-static-mathjax at the version pinned in requirements.txt.")
    return es5


def bundle_mathjax(static_dir: Path) -> Path:
    """Copy MathJax's needed files into ``static_dir/mathjax`` (skipped when already current).

    Args:
        static_dir: the HTML output's ``_static`` folder (created if missing).

    Returns:
        The path of the copied entry point, ``static_dir/mathjax/tex-mml-chtml.js``.
    """
    source = mathjax_source()
    target = Path(static_dir) / MATHJAX_DIR
    stamp = target / _STAMP
    if not (stamp.exists() and stamp.read_text("utf-8") == str(source)
            and (target / MATHJAX_ENTRY).exists()):
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for part in MATHJAX_PARTS:
            src = source / part
            if src.is_dir():
                shutil.copytree(src, target / part)
            else:
                shutil.copy2(src, target / part)
        stamp.write_text(str(source), "utf-8")
    return target / MATHJAX_ENTRY


def _use_local_mathjax(app: Sphinx, config: Any) -> None:
    from sphinx.ext.mathjax import MATHJAX_URL

    path = config.mathjax_path or ""
    if not path or path == MATHJAX_URL:
        config.mathjax_path = LOCAL_MATHJAX_PATH
    elif "://" in path or path.startswith("//"):
        raise ConfigError(
            f"offline_assets: mathjax_path {path!r} loads MathJax from another host; the book "
            "must work offline. Remove mathjax_path from book/_config.yml to use the bundled copy.")


def _check_launch_buttons(app: Sphinx, config: Any) -> None:
    options = config.html_theme_options or {}
    launch = options.get("launch_buttons") or {}
    wanted = [key for key in ("binderhub_url", "jupyterhub_url") if launch.get(key)]
    if wanted and not options.get("repository_url"):
        raise ConfigError(
            f"offline_assets: launch_buttons.{wanted[0]} is set in book/_config.yml, but "
            "repository.url is empty. Set repository.url to the course repository on GitHub, "
            "GitLab or Bitbucket (the hub clones it), or clear the launch URL.")


def _on_config_inited(app: Sphinx, config: Any) -> None:
    _use_local_mathjax(app, config)
    _check_launch_buttons(app, config)
    # pydata-sphinx-theme reads the colour mode from localStorage, falling back to this value; left
    # empty, a reader's first page logs "Got invalid theme mode" to the console.
    config.html_context = dict(config.html_context or {})
    config.html_context.setdefault("default_mode", "auto")


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format == "html" and config_uses_local_mathjax(app.config.mathjax_path):
        bundle_mathjax(Path(app.outdir) / "_static")


def config_uses_local_mathjax(path: str) -> bool:
    """True when ``mathjax_path`` is a path inside the book rather than a URL."""
    return bool(path) and "://" not in path and not path.startswith("//")


def _thebe_enabled(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe_asset(asset: Any) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", "") if hasattr(asset, "attributes")
               else "")
    return "sphinx-thebe" in name or "THEBE_JS_URL" in body


def _drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict,
                doctree: Any) -> None:
    if _thebe_enabled(app):
        return
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe_asset(asset)]


def _drop_thebe_nodes(app: Sphinx, doctree: Any, docname: str) -> None:
    """Remove the inline thebe configuration sphinx_thebe appends to every page."""
    if _thebe_enabled(app):
        return
    from docutils import nodes

    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "text/x-thebe-config" in text or text.startswith("<script>kernelName ="):
            node.parent.remove(node)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _on_config_inited, priority=900)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("doctree-resolved", _drop_thebe_nodes, priority=900)
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
