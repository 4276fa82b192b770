"""The run folder's clean-up (``course_tools.sandbox.runs``: ``empty_folder``, ``remove_tree``):
whatever student code made in a job's socket folder is removed, however deep, without following
a link out of it and without raising."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from course_tools.sandbox.runs import empty_folder, remove_tree

DEPTH = 1_500  # deeper than Python's recursion limit (1,000): shutil.rmtree raised RecursionError


def _deep_tree(top: Path) -> None:
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(DEPTH):  # relative to a descriptor: the path itself would be too long
            os.mkdir("x", dir_fd=fd)
            child = os.open("x", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(os.open("note", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)


@pytest.fixture
def scratch(tmp_path):
    """``tmp_path``, emptied with coreutils ``rm -rf`` afterwards whatever the test's verdict:
    pytest removes old temporary folders with ``shutil.rmtree``, which a deep tree left by a
    failing run made raise at the end of a later session (seen in this suite)."""
    yield tmp_path
    subprocess.run(["rm", "-rf", "--", *map(str, tmp_path.iterdir())], check=False)


def test_a_folder_is_emptied_of_a_tree_deeper_than_the_recursion_limit(scratch):
    folder = scratch / "ipc-0"
    folder.mkdir()
    _deep_tree(folder)
    (folder / "note-for-the-next").write_text("left by a student")
    outside = scratch / "outside"
    outside.mkdir()
    (outside / "keep").write_text("not the student's")
    os.symlink(outside, folder / "link-out")
    empty_folder(folder)
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert (outside / "keep").read_text() == "not the student's"  # the link was not followed


def test_remove_tree_removes_a_deep_tree_and_says_so(scratch):
    top = scratch / "run"
    top.mkdir()
    _deep_tree(top)
    assert remove_tree(top) is True
    assert not top.exists()
