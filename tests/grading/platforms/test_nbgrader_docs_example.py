"""``--downloads`` respects the course's own ``FileNameCollectorPlugin.named_regexp`` (issue 16
item 3): nbgrader's documented zip_collect example collects bitdiddle and hacker.

The example is nbgrader's user guide "Managing assignment files manually" (jupyter/nbgrader,
``nbgrader/docs/source/user_guide/managing_assignment_files_manually.ipynb``, read 2026-12-04):
``downloaded/ps1/archive`` holds ``jupyter.png``, ``notebooks.zip`` and
``ps1_hacker_attempt_2016-01-30-20-30-10_problem1.ipynb``; the zip holds
``notebooks/ps1_bitdiddle_attempt_2016-01-30-15-30-10_{jupyter.png,problem1.ipynb,problem2.ipynb}``
and ``notebooks/ps1_hacker_attempt_2016-01-30-16-30-10_{jupyter.png,myproblem1.ipynb,
problem2.ipynb}``; the config sets ``c.ZipCollectApp.strict = True`` and the regular expression
below. The guide's output: bitdiddle gets problem1 and problem2, hacker gets problem2 and the
later problem1 (``myproblem1`` is skipped in strict mode). We rebuild the files (their content
does not matter to the collection).
"""

from __future__ import annotations

import json
import zipfile

from platform_fixtures import BIN  # noqa: F401

DOCS_CONFIG = r"""c = get_config()

# Only collect submitted notebooks with valid names
c.ZipCollectApp.strict = True

# Apply this regular expression to the extracted file filename (absolute path)
c.FileNameCollectorPlugin.named_regexp = (
    '.*_(?P<student_id>\w+)_attempt_'
    '(?P<timestamp>[0-9\-]+)_'
    '(?P<file_id>.*)'
)
"""


def _nb(marker):
    return json.dumps({"cells": [], "metadata": {"marker": marker}, "nbformat": 4,
                       "nbformat_minor": 5})


def test_nbgrader_documented_zip_collect_example(tmp_path, monkeypatch):
    from course_tools.intake.downloads import collect_downloads

    monkeypatch.setenv("PATH", BIN + ":" + __import__("os").environ.get("PATH", ""))
    course = tmp_path / "course"
    (course / "release" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(DOCS_CONFIG, encoding="utf-8")
    for name in ("problem1", "problem2"):
        (course / "release" / "ps1" / f"{name}.ipynb").write_text(_nb("release"))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "jupyter.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (downloads / "ps1_hacker_attempt_2016-01-30-20-30-10_problem1.ipynb").write_text(
        _nb("hacker late problem1"))
    with zipfile.ZipFile(downloads / "notebooks.zip", "w") as archive:
        for who, when, files in (("bitdiddle", "2016-01-30-15-30-10",
                                  ("jupyter.png", "problem1.ipynb", "problem2.ipynb")),
                                 ("hacker", "2016-01-30-16-30-10",
                                  ("jupyter.png", "myproblem1.ipynb", "problem2.ipynb"))):
            for name in files:
                archive.writestr(f"notebooks/ps1_{who}_attempt_{when}_{name}",
                                 _nb(f"{who} {name}") if name.endswith(".ipynb") else "png")

    collect_downloads(downloads, course, "ps1")

    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["bitdiddle", "hacker"]
    for who, expected in (("bitdiddle", {"problem1.ipynb": "bitdiddle problem1.ipynb",
                                         "problem2.ipynb": "bitdiddle problem2.ipynb"}),
                          ("hacker", {"problem1.ipynb": "hacker late problem1",
                                      "problem2.ipynb": "hacker problem2.ipynb"})):
        found = {p.name: json.loads(p.read_text())["metadata"]["marker"]
                 for p in (submitted / who / "ps1").glob("*.ipynb")}
        assert found == expected
    # the timestamps come from the names (nbgrader parses them itself, as in its guide)
    assert (submitted / "hacker" / "ps1" / "timestamp.txt").read_text().startswith("2016-01-3")
