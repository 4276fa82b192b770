"""Inside a student's own archive (``<student>_<anything>.zip`` in ``--downloads``), every entry is
that student's: an entry not named ``<student>_...`` is written as ``<student>_<name>``, so a plain
``ps1.ipynb`` is the owner's ps1 and a file named as a classmate's (``victim_ps1.ipynb``) can never
submit for the classmate (hostile-student trial, issue 14)."""

from __future__ import annotations

import zipfile

from course_tools.intake.archives import extract_archive
from course_tools.intake.downloads import collect_downloads


def _zip(path, names, text='{"cells": []}'):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, text if isinstance(text, str) else text[name])
    return path


def test_a_students_archive_cannot_hold_a_classmates_notebook(tmp_path):
    archive = _zip(tmp_path / "mallory_12347_ps1.zip",
                   ["mallory_ps1.ipynb", "victim_ps1.ipynb", "folder/victim_2_ps1.ipynb"])
    assert extract_archive(archive, tmp_path / "out", {}, owned=True) == []
    written = sorted(p.relative_to(tmp_path / "out").as_posix()
                     for p in (tmp_path / "out").rglob("*.ipynb"))
    # every entry is mallory's (an oddly named one is sorted out by pre-flight), none the victim's
    assert written == ["folder/mallory_victim_2_ps1.ipynb", "mallory_ps1.ipynb",
                       "mallory_victim_ps1.ipynb"]


def test_an_instructors_bulk_archive_holds_the_whole_class(tmp_path):
    archive = _zip(tmp_path / "submissions.zip", ["ann_ps1.ipynb", "bob_ps1.ipynb"])
    assert extract_archive(archive, tmp_path / "out", {}, owned=True) == []
    archive = _zip(tmp_path / "course_ps1_all.zip", ["ann_ps1.ipynb", "bob_ps1.ipynb"])
    assert extract_archive(archive, tmp_path / "out2", {}) == []  # not a student's upload


def test_a_plain_notebook_in_a_students_archive_is_collected_as_theirs(course, tmp_path):
    downloads = tmp_path / "downloads"
    _zip(downloads / "dana_submission.zip", ["ps1.ipynb"], '{"cells": [], "dana": 1}')

    assert collect_downloads(downloads, course, "ps1") == []
    assert (course / "submitted" / "dana" / "ps1" / "ps1.ipynb").read_text() == \
        '{"cells": [], "dana": 1}'


def test_a_classmates_name_inside_an_archive_leaves_the_classmate_untouched(course, tmp_path):
    downloads = tmp_path / "downloads"
    _zip(downloads / "dana_submission.zip", ["dana_ps1.ipynb", "bob_ps1.ipynb"],
         {"dana_ps1.ipynb": "dana's", "bob_ps1.ipynb": "planted by dana"})
    (downloads / "bob_ps1.ipynb").write_text("bob's own")

    assert collect_downloads(downloads, course, "ps1") == []
    submitted = course / "submitted"
    assert sorted(p.name for p in (submitted / "bob" / "ps1").iterdir()) == ["ps1.ipynb"]
    assert (submitted / "bob" / "ps1" / "ps1.ipynb").read_text() == "bob's own"
    assert (submitted / "dana" / "ps1" / "ps1.ipynb").read_text() == "dana's"
    assert (submitted / "dana" / "ps1" / "bob_ps1.ipynb").read_text() == "planted by dana"


def test_a_plain_and_a_named_copy_in_one_archive_are_not_overwritten(course, tmp_path):
    """``ps1.ipynb`` and ``dana_ps1.ipynb`` in one archive would both be dana's ps1: the second is
    not written over the first; two different files are held for the instructor (intake.held)."""
    downloads = tmp_path / "downloads"
    _zip(downloads / "dana_submission.zip", ["dana_ps1.ipynb", "ps1.ipynb"],
         {"dana_ps1.ipynb": "one", "ps1.ipynb": "two"})

    skipped = collect_downloads(downloads, course, "ps1")
    assert len(skipped) == 2 and all("2 different files would be dana's ps1.ipynb" in s.reason
                                     for s in skipped), skipped
    held = sorted(p.read_text() for p in (course / "downloaded" / "ps1" / "held").rglob("*.ipynb"))
    assert held == ["one", "two"]


