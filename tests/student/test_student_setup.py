"""Issue 18 item 3: a student can work on a laptop with requirements-student.txt alone.

``requirements-student.txt`` (numpy, pandas, matplotlib, ipykernel, JupyterLab, notebook and
nbgrader, pinned) is installed into a fresh virtual environment (pip's download cache makes this about
half a minute); a folder holding nothing but the student version of ps1, as nbgrader's
``generate_assignment`` releases it, is validated with that environment's ``nbgrader validate``, as a
student would from a terminal, once untouched and once completed. The book's page "Working on your
own computer" (book/reader/own_computer.md) quotes the messages checked here.

nbgrader's validator (nbgrader/validator.py in 0.9.6) prints "VALIDATION FAILED ON N CELL(S)!"
followed by one "The following cell failed:" block per failing cell ("You did not provide a
response." for an unanswered written answer), or "Success! Your notebook passes all the tests.".
The Validate button of JupyterLab calls the same validator through nbgrader's server extension, and
its lab extension (@jupyter/nbgrader 0.9.6) must be one JupyterLab accepts: ``jupyter labextension
list`` says "enabled OK" for it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import venv
from importlib.metadata import requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import COURSE, ROOT, fill_solutions, load_nb, nbgrader_meta, run_tool, save_nb

STUDENT_REQUIREMENTS = ROOT / "requirements-student.txt"
ASSIGNMENT = "ps1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def pins(path: Path) -> dict[str, str]:
    """{normalised name: version} of a requirements file; AssertionError for a line not pinned
    with ``==``."""
    out = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        spec = list(req.specifier)
        assert len(spec) == 1 and spec[0].operator == "==", f"not an exact pin: {line!r}"
        out[re.sub(r"[-_.]+", "-", req.name).lower()] = spec[0].version
    return out


def test_student_requirements_are_small_exact_and_match_the_course_pins():
    student, course = pins(STUDENT_REQUIREMENTS), pins(ROOT / "requirements.txt")
    assert {"numpy", "pandas", "matplotlib", "jupyterlab", "nbgrader"} <= set(student)
    assert len(student) <= 8, "keep the student requirements small"
    assert not {"jupyter-book", "sphinx", "pytest", "playwright"} & set(student)
    different = {n: (v, course[n]) for n, v in student.items() if n in course and course[n] != v}
    assert not different, f"student pin differs from requirements.txt: {different}"
    # nbgrader's own requirements (from the course environment's nbgrader, the same version) accept
    # the pinned JupyterLab and notebook.
    for text in requires("nbgrader") or []:
        req = Requirement(text)
        name = req.name.lower()
        if name in {"jupyterlab", "notebook"} and req.marker is None:
            assert req.specifier.contains(student[name]), (name, student[name], str(req.specifier))


def test_pin_parser_refuses_a_loose_pin(tmp_path):
    loose = tmp_path / "r.txt"
    loose.write_text("numpy>=2\n", "utf-8")
    with pytest.raises(AssertionError, match="not an exact pin"):
        pins(loose)


# -- the fresh environment ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def student_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with requirements-student.txt only (pip's cache is used)."""
    env_dir = tmp_path_factory.mktemp("student") / "course-env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    pip_env = {k: v for k, v in os.environ.items()
               if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    proc = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                           "--quiet", "--no-compile", "-r", str(STUDENT_REQUIREMENTS)],
                          env=pip_env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"pip could not install requirements-student.txt:\n{proc.stderr[-3000:]}"
    return env_dir


def student_env(env_dir: Path, home: Path) -> dict:
    """A student's terminal: the environment activated, a home of its own, nothing of ours."""
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": f"{env_dir / 'bin'}{os.pathsep}{os.defpath}", "HOME": str(home),
            "VIRTUAL_ENV": str(env_dir), "LANG": "C.UTF-8",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def run_student(env_dir: Path, args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(env_dir / "bin" / args[0]), *args[1:]], cwd=cwd,
                          env=student_env(env_dir, home), capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="session")
