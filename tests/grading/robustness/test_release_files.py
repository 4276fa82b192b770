"""Issue 14, item 3: nothing but the student version leaves the release folder.

nbgrader copies every file of ``source/psN/`` into the release. A stale paired text file (jupytext
``.py`` or ``.md``) holding an older answer key inside solution or hidden-test markers, any other file
with such a marker whatever its name, and a notebook that keeps jupytext pairing metadata are
refused, with the file named, and the refused release is removed. The grading command checks an
existing release again before it grades against it.
"""

from __future__ import annotations

import pytest

from conftest import load_nb, save_nb
from course_tools.pipeline import run_pipeline
from course_tools.release import ReleaseError, release

STALE_KEY = """# %%
def unit_cost(cumulative_output, first_unit_cost, b):
    ### BEGIN SOLUTION
    return first_unit_cost * np.asarray(cumulative_output, dtype=float) ** (-b)
    ### END SOLUTION

# %%
### BEGIN HIDDEN TESTS
assert np.isclose(unit_cost(8, 100.0, 0.25), 59.46035575013605)
### END HIDDEN TESTS
"""


@pytest.mark.parametrize("name, text", [
    ("ps1.py", STALE_KEY),
    ("ps1.md", "```python\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\n```\n"),
    ("notes_for_me.txt", "remember: ### BEGIN HIDDEN TESTS go in test_fit\n"),
    ("data/old_answers.csv", "x,y\n### END SOLUTION,1\n"),
])
def test_a_file_with_a_marker_is_refused_and_the_release_removed(course, name, text):
    path = course / "source" / "ps1" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReleaseError) as info:
        release(course, "ps1")
    assert name.split("/")[-1] in str(info.value)
    assert not (course / "release" / "ps1").exists()


def test_jupytext_pairing_metadata_is_refused(course):
    path = course / "source" / "ps1" / "ps1.ipynb"
    nb = load_nb(path)
    nb["metadata"]["jupytext"] = {"formats": "ipynb,py:percent"}
    save_nb(nb, path)
    with pytest.raises(ReleaseError, match="jupytext"):
        release(course, "ps1")
    assert not (course / "release" / "ps1").exists()


def test_a_clean_release_still_passes(course):
    out = release(course, "ps1")
    assert (out / "ps1.ipynb").is_file()


def test_grading_checks_an_existing_release_again(course):
    release(course, "ps1")
    # Someone copies a stale key into the released folder afterwards.
    (course / "release" / "ps1" / "ps1.py").write_text(STALE_KEY, encoding="utf-8")
    with pytest.raises(RuntimeError, match="ps1.py"):
        run_pipeline("ps1", course=course)
    assert not (course / "release" / "ps1" / "ps1.py").exists()
