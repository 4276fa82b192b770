"""Fixture submissions for the robustness tests, built from the ps1 release of a scratch course.

Each builder writes one student's folder ``<downloads>/<student>/ps1/`` reproducing one case of
issue 7. ``EXPECTED`` holds the exact outcome the pipeline must give each of them: status,
autograded points (out of 9) and the problem kinds the report must name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from conftest import COURSE, ROOT, fill_solutions, load_nb, nbgrader_meta, save_nb, src

#: Per-cell time limit in the scratch course (runaway cells are interrupted after this).
CELL_TIMEOUT = 15
#: ps1's autograded points: unit_cost 2, progress_ratio 1, exponent 1, fit 3, compare_phases 2.
FULL = 9.0

# Student id -> (status, autograded points or None, report phrases that must appear for them).
EXPECTED = {
    "correct": ("graded", 9.0, []),
    "partly_wrong": ("graded", 6.0, []),
    "untouched": ("graded", 0.0, []),
    "warns": ("graded", 9.0, ["wrote to stderr (a warning)"]),
    "dup_test": ("graded", 9.0, ["test cell 'test_fit' appears 2 times (1 differing from the "
                                 "release)"]),
    "restructured": ("graded", 9.0, ["test cell 'test_fit' was deleted; restored",
                                     "test cell 'test_compare_phases' was changed from code to "
                                     "markdown; changed back"]),
    "edited_test": ("graded", 8.0, ["test cell 'test_exponent' was edited; restored"]),
    "runaway": ("graded", 5.0, ["(test_progress_ratio) timed out", "(test_exponent) timed out",
                                "(test_compare_phases) timed out"]),
    # The kernel dies before the final tamper check: the tests that passed are not verified.
    "exits": ("needs review", 7.0, ["(test_compare_phases) killed the kernel",
                                    "not verified: ps1.ipynb: the kernel died before the final "
                                    "check"]),
    "memory_hog": ("graded", 4.0, ["(test_fit) ran out of memory",
                                   "(test_compare_phases) ran out of memory"]),
    "Zoë_Éclair": ("graded", 9.0, ["notebook 'ps1 (1).ipynb' graded as 'ps1.ipynb'",
                                   "saved with kernel 'ir'; graded with the course kernel "
                                   "'python3'"]),
    "O'Brien": ("graded", 9.0, ["2 extra file(s) kept beside the notebook",
                                "symbolic link 'answers.ipynb.link' removed"]),
    "李华": ("graded", 9.0, ["output over the size limit was truncated"]),
    "malformed": ("failed", None, ["not a readable notebook (JSONDecodeError"]),
    "empty": ("failed", None, ["empty submission folder: nothing to grade"]),
}
#: Students whose notebooks plain nbgrader handles as the pipeline does (parallel = serial test).
PLAIN = ["correct", "partly_wrong", "untouched", "warns", "edited_test"]


def shared_folder(prefix: str) -> Path:
    """A fresh folder that the test and a sandboxed kernel both reach (mode 0777): outside the
    folders every kernel gets a private copy of (``/tmp`` and the like,
    ``course_tools.sandbox.mounts.PRIVATE_SCRATCH``), under ``/srv`` (or ``/var/lib``). For a test
    that talks to student code while it runs; the caller removes it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/srv" if os.path.isdir("/srv")
                                   else "/var/lib"))
    os.chmod(folder, 0o777)
    return folder