def student_version(tmp_path_factory) -> tuple[dict, dict]:
    """(release notebook, source notebook) of ps1: nbgrader's student version and its source."""
    course = tmp_path_factory.mktemp("release") / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy2(COURSE / "nbgrader_config.py", course)
    shutil.copytree(COURSE / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    proc = run_tool(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return load_nb(release), load_nb(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def _graded(nb: dict) -> tuple[int, int]:
    """(autograded test cells, hand-graded answers) of a notebook."""
    cells = [nbgrader_meta(c) for c in nb["cells"]]
    manual = sum(1 for m in cells if m.get("grade") and m.get("solution"))
    auto = sum(1 for m in cells if m.get("grade") and not m.get("solution"))
    return auto, manual


def completed(release: dict, source: dict) -> dict:
    """The student version with every code answer taken from the source and every written answer
    written (any text: validation checks only that it was answered)."""
    nb = fill_solutions(release, source)
    for cell in nb["cells"]:
        if nbgrader_meta(cell).get("solution") and cell["cell_type"] == "markdown":
            cell["source"] = "My answer, in my own words."
    return nb


def validate(env_dir: Path, folder: Path, nb: dict, home: Path) -> str:
    """Put ``nb`` alone in ``folder`` and run ``nbgrader validate`` there; its stdout."""
    folder.mkdir(parents=True)
    save_nb(nb, folder / f"{ASSIGNMENT}.ipynb")
    assert sorted(p.name for p in folder.iterdir()) == [f"{ASSIGNMENT}.ipynb"]
    proc = run_student(env_dir, ["nbgrader", "validate", f"{ASSIGNMENT}.ipynb"], folder, home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return ANSI.sub("", proc.stdout)


def test_the_fresh_environment_has_nothing_of_the_course(student_venv, tmp_path):
    for package in ("learning_dynamics", "course_tools"):
        proc = run_student(student_venv, ["python", "-c", f"import {package}"], tmp_path,
                           tmp_path / "home")
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, package


def test_jupyterlab_accepts_nbgrader_lab_extension(student_venv, tmp_path):
    proc = run_student(student_venv, ["jupyter", "labextension", "list"], tmp_path, tmp_path / "home")
    text = ANSI.sub("", proc.stdout + proc.stderr)
    line = next((ln for ln in text.splitlines() if "@jupyter/nbgrader" in ln), "")
    assert "enabled" in line and "OK" in line, text


def test_validate_an_untouched_student_version(student_venv, student_version, tmp_path):
    release, _ = student_version
    auto, manual = _graded(release)
    assert auto and manual
    out = validate(student_venv, tmp_path / "untouched", release, tmp_path / "home")
    match = re.search(r"VALIDATION FAILED ON (\d+) CELL\(S\)!", out)
    assert match, out[-3000:]
    failed = int(match.group(1))
    assert failed == out.count("The following cell failed:")
    assert manual < failed <= auto + manual
    assert out.count("You did not provide a response.") == manual
    assert "NotImplementedError" in out
    assert "HAVE CHANGED" not in out and "Success!" not in out


def test_validate_a_completed_student_version(student_venv, student_version, tmp_path):
    release, source = student_version
    out = validate(student_venv, tmp_path / "completed", completed(release, source),
                   tmp_path / "home")
    assert "Success! Your notebook passes all the tests." in out, out[-3000:]
    assert "FAILED" not in out and "HAVE CHANGED" not in out


def test_completed_notebook_answers_every_graded_cell(student_version):
    """The completed notebook used above really answers every cell (else 'Success' proves little)."""
    release, source = student_version
    nb = completed(release, source)
    answers = [c for c in nb["cells"] if nbgrader_meta(c).get("solution")]
    assert answers and all("YOUR ANSWER HERE" not in json.dumps(c["source"])
                           and "raise NotImplementedError" not in json.dumps(c["source"])
                           for c in answers)
