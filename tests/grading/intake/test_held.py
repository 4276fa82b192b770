"""Two files that would be the same notebook of one student (``course_tools.intake.held``).

nbgrader's ``zip_collect`` stops for the whole class on such a pair when it has no timestamps; the
intake moves them aside first and names them, and the rest of the class is collected.
"""

from __future__ import annotations

import zipfile

from conftest import fill_solutions, load_nb, save_nb
from course_tools.intake.downloads import collect_downloads
from course_tools.intake.held import hold_duplicates


def _zip(path, name, nb, tmp_path):
    inner = tmp_path / "inner" / path.name / name
    save_nb(nb, inner)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(inner, name)


def test_a_students_two_different_copies_are_held_and_the_class_is_collected(released, tmp_path):
    release = load_nb(released / "release" / "ps1" / "ps1.ipynb")
    solved = fill_solutions(release, load_nb(released / "source" / "ps1" / "ps1.ipynb"))
    downloads = tmp_path / "downloads"
    _zip(downloads / "alice_first.zip", "alice_ps1.ipynb", release, tmp_path)
    _zip(downloads / "alice_second.zip", "alice_ps1.ipynb", solved, tmp_path)
    _zip(downloads / "carol_a.zip", "carol_ps1.ipynb", solved, tmp_path)
    _zip(downloads / "carol_b.zip", "carol_ps1.ipynb", solved, tmp_path)   # identical copy
    save_nb(solved, downloads / "bob_ps1.ipynb")

    skipped = collect_downloads(downloads, released, "ps1")

    submitted = released / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["bob", "carol"]
    assert load_nb(submitted / "carol" / "ps1" / "ps1.ipynb") == load_nb(
        submitted / "bob" / "ps1" / "ps1.ipynb")
    text = [str(s) for s in skipped]
    assert any(t.startswith("alice_first.zip: 'alice_ps1.ipynb' not collected: 2 different files "
                            "would be alice's ps1.ipynb") for t in text), text
    assert any(t.startswith("alice_second.zip: 'alice_ps1.ipynb'") for t in text), text
    assert any(t.startswith("carol_b.zip: 'carol_ps1.ipynb' not collected: an identical copy of "
                            "carol_a.zip/carol_ps1.ipynb") for t in text), text
    held = released / "downloaded" / "ps1" / "held"
    assert (held / "alice_first.zip.d" / "alice_ps1.ipynb").is_file()  # kept for the instructor
    assert (held / "alice_second.zip.d" / "alice_ps1.ipynb").is_file()


def test_copies_that_all_have_timestamps_are_left_to_nbgrader(tmp_path):
    archive = tmp_path / "archive"
    for name, text in (("a.d/x_ps1.ipynb", "1"), ("b.d/x_ps1.ipynb", "2")):
        (archive / name).parent.mkdir(parents=True, exist_ok=True)
        (archive / name).write_text(text)
    stamps = {"a.d": "2026-01-01 10:00:00", "b.d": "2026-01-02 10:00:00"}

    def collect(path):
        return {"student_id": "x", "file_id": "ps1.ipynb",
                "timestamp": stamps[path.split("/")[-2]]}

    assert hold_duplicates(archive, tmp_path / "held", collect) == []
    assert not (tmp_path / "held").exists()
    stamps["b.d"] = None  # one without: nbgrader would stop, so both are held
    held = hold_duplicates(archive, tmp_path / "held", collect)
    assert [s.archive for s in held] == ["a", "b"]
    assert sorted(p.name for p in (tmp_path / "held").rglob("*.ipynb")) == ["x_ps1.ipynb"] * 2
