"""Offer the course's models as a wheel built with the book, and the student requirements file.

A lab downloaded from the book imports ``learning_dynamics``, which a reader's own Python does not
have. At the start of every build this extension writes a wheel of that package (and nothing else:
not ``course_tools``, which holds grading code) and copies ``requirements-student.txt`` from the
repository root; both are added to the HTML output under ``_downloads/`` (through
``html_extra_path``, like ``student_versions.py``), so the built book carries everything a reader
needs to run a lab offline: ``python -m pip install learning_dynamics-<version>-py3-none-any.whl``.

The wheel is written directly with :mod:`zipfile`, offline and without a build backend, following
the binary distribution format (PEP 427; https://packaging.python.org/en/latest/specifications/
binary-distribution-format/): the package's ``.py`` files, then
``<name>-<version>.dist-info/`` with ``METADATA`` (core metadata 2.1), ``WHEEL`` (``Root-Is-Purelib:
true``, tag ``py3-none-any``) and ``RECORD`` (``path,sha256=<urlsafe base64 without padding>,size``;
``RECORD`` itself has no hash). Every entry gets a fixed timestamp, so the same sources give the
same bytes. The package is the ``learning_dynamics`` that the build imports (the one that executes
the labs), and its name, version, summary, Python requirement and dependencies come from its
installed metadata (``pyproject.toml`` via ``pip install -e .``).

Roles, for pages: ``{model-wheel}`label``` links the wheel and ``{student-requirements}`label```
the requirements file (the link reads "label (file name)"); the directive
``{model-wheel-install}`` shows the pip command that installs the wheel. Lab notebooks cannot use roles
(a reader opens them in Jupyter), so they link the wheel with a relative HTML link; the build fails
with a message if a lab page names a wheel other than the one built.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.metadata
import posixpath
import re
import shutil
import zipfile
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

PACKAGE = "learning_dynamics"
DISTRIBUTION = "learning-dynamics"
OUTPUT_DIR = "_downloads"
REQUIREMENTS = "requirements-student.txt"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold: reproducible bytes

logger = logging.getLogger(__name__)


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def package_files(package_dir: Path) -> list[Path]:
    """The files of the package, sorted: every file below it except caches and compiled files."""
    return sorted(p for p in Path(package_dir).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in {".pyc", ".pyo"})


def build_wheel(package_dir: Path, target_dir: Path, *, name: str, version: str,
                summary: str = "", requires_python: str | None = None,
                requires: list[str] | tuple[str, ...] = ()) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` holding the package at ``package_dir`` only.

    Parameters
    ----------
    package_dir : the package folder (its name is the import name, e.g. ``learning_dynamics``).
    target_dir : where the wheel is written (created if missing).
    name, version : distribution name and version; the file name uses the normalised name
        (runs of ``-_.`` become ``_``).
    summary, requires_python, requires : core metadata (``Summary``, ``Requires-Python``, one
        ``Requires-Dist`` per entry).

    Returns the wheel's path. Raises ValueError if ``package_dir`` has no ``__init__.py``.
    """
    package_dir = Path(package_dir)
    if not (package_dir / "__init__.py").is_file():
        raise ValueError(f"not a Python package (no __init__.py): {package_dir}")
    norm = re.sub(r"[-_.]+", "_", name).lower()
    dist_info = f"{norm}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        metadata.append(f"Summary: {summary}")
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata += [f"Requires-Dist: {r}" for r in requires]
    entries: list[tuple[str, bytes]] = [
        (f"{package_dir.name}/{p.relative_to(package_dir).as_posix()}", p.read_bytes())
        for p in package_files(package_dir)]
    entries += [
        (f"{dist_info}/METADATA", ("\n".join(metadata) + "\n").encode("utf-8")),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: course book (book/_ext/model_wheel.py)"
                               b"\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist_info}/top_level.txt", f"{package_dir.name}\n".encode("utf-8")),
    ]
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode("utf-8")))
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    wheel = target_dir / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return wheel


