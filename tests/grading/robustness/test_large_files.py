"""Issue 14, item 5: a large or sparse file beside a notebook is never copied, only reported.

A 2 GiB sparse file takes no disk space where the student's download lies, but an ordinary copy
writes it out densely. Collecting the submission into the course and staging it for pre-flight must
copy only what is graded: the file is left out and reported with its size. Both steps run in a
process that may not write any file over 100 MB (``RLIMIT_FSIZE``), so a dense copy, even one removed
again afterwards, fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT, fill_solutions, load_nb, save_nb, tool_env
from course_tools.release import release

SPARSE = 2 << 30

SCRIPT = r"""
import json, resource, signal, sys
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (100 << 20, 100 << 20))
from course_tools.intake.folders import collect
from course_tools.preflight import preflight
subs, course = Path(sys.argv[1]), Path(sys.argv[2])
skipped = collect(subs, course, "ps1")
result = preflight(course / "submitted" / "sparse" / "ps1", course / "preflight" / "sparse" / "ps1",
                   course / "release" / "ps1")
print(json.dumps({"skipped": [str(s) for s in skipped or []], "ok": result.ok,
                  "problems": [p.message for p in result.problems]}))
"""


def _disk(folder):
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def test_a_sparse_file_is_neither_collected_nor_staged(course, tmp_path):
    release(course, "ps1")
    rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
    subs = tmp_path / "subs"
    folder = subs / "sparse" / "ps1"
    save_nb(fill_solutions(rel, source), folder / "ps1.ipynb")
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    with open(folder / "huge.bin", "wb") as fh:
        fh.truncate(SPARSE)
    assert os.stat(folder / "huge.bin").st_blocks * 512 < 1 << 20

    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(subs), str(course)], cwd=ROOT,
                          env=tool_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    submitted = course / "submitted" / "sparse" / "ps1"
    assert (submitted / "ps1.ipynb").is_file() and (submitted / "notes.txt").is_file()
    assert not (submitted / "huge.bin").exists()
    assert any("huge.bin" in s and "50 MB" in s for s in out["skipped"]), out
    assert out["ok"], out
    assert (course / "preflight" / "sparse" / "ps1" / "notes.txt").is_file()
    assert _disk(course) < 50 << 20


def test_preflight_leaves_out_an_oversized_file_without_copying_it(course, tmp_path):
    release(course, "ps1")
    rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
    subs = tmp_path / "subs"
    # Already in the course (an instructor copied it in by hand): only pre-flight copies it.
    folder = course / "submitted" / "sparse" / "ps1"
    save_nb(rel, folder / "ps1.ipynb")
    with open(folder / "huge.bin", "wb") as fh:
        fh.truncate(SPARSE)
    subs.mkdir()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(subs), str(course)], cwd=ROOT,
                          env=tool_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["ok"], out
    assert any("huge.bin" in p and "over 50 MB" in p for p in out["problems"]), out
    assert not (course / "preflight" / "sparse" / "ps1" / "huge.bin").exists()