def make_course(dst: Path) -> Path:
    """A scratch copy of the course with a short cell time-out and a hidden-tests-only test cell.

    ``test_exponent`` of ps1 is reduced to its hidden tests, so that its release version is empty
    (case 3 of the issue).
    """
    shutil.copytree(COURSE, dst, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "preflight",
        ".regrade-backup", "*.csv", ".ipynb_checkpoints"))
    with open(dst / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(f"\nc.Execute.timeout = {CELL_TIMEOUT}\n")
    for path in sorted((dst / "source").iterdir()):
        if path.name != "ps1":
            shutil.rmtree(path)
    source_path = dst / "source" / "ps1" / "ps1.ipynb"
    nb = load_nb(source_path)
    for cell in nb["cells"]:
        if nbgrader_meta(cell).get("grade_id") == "test_exponent":
            text = src(cell)
            cell["source"] = text[text.index("### BEGIN HIDDEN TESTS"):]
    save_nb(nb, source_path)
    return dst


def _cell(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") == grade_id)


def _append(nb: dict, grade_id: str, code: str) -> None:
    cell = _cell(nb, grade_id)
    cell["source"] = src(cell) + "\n" + code


def build_submissions(course: Path, downloads: Path) -> dict[str, Path]:
    """Write every fixture submission under ``downloads``; returns {student: folder}."""
    release = load_nb(course / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
    folders = {}

    def put(student: str, nb: dict, name: str = "ps1.ipynb") -> Path:
        folder = downloads / student / "ps1"
        save_nb(nb, folder / name)
        folders[student] = folder
        return folder

    def answered(**edits) -> dict:
        return fill_solutions(release, source, edits=edits or None)

    put("correct", answered())
    put("partly_wrong", answered(progress_ratio=("return 2.0 ** (-b)", "return 1.0 - 2.0 ** (-b)")))
    put("untouched", json.loads(json.dumps(release)))
    # Case 1: a correct answer whose library call warns on stderr.
    put("warns", answered(fit_learning_curve=(
        "    if len(data) < 2:",
        "    import warnings\n    warnings.warn('fit_learning_curve: the default will change', "
        "FutureWarning)\n    if len(data) < 2:")))
    # Case 2: a copied and edited test cell; a deleted test cell and a test cell made markdown.
    nb = answered()
    index = nb["cells"].index(_cell(nb, "test_fit"))
    copy = json.loads(json.dumps(nb["cells"][index]))
    copy["source"] = "# my own version of the test\nassert True"
    nb["cells"].insert(index + 1, copy)
    put("dup_test", nb)
    nb = answered()
    nb["cells"].remove(_cell(nb, "test_fit"))
    cell = _cell(nb, "test_compare_phases")
    cell["cell_type"] = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    put("restructured", nb)
    # Case 3: a wrong answer and an edited test cell (the release version of test_exponent is
    # empty: it holds only hidden tests). The hidden tests are restored and fail the answer.
    nb = answered(progress_ratio=("return float(-np.log2(pr))", "return float(np.log2(pr))"))
    _cell(nb, "test_exponent")["source"] = "pass  # nothing to see here"
    put("edited_test", nb)
    # Case 4: runaway code.
    put("runaway", answered(
        progress_ratio=("    if not 0 < pr <= 1:", "    import time\n    time.sleep(10_000)\n"
                                                    "    if not 0 < pr <= 1:"),
        compare_phases=("    rows = {}", "    while True:\n        pass\n    rows = {}")))
    put("exits", answered(compare_phases=("    rows = {}", "    import os\n    os._exit(3)\n"
                                                         "    rows = {}")))
    # 4 GiB: allowed without a limit on this 24 GiB machine, refused under the 3 GiB limit.
    put("memory_hog", answered(fit_learning_curve=(
        "    if len(data) < 2:", "    _scratch = bytearray(4 * 2**30)\n    if len(data) < 2:")))
    # Case 6 and 7: another kernel, a renamed notebook, extra files, odd student ids.
    nb = answered()
    nb["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    put("Zoë_Éclair", nb, name="ps1 (1).ipynb")
    # Case 8: the probe tries to read the instructor's files and to change the gradebook.
    nb = answered()
    probes = {
        "source": course / "source" / "ps1" / "ps1.ipynb",
        "other_student": course / "submitted" / "correct" / "ps1" / "ps1.ipynb",
        "other_download": downloads / "correct" / "ps1" / "ps1.ipynb",
        "gradebook": course / "gradebook.db",
        "repo_source": ROOT / "assignments" / "source" / "ps1" / "ps1.ipynb",
        "repo_git": ROOT / ".git" / "HEAD",
        "executing_notebook": "ps1.ipynb",
    }
    _append(nb, "unit_cost", "\n".join([
        "import os as _os",
        "_probe = {}",
        f"for _name, _path in {json.dumps({k: str(v) for k, v in probes.items()})}.items():",
        "    try:",
        "        with open(_path, 'rb') as _fh:",
        "            _fh.read(1)",
        "        _probe[_name] = 'READABLE'",
        "    except OSError:",
        "        _probe[_name] = 'denied'",
        "try:",
        f"    open({str(course / 'gradebook.db')!r}, 'ab').close()",
        "    _probe['gradebook_write'] = 'WRITABLE'",
        "except OSError:",
        "    _probe['gradebook_write'] = 'denied'",
        "print('PROBE uid', _os.getuid(), sorted(_probe.items()))",
        "print('DATA', open('data.csv').read().strip())",
    ]))
    folder = put("O'Brien", nb)
    (folder / "data.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (folder / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (folder / "answers.ipynb.link").symlink_to(course / "source" / "ps1" / "ps1.ipynb")
    nb = answered()
    _append(nb, "compare_phases", "\n".join([
        "print('x' * 50_000_000)",
        "with pd.option_context('display.max_rows', None):",
        "    display(pd.DataFrame({'row': range(200_000), 'value': 0.5}))",
    ]))
    put("李华", nb)
    # Case 6: malformed JSON and an empty submission folder.
    folder = downloads / "malformed" / "ps1"
    folder.mkdir(parents=True)
    (folder / "ps1.ipynb").write_text('{"cells": [ {"cell_type": "code", ', encoding="utf-8")
    folders["malformed"] = folder
    folder = downloads / "empty" / "ps1"
    folder.mkdir(parents=True)
    folders["empty"] = folder
    return folders
