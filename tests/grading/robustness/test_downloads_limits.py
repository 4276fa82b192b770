"""Issue 14, items 4 and 6: archives in ``--downloads`` are extracted within limits, every skipped
entry is reported by name with its reason, and the command prints UTF-8 whatever the locale.

The command runs as a cron job would: ``LC_ALL=C`` and ``PYTHONIOENCODING=ascii``, with a student
id that is not ASCII. The downloads hold a loose notebook, a zip archive with a path that leaves
the folder (``../``), an absolute path and a symbolic link beside a good notebook, a tar archive
with a symbolic link, and an archive bomb (one entry over the 50 MB file limit, one under it but
compressed a thousand to one).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import zipfile

import pandas as pd

from conftest import ROOT, fill_solutions, load_nb, save_nb, tool_env
from course_tools.release import release


def _zip_symlink(archive: zipfile.ZipFile, name: str, target: str) -> None:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so that the mode bits below are read
    info.external_attr = (0o120777 << 16)
    archive.writestr(info, target)


def _zeros(archive: zipfile.ZipFile, name: str, size: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as fh:
        block = bytes(1 << 20)
        for _ in range(size >> 20):
            fh.write(block)


def test_archive_limits_every_skipped_entry_named_and_utf8_output(course, tmp_path):
    release(course, "ps1")
    rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
    source = load_nb(course / "source" / "ps1" / "ps1.ipynb")
    downloads = tmp_path / "downloads"
    save_nb(fill_solutions(rel, source), downloads / "Zoë_ps1.ipynb")
    blank = tmp_path / "blank.ipynb"
    save_nb(rel, blank)
    with zipfile.ZipFile(downloads / "mallory_attempt.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(blank, "mallory_ps1.ipynb")
        zf.writestr("../mallory_escape.ipynb", "{}")
        zf.writestr("/tmp/mallory_absolute.ipynb", "{}")
        _zip_symlink(zf, "mallory_link.ipynb", "/etc/passwd")
    with tarfile.open(downloads / "trent_attempt.tar.gz", "w:gz") as tf:
        tf.add(blank, "trent_ps1.ipynb")
        link = tarfile.TarInfo("trent_shadow.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tf.addfile(link)
        data = b"x,y\n1,2\n"
        info = tarfile.TarInfo("trent_data.csv")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(downloads / "bomber_ps1.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        _zeros(zf, "bomber_ps1.ipynb", 120 << 20)
        _zeros(zf, "bomber_data.csv", 40 << 20)
    assert (downloads / "bomber_ps1.zip").stat().st_size < 2_000_000

    env = tool_env()
    env.update(LC_ALL="C", LANG="C", PYTHONIOENCODING="ascii")
    env.pop("PYTHONUTF8", None)
    proc = subprocess.run([sys.executable, "-m", "course_tools.grade", "ps1", "--course",
                           str(course), "--downloads", str(downloads), "--jobs", "2"],
                          cwd=ROOT, env=env, capture_output=True, timeout=900)
    stdout = proc.stdout.decode("utf-8")
    stderr = proc.stderr.decode("utf-8", errors="replace")
    assert proc.returncode == 0, stderr[-3000:]
    assert "Zoë: graded" in stdout, stdout
    assert "mallory: graded" in stdout and "trent: graded" in stdout, stdout

    report = (course / "reports" / "ps1" / "report.md").read_text(encoding="utf-8")
    expected = {
        "../mallory_escape.ipynb": "leaves the downloads folder",
        "/tmp/mallory_absolute.ipynb": "absolute path",
        "mallory_link.ipynb": "symbolic link",
        "trent_shadow.txt": "symbolic link",
        "bomber_ps1.ipynb": "over the 50 MB file limit",
        "bomber_data.csv": "compression ratio",
    }
    for entry, reason in expected.items():
        line = next((ln for ln in report.splitlines() if entry in ln), None)
        assert line is not None, (entry, report)
        assert reason in line, (entry, line)
    # Nothing was written outside, and nothing over the limits was written at all.
    assert not (tmp_path / "mallory_escape.ipynb").exists()
    assert not os.path.exists("/tmp/mallory_absolute.ipynb")
    written = sum(p.stat().st_blocks * 512 for p in course.rglob("*") if p.is_file())
    assert written < 100 << 20, written
    outcomes = pd.read_csv(course / "reports" / "ps1" / "student_outcomes.csv", dtype=str,
                           keep_default_na=False).set_index("student_id")
    assert "mallory_link.ipynb" in outcomes.loc["mallory", "problems"]
    assert "trent_shadow.txt" in outcomes.loc["trent", "problems"]
