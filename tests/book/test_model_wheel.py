"""Issue 18 item 4: a lab downloaded from the book runs on a reader's own Python.

The book ships a wheel of ``learning_dynamics`` (book/_ext/model_wheel.py) in ``_downloads/``; each
lab page links it and tells the reader how to install it. Here a fresh virtual environment gets only
numpy, pandas and matplotlib (with nbclient and ipykernel to run a notebook; pins from
requirements.txt, pip's cache used), and a lab notebook exactly as the book serves it
(``_sources/labs/<lab>.ipynb``, what the download button gives) is run in a folder of its own: it
fails with ModuleNotFoundError, as the issue reports, until the book's wheel is installed, offline
(``pip install --no-index``); then it runs to the end.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, private_network

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import model_wheel  # noqa: E402  (book/_ext is not a package)

LAB = "lab_learning_curves"
RUNTIME = ("numpy", "pandas", "matplotlib", "nbclient", "ipykernel")
RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
print("LAB RAN TO THE END")
"""


def _pins(names) -> list[str]:
    lines = (ROOT / "requirements.txt").read_text("utf-8").splitlines()
    found = {}
    for line in lines:
        spec = line.split("#", 1)[0].strip()
        name = spec.split("==")[0].strip().lower()
        if name in names:
            found[name] = spec
    assert set(found) == set(names), f"not pinned in requirements.txt: {set(names) - set(found)}"
    return [found[n] for n in names]


def _wheel(html: Path) -> Path:
    wheels = sorted((html / "_downloads").glob("learning_dynamics-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


# -- the wheel ----------------------------------------------------------------------------------


def test_the_wheel_holds_the_models_and_nothing_else(clean_build):
    wheel = _wheel(clean_build / "_build" / "html")
    assert re.fullmatch(r"learning_dynamics-[0-9][^-]*-py3-none-any\.whl", wheel.name)
    dist_info = wheel.name.split("-py3")[0] + ".dist-info"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        record = zf.read(f"{dist_info}/RECORD").decode("utf-8")
        metadata = zf.read(f"{dist_info}/METADATA").decode("utf-8")
        contents = {n: zf.read(n) for n in names}
    assert all(n.startswith(("learning_dynamics/", f"{dist_info}/")) for n in names), names
    assert not any("course_tools" in n or n.endswith(".pyc") for n in names)
    package = {f"learning_dynamics/{p.relative_to(ROOT / 'learning_dynamics').as_posix()}"
               for p in model_wheel.package_files(ROOT / "learning_dynamics")}
    assert package and package == {n for n in names if n.startswith("learning_dynamics/")}
    assert "Name: learning-dynamics" in metadata and "Requires-Dist: numpy" in metadata
    # RECORD lists every file with its sha256 (urlsafe base64, no padding) and size.
    rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(record))}
    assert set(rows) == set(names)
    for name, (digest, size) in rows.items():
        if name.endswith("/RECORD"):
            assert digest == size == ""
            continue
        raw = hashlib.sha256(contents[name]).digest()
        assert digest == "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        assert int(size) == len(contents[name])


def test_wheel_is_reproducible_and_refuses_a_folder_that_is_not_a_package(tmp_path):
    first = model_wheel.build_model_wheel(tmp_path / "a")
    second = model_wheel.build_model_wheel(tmp_path / "b")
    assert first.name == second.name and first.read_bytes() == second.read_bytes()
    (tmp_path / "notpkg").mkdir()
    with pytest.raises(ValueError, match="no __init__.py"):
        model_wheel.build_wheel(tmp_path / "notpkg", tmp_path, name="x", version="1")


