"""Offer the *student versions* of the graded assignments for download, never the sources.

At the start of every build this extension copies the nbgrader course (``../assignments/``
relative to the book's source folder: its
``nbgrader_config.py`` and ``source/``) to a temporary folder and runs nbgrader's own
``generate_assignment`` there, so the solutions and hidden tests are stripped by nbgrader exactly as in
a real release. The released notebooks are added to the HTML output under ``student_versions/``.

The ``{assignment-list}`` directive renders, for each assignment, its title, the opening cell of the
student version (learning goals, readings, time, grading) and a download link. It reads only the
released notebooks, so nothing from the source notebooks reaches the book.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

OUTPUT_DIR = "student_versions"


def release_all(course: Path, target: Path) -> list[Path]:
    """Run ``nbgrader generate_assignment`` for every source assignment; return released notebooks.

    Raises
    ------
    RuntimeError
        If nbgrader fails for any assignment (the build then fails with nbgrader's message).
    """
    released = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "course"
        work.mkdir()
        shutil.copy2(course / "nbgrader_config.py", work)
        shutil.copytree(course / "source", work / "source")
        bindir = Path(sys.executable).parent
        env = dict(os.environ, PATH=str(bindir) + os.pathsep + os.environ.get("PATH", ""))
        for assignment in sorted(p.name for p in (work / "source").iterdir() if p.is_dir()):
            proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment",
                                   assignment, "--force"], cwd=work, env=env,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n"
                                   f"{proc.stderr[-2000:]}")
            for nb in sorted((work / "release" / assignment).glob("*.ipynb")):
                dest = target / nb.name
                shutil.copy2(nb, dest)
                released.append(dest)
    return released


def _fingerprint(course: Path) -> str:
    """Hash of the course config and every source file: the releases are redone when it changes."""
    digest = hashlib.sha256()
    files = [course / "nbgrader_config.py"] + sorted(p for p in (course / "source").rglob("*")
                                                      if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(course)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _on_builder_inited(app):
    target = Path(app.outdir).parent / "_student_versions" / OUTPUT_DIR
    course = Path(app.srcdir).resolve().parent / "assignments"  # the course root beside book/
    if not (course / "nbgrader_config.py").exists():
        raise FileNotFoundError(f"nbgrader course not found beside the book: {course}")
    stamp = target.parent / "fingerprint.txt"
    fingerprint = _fingerprint(course)
    if not (stamp.exists() and stamp.read_text() == fingerprint and any(target.glob("*.ipynb"))):
        shutil.rmtree(target.parent, ignore_errors=True)
        target.mkdir(parents=True)
        release_all(course, target)
        stamp.write_text(fingerprint)
    app.env.student_versions = sorted(p.name for p in target.glob("*.ipynb"))
    # html_extra_path copies the folder's contents (student_versions/) into the HTML output root.
    extra = target.parent / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    shutil.copytree(target, extra / OUTPUT_DIR)
    app.config.html_extra_path = list(app.config.html_extra_path) + [str(extra)]
    app.env.student_versions_dir = str(target)


def _first_markdown(nb_path: Path) -> tuple[str, str]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = text.strip().splitlines()
            title = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("#") else nb_path.stem
            body = "\n".join(lines[1:]) if lines and lines[0].startswith("#") else text
            return title, body
    return nb_path.stem, ""


class AssignmentList(SphinxDirective):
    """List each released assignment with its opening cell and a download link."""

    has_content = False

    def run(self):
        folder = Path(getattr(self.env, "student_versions_dir", ""))
        result = []
        for name in getattr(self.env, "student_versions", []):
            title, body = _first_markdown(folder / name)
            section = nodes.container(ids=[nodes.make_id(f"assignment-{Path(name).stem}")],
                                      classes=["assignment-entry"])
            section += nodes.rubric(title, title)
            # Headings are not allowed inside a directive's output: render them as bold lines.
            body = "\n".join(f"**{ln.lstrip('# ').strip()}**" if ln.startswith("#") else ln
                             for ln in body.splitlines())
            container = nodes.container()
            self.state.nested_parse(StringList(body.splitlines(), source=name),
                                    self.content_offset, container)
            section += container
            para = nodes.paragraph()
            link_text = f"Download the student version of {title} ({name})"
            para += nodes.reference(link_text, link_text, refuri=f"{OUTPUT_DIR}/{name}")
            section += para
            result.append(section)
        return result


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    app.add_directive("assignment-list", AssignmentList)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
