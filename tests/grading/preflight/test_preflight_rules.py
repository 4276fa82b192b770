"""Issue 7, fast checks without autograding: pre-flight rules (``course_tools.preflight``)."""

from __future__ import annotations

from conftest import save_nb
from course_tools.preflight import preflight


def _release_dir(tmp_path):
    rel = tmp_path / "release"
    nb = {"cells": [{"cell_type": "code", "source": "", "outputs": [], "execution_count": None,
                     "metadata": {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                               "points": 1, "grade_id": "t",
                                               "schema_version": 3}}}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for name in ("a.ipynb", "b.ipynb"):
        save_nb(nb, rel / name)
    return rel, nb


def test_preflight_renames_by_copy_suffix_and_never_touches_the_original(tmp_path):
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    save_nb(nb, original / "A (2).ipynb")
    save_nb(nb, original / "b-Copy1.ipynb")
    before = {p.name: p.read_bytes() for p in original.iterdir()}
    result = preflight(original, tmp_path / "staged", rel)
    assert result.ok and sorted(result.notebooks) == ["a.ipynb", "b.ipynb"]
    assert {p.kind for p in result.problems} == {"renamed"}
    assert {p.name: p.read_bytes() for p in original.iterdir()} == before


def test_preflight_grades_the_good_notebook_when_another_is_malformed(tmp_path):
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    save_nb(nb, original / "a.ipynb")
    (original / "b.ipynb").write_text("{", encoding="utf-8")
    result = preflight(original, tmp_path / "staged", rel)
    assert result.ok and result.notebooks == ["a.ipynb"]
    kinds = [p.kind for p in result.problems]
    assert kinds == ["malformed_notebook", "missing_notebook"]
    assert not (tmp_path / "staged" / "b.ipynb").exists()


def test_preflight_reports_ambiguous_names_instead_of_guessing(tmp_path):
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    save_nb(nb, original / "mine.ipynb")
    save_nb(nb, original / "yours.ipynb")
    result = preflight(original, tmp_path / "staged", rel)
    assert not result.ok
    assert [p.kind for p in result.problems].count("extra_notebook") == 2
    assert result.problems[-1].kind == "no_notebook"


def test_preflight_does_not_report_the_exchanges_own_files_as_the_students(tmp_path):
    """nbgrader's exchange writes timestamp.txt and submission_secret.txt beside a submission, the
    class hub's also receipt.json: not the student's extra files (a nested one still is)."""
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    save_nb(nb, original / "a.ipynb")
    save_nb(nb, original / "b.ipynb")
    for name in ("timestamp.txt", "submission_secret.txt", "receipt.json", "notes.txt"):
        (original / name).write_text("x", encoding="utf-8")
    (original / "data").mkdir()
    (original / "data" / "receipt.json").write_text("{}", encoding="utf-8")
    result = preflight(original, tmp_path / "staged", rel)
    extras = [p.message for p in result.problems if p.kind == "extra_files"]
    assert extras == ["2 extra file(s) kept beside the notebook: 'data/receipt.json', 'notes.txt'"]


def test_preflight_removes_a_hidden_ipython_startup_folder_from_the_staged_copy(tmp_path):
    rel, nb = _release_dir(tmp_path)
    original = tmp_path / "sub"
    for name in ("a.ipynb", "b.ipynb"):
        save_nb(nb, original / name)
    startup = original / ".ipython" / "profile_default" / "startup" / "00-helpers.py"
    startup.parent.mkdir(parents=True)
    startup.write_text("import numpy; numpy.isclose = lambda *a, **k: True\n")
    (original / ".hidden.py").write_text("x = 1\n")
    staged = tmp_path / "staged"
    result = preflight(original, staged, rel)
    assert result.ok and result.notebooks == ["a.ipynb", "b.ipynb"]
    assert not (staged / ".ipython").exists() and not (staged / ".hidden.py").exists()
    assert startup.is_file() and (original / ".hidden.py").is_file()  # the original is untouched
    messages = [p.message for p in result.problems if p.kind == "hidden_removed"]
    assert "hidden folder '.ipython' removed" in messages
    assert "hidden file '.hidden.py' removed" in messages
    assert not any(p.kind == "extra_files" for p in result.problems)