def build_model_wheel(target_dir: Path) -> Path:
    """The wheel of the ``learning_dynamics`` package this build imports, with its installed metadata.

    Raises RuntimeError if the package is not installed (run ``python3 dev.py book``, which installs
    it).
    """
    try:
        module = importlib.import_module(PACKAGE)
        meta = importlib.metadata.metadata(DISTRIBUTION)
    except (ImportError, importlib.metadata.PackageNotFoundError) as exc:
        raise RuntimeError(f"the book ships a wheel of {PACKAGE}, which is not installed here "
                           f"({exc}); `python3 dev.py book` installs it") from exc
    requires = [r for r in (meta.get_all("Requires-Dist") or []) if "extra ==" not in r]
    return build_wheel(Path(module.__file__).parent, target_dir, name=DISTRIBUTION,
                       version=meta["Version"], summary=meta.get("Summary") or "",
                       requires_python=meta.get("Requires-Python"), requires=requires)


def _on_builder_inited(app):
    staging = Path(app.outdir).parent / "_model_wheel"
    shutil.rmtree(staging, ignore_errors=True)
    target = staging / OUTPUT_DIR
    wheel = build_model_wheel(target)
    requirements = Path(app.srcdir).resolve().parent / REQUIREMENTS
    if not requirements.is_file():
        raise FileNotFoundError(f"{REQUIREMENTS} not found beside the book: {requirements}")
    shutil.copy2(requirements, target / REQUIREMENTS)
    app.config.html_extra_path = list(app.config.html_extra_path) + [str(staging)]
    app.env.model_wheel_name = wheel.name


def _relative_uri(env, docname: str, filename: str) -> str:
    return posixpath.relpath(f"{OUTPUT_DIR}/{filename}", posixpath.dirname(docname) or ".")


def _link_role(filename_of):
    """A role linking a file of ``_downloads/``: ``{role}`label``` shows "label (file name)"."""
    def role(name, rawtext, text, lineno, inliner, options=None, content=None):
        env = inliner.document.settings.env
        filename = filename_of(env)
        label = text.strip()
        node = nodes.reference(rawtext, "", refuri=_relative_uri(env, env.docname, filename),
                               classes=["course-download"])
        if label and label != filename:
            node += nodes.Text(f"{label} (")
            node += nodes.literal(filename, filename)
            node += nodes.Text(")")
        else:
            node += nodes.literal(filename, filename)
        return [node], []
    return role


_WHEEL_NAME = re.compile(r"learning_dynamics-[A-Za-z0-9_.+!]+-py3-none-any\.whl")
_WHEEL_HREF = re.compile(r"""href=["'][^"']*_downloads/(learning_dynamics-[^"'/]+\.whl)["']""")


def _check_lab_links(app, doctree, docname):
    """Fail the build (a warning; the build is strict) if a lab page does not link the wheel that
    was built, or names another wheel anywhere (an old version in its pip command, say)."""
    if not docname.startswith("labs/"):
        return
    built = app.env.model_wheel_name
    raw = [node.astext() for node in doctree.findall(nodes.raw)]
    linked = {m for text in raw for m in _WHEEL_HREF.findall(text)}
    named = set(_WHEEL_NAME.findall(doctree.astext())) | linked
    if built not in linked:
        logger.warning(f"lab {docname} does not link the models wheel {built}: add the "
                       "'Running this lab on your own computer' cell (see book/_ext/model_wheel.py)",
                       location=docname)
    for other in sorted(named - {built}):
        logger.warning(f"lab {docname} names {other}, but the book builds {built}: update the "
                       "link and the pip command in the lab", location=docname)


class ModelWheelInstall(SphinxDirective):
    """A shell block with the pip command that installs the wheel this build makes."""

    has_content = False

    def run(self):
        command = f"python -m pip install {self.env.model_wheel_name}"
        block = nodes.literal_block(command, command, language="bash")
        return [block]


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    app.connect("doctree-resolved", _check_lab_links)
    app.add_role("model-wheel", _link_role(lambda env: env.model_wheel_name))
    app.add_role("student-requirements", _link_role(lambda env: REQUIREMENTS))
    app.add_directive("model-wheel-install", ModelWheelInstall)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