def test_every_lab_links_the_wheel_and_says_how_to_install_it(clean_build):
    html = clean_build / "_build" / "html"
    wheel = _wheel(html).name
    labs = sorted(p.stem for p in (ROOT / "notebooks").glob("lab_*.ipynb"))
    assert len(labs) >= 6
    for lab in labs:
        page = (html / "labs" / f"{lab}.html").read_text("utf-8")
        assert f'href="../_downloads/{wheel}"' in page, lab
        served = (html / "_sources" / "labs" / f"{lab}.ipynb").read_text("utf-8")
        assert f"python -m pip install {wheel}" in served, lab
    page = (html / "reader" / "own_computer.html").read_text("utf-8")
    assert f'href="../_downloads/{wheel}"' in page and f"pip install {wheel}" in re.sub(
        r"<[^>]+>", "", page)
    assert 'href="../_downloads/requirements-student.txt"' in page
    assert ((html / "_downloads" / "requirements-student.txt").read_text("utf-8")
            == (ROOT / "requirements-student.txt").read_text("utf-8"))


def test_a_lab_with_a_stale_wheel_name_fails_the_build_check():
    """The build-time check (a warning: the strict build fails) spots a lab naming an old wheel."""
    from docutils import nodes
    from docutils.utils import new_document
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser

    warnings = []

    class App:
        class env:
            model_wheel_name = "learning_dynamics-0.2.0-py3-none-any.whl"

    doc = new_document("lab", get_default_settings(Parser))
    doc += nodes.raw("", '<a href="../_downloads/learning_dynamics-0.1.0-py3-none-any.whl">x</a>',
                     format="html")
    original = model_wheel.logger.warning
    model_wheel.logger.warning = lambda msg, **kw: warnings.append(msg)
    try:
        model_wheel._check_lab_links(App, doc, "labs/lab_x")
    finally:
        model_wheel.logger.warning = original
    assert any("does not link the models wheel" in w for w in warnings)
    assert any("names learning_dynamics-0.1.0-py3-none-any.whl" in w for w in warnings)


# -- a reader's fresh environment ---------------------------------------------------------------


@pytest.fixture(scope="session")
def reader_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with numpy, pandas, matplotlib, nbclient and ipykernel only."""
    env_dir = tmp_path_factory.mktemp("reader") / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip_env = {k: v for k, v in os.environ.items()
               if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    proc = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install",
                           "--disable-pip-version-check", "--quiet", "--no-compile",
                           *_pins(RUNTIME)], env=pip_env, capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return env_dir


def _reader(env_dir: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    home = cwd.parent / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": f"{env_dir / 'bin'}{os.pathsep}{os.defpath}", "HOME": str(home),
           "LANG": "C.UTF-8", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    # In a network namespace of its own: the lab's kernel starts on TCP ports (private_network).
    return subprocess.run(private_network([str(env_dir / "bin" / args[0]), *args[1:]]), cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=900)


def test_a_downloaded_lab_runs_with_the_books_wheel_only(clean_build, reader_venv, tmp_path):
    html = clean_build / "_build" / "html"
    folder = tmp_path / "downloads"
    folder.mkdir()
    # What the reader downloads: the lab as the book serves it, and the wheel.
    lab = folder / f"{LAB}.ipynb"
    lab.write_bytes((html / "_sources" / "labs" / f"{LAB}.ipynb").read_bytes())
    wheel = folder / _wheel(html).name
    wheel.write_bytes(_wheel(html).read_bytes())
    script = tmp_path / "run_notebook.py"
    script.write_text(RUN_NOTEBOOK, "utf-8")
    run = ["python", str(script), lab.name, str(folder)]

    before = _reader(reader_venv, run, folder)
    assert before.returncode != 0
    assert "ModuleNotFoundError" in before.stdout + before.stderr, before.stderr[-2000:]
    assert "learning_dynamics" in before.stdout + before.stderr

    install = _reader(reader_venv, ["python", "-m", "pip", "install", "--no-index",
                                    "--disable-pip-version-check", wheel.name], folder)
    assert install.returncode == 0, install.stdout + install.stderr
    modules = [p.stem for p in (ROOT / "learning_dynamics").glob("*.py") if p.stem != "__init__"]
    imports = _reader(reader_venv, ["python", "-c", "import importlib; [importlib.import_module("
                                    f"'learning_dynamics.' + m) for m in {modules!r}]"], folder)
    assert imports.returncode == 0, imports.stderr[-2000:]

    after = _reader(reader_venv, run, folder)
    assert after.returncode == 0 and "LAB RAN TO THE END" in after.stdout, after.stderr[-3000:]