def test_a_whole_class_archive_with_a_in_its_name_is_refused_not_filed_under_one_student(
        tmp_path):
    # "ps1_submissions.zip" reads as student "ps1"'s upload; its files are named for alice and
    # bob and none for "ps1": refused as a whole, with what to do, never graded as "ps1".
    archive = _zip(tmp_path / "ps1_submissions.zip", ["alice_ps1.ipynb", "bob_ps1.ipynb"])
    skipped = extract_archive(archive, tmp_path / "out", {}, owned=True)
    assert not list((tmp_path / "out").rglob("*.ipynb"))
    assert len(skipped) == 1 and skipped[0].entry == "*"
    assert "named for 2 other students (alice, bob) and none for 'ps1'" in skipped[0].reason
    assert "rename it without '_'" in skipped[0].reason
    # a student's own archive with one oddly named file is still the student's
    archive = _zip(tmp_path / "dana_work.zip", ["ps1_final.ipynb"])
    assert extract_archive(archive, tmp_path / "out2", {}, owned=True) == []
    assert [p.name for p in (tmp_path / "out2").rglob("*.ipynb")] == ["dana_ps1_final.ipynb"]


# A third hostile-student trial (intake only): four ways one student's upload reached another.

def _course(tmp_path):
    """The least a course needs for zip_collect: a config and the release of ps1."""
    course = tmp_path / "course"
    (course / "release" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (course / "release" / "ps1" / "ps1.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8")
    return course


def _nb(marker):
    return ('{"cells": [], "metadata": {"marker": "%s"}, "nbformat": 4, "nbformat_minor": 5}'
            % marker)


def test_a_backslash_in_an_entry_name_never_files_it_under_a_classmate(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "bob_ps1.ipynb").write_text(_nb("bob"))
    _zip(downloads / "mallory_sub.zip", ["ps1.ipynb", "bob_ps1.ipynb\\mallory_x.ipynb",
                                         "erin_ps1.ipynb\\mallory_x.ipynb"],
         text={"ps1.ipynb": _nb("mallory"), "bob_ps1.ipynb\\mallory_x.ipynb": _nb("as bob"),
               "erin_ps1.ipynb\\mallory_x.ipynb": _nb("as erin")})
    course = _course(tmp_path)
    collect_downloads(downloads, course, "ps1")
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["bob", "mallory"]
    assert [p.name for p in (submitted / "bob" / "ps1").iterdir()] == ["ps1.ipynb"]
    assert '"bob"' in (submitted / "bob" / "ps1" / "ps1.ipynb").read_text()


def test_an_owned_archive_counts_against_its_owners_limit_whatever_its_names(tmp_path):
    archive = _zip(tmp_path / "alice_sub.zip", ["bob_pad\\alice_junk.bin", "bob_pad2"],
                   text="x" * 1000)
    used = {}
    assert extract_archive(archive, tmp_path / "out", used, owned=True) == []
    assert used == {"alice": 2000}  # never charged to bob


def test_paths_near_the_systems_limit_are_refused_and_stop_nobody(tmp_path):
    folder = "/".join(["d" * 200] * 19) + "/"
    names = [folder + "mallory_" + "x" * n + ".txt" for n in range(0, 240, 40)]
    archive = _zip(tmp_path / "downloads" / "mallory_notes.zip", names + ["ps1.ipynb"],
                   text={**{n: "x" for n in names}, "ps1.ipynb": _nb("mallory")})
    (tmp_path / "downloads" / "bob_ps1.ipynb").write_text(_nb("bob"))
    skipped = extract_archive(archive, tmp_path / "out", {}, owned=True)
    assert len(skipped) == len(names) and all("path too long" in s.reason for s in skipped)
    course = _course(tmp_path)
    collect_downloads(tmp_path / "downloads", course, "ps1")  # no exception for the class
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["bob", "mallory"]


def test_a_download_whose_name_clashes_with_an_extracted_folder_stops_nobody(tmp_path):
    downloads = tmp_path / "downloads"
    _zip(downloads / "mallory_x.zip", ["ps1.ipynb"], text=_nb("mallory"))
    (downloads / "mallory_x.zip.d").write_text("hello")
    (downloads / "bob_ps1.ipynb").write_text(_nb("bob"))
    course = _course(tmp_path)
    skipped = collect_downloads(downloads, course, "ps1")
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["bob", "mallory"]
    assert any(s.archive == "mallory_x.zip.d" and "could not be copied" in s.reason
               for s in skipped), skipped
