"""Attacks on the exchange by students with real accounts: each succeeds on stock nbgrader, fails here.

The same course is released twice: into a stock nbgrader 0.9.6 exchange (its documented set-up: a
world-writable root, the default classes) and into the project's (``course_tools.exchange``, laid
out by ``hub/course.py``). Students attack both with the same commands (issue 15, items 2 and 3):

- submitting for someone else (``--student``; a hand-made ``bob+ps1+...`` folder);
- backdating (``--Exchange.timestamp_format`` is a client-side setting in stock nbgrader);
- changing a submission after submitting it;
- a student of another course submitting;
- reading a classmate's files (Debian's ``useradd -m`` home folders are readable by everyone);
- a half-written submission in the inbound folder.
Then both exchanges are collected by the instructor and the results compared.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from hubtools import as_user
from hubtools import hub_course, hub_install  # noqa: F401  (fixtures)

BACKDATED = "2001-01-01 00:00:00.000000 UTC"


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"{proc.args[-5:]}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def exchanges(hub_course):
    """Release ps1 into both exchanges; return a runner per exchange and their inbound folders."""
    c = hub_course
    stock_root = c.base / "stock-exchange"
    stock_root.mkdir(mode=0o777)
    stock_root.chmod(0o777)   # what stock nbgrader's docs ask the administrator for
    stock_etc = c.base / "stock-etc"
    stock_etc.mkdir()
    (stock_etc / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = {c.settings.course_id!r}\n"
        f"c.Exchange.root = {str(stock_root)!r}\n")
    ok(as_user(c, "instructor", ["nbgrader", "generate_assignment", "ps1", "--force"],
               cwd=c.course_dir))

    def stock(who, args, **kw):
        return as_user(c, who, args, env={"JUPYTER_CONFIG_PATH": str(stock_etc)}, **kw)

    def ours(who, args, **kw):
        return as_user(c, who, args, **kw)

    for run in (stock, ours):
        ok(run("instructor", ["nbgrader", "release_assignment", "ps1"], cwd=c.course_dir))
        for student in ("alice", "bob", "outsider"):
            ok(run(student, ["nbgrader", "fetch_assignment", "ps1", "--replace"]))
    return {"stock": (stock, stock_root / c.settings.course_id / "inbound"),
            "ours": (ours, c.settings.exchange_root / c.settings.course_id / "inbound")}


def folders(inbound: Path) -> list[str]:
    return sorted(p.name for p in inbound.iterdir() if not p.name.startswith("."))


def test_submitting_as_another_student(hub_course, exchanges):
    c = hub_course
    bob = c.users["bob"]
    stock, stock_inbound = exchanges["stock"]
    ok(as_user(c, "alice", ["touch", "ps1/alice-was-here.txt"]))   # marks alice's work
    ok(stock("alice", ["nbgrader", "submit", "ps1", "--student", bob]))
    made = [n for n in folders(stock_inbound) if n.startswith(bob + "+")]
    assert made and all(
        (stock_inbound / n).stat().st_uid == (c.home("alice")).stat().st_uid for n in made)

    ours, inbound = exchanges["ours"]
    refused = ours("alice", ["nbgrader", "submit", "ps1", "--student", bob])
    assert refused.returncode != 0 and "cannot submit as" in refused.stderr
    # Past the client: alice calls the receiving program herself, claiming to be bob.
    header = json.dumps({"assignment": "ps1", "claimed": bob}).encode() + b"\n"
    direct = ours("alice", ["sudo", "-n", "-u", c.settings.exchange_user,
                            c.settings.receive_program, c.settings.etc / "exchange.json"],
                  input=header)
    assert direct.returncode == 2 and b"cannot submit as" in direct.stderr
    assert not [n for n in folders(inbound) if n.startswith(bob + "+")]


def test_hand_made_folder_in_inbound(hub_course, exchanges):
    c = hub_course
    name = f"{c.users['bob']}+ps1+{BACKDATED}+handmade"
    script = ("import os, shutil, sys; d = os.path.join(sys.argv[1], sys.argv[2]); os.mkdir(d); "
              "shutil.copy('ps1/ps1.ipynb', d)")
    stock, stock_inbound = exchanges["stock"]
    ok(stock("alice", ["python", "-c", script, stock_inbound, name]))
    ours, inbound = exchanges["ours"]
    denied = ours("alice", ["python", "-c", script, inbound, name])
    assert denied.returncode != 0 and "Permission denied" in denied.stderr


def test_backdating_and_changing_after_submit(hub_course, exchanges):
    c = hub_course
    backdate = [f"--Exchange.timestamp_format={BACKDATED}"]
    edit = ("import sys, pathlib; d = pathlib.Path(sys.argv[1]); "
            "(d / 'timestamp.txt').write_text(sys.argv[2]); (d / 'ps1.ipynb').write_text('{}')")
    stock, stock_inbound = exchanges["stock"]
    done = ok(stock("bob", ["nbgrader", "submit", "ps1", *backdate]))
    destination = re.search(r"Destination: (.*)", done.stderr).group(1).strip()
    assert BACKDATED in destination                       # the client chose the time
    ok(stock("bob", ["python", "-c", edit, destination, BACKDATED]))   # and edits afterwards

    ours, inbound = exchanges["ours"]
    done = ok(ours("bob", ["nbgrader", "submit", "ps1", *backdate]))
    assert BACKDATED not in done.stderr
    mine = [n for n in folders(inbound) if n.startswith(c.users["bob"] + "+")]
    assert len(mine) == 1 and BACKDATED not in mine[0]
    receipt = json.loads((inbound / mine[0] / "receipt.json").read_text())
    assert receipt["student"] == c.users["bob"]
    denied = ours("bob", ["python", "-c", edit, inbound / mine[0], BACKDATED])
    assert denied.returncode != 0 and "Permission denied" in denied.stderr
    assert (inbound / mine[0] / "timestamp.txt").read_text() == receipt["timestamp"]


def test_student_of_another_course(hub_course, exchanges):
    stock, _ = exchanges["stock"]
    ok(stock("outsider", ["nbgrader", "submit", "ps1"]))
    ours, inbound = exchanges["ours"]
    refused = ours("outsider", ["nbgrader", "submit", "ps1"])
    assert refused.returncode != 0 and "not registered as a student" in refused.stderr
    assert not [n for n in folders(inbound) if n.startswith(hub_course.users["outsider"] + "+")]


def test_reading_a_classmates_home(hub_course, exchanges):
    c = hub_course
    plain = c.settings.account_prefix + "plain"
    subprocess.run(["useradd", "-m", plain], check=True)      # Debian's default home folder
    try:
        c.users["plain"] = plain
        secret = c.home("plain") / "notes.txt"
        secret.write_text("mine")
        read = as_user(c, "bob", ["cat", secret])
        assert read.returncode == 0 and read.stdout == "mine"
        cache = c.home("alice") / ".local" / "share" / "jupyter" / "nbgrader_cache"
        denied = as_user(c, "bob", ["ls", "-R", cache])
        assert denied.returncode != 0 and "Permission denied" in denied.stderr
    finally:
        from hub.roster import remove_account
        remove_account(plain)
        c.users.pop("plain", None)


def test_collect_keeps_only_what_the_exchange_received(hub_course, exchanges):
    c = hub_course
    alice, bob = c.users["alice"], c.users["bob"]
    ours, inbound = exchanges["ours"]
    ok(ours("alice", ["nbgrader", "submit", "ps1"]))
    # A half-written submission: the exchange account's staging folder, and a named folder with
    # no receipt (as if the receiving program had been killed); neither may be collected.
    xuser = c.settings.exchange_user
    for name in (".incoming-deadbeef", f"{bob}+ps1+{BACKDATED}+partial"):
        subprocess.run(["runuser", "-u", xuser, "--", "mkdir", inbound / name], check=True)
        subprocess.run(["runuser", "-u", xuser, "--", "touch", inbound / name / "ps1.ipynb"],
                       check=True)
    stock, _ = exchanges["stock"]
    stock_course = c.course_dir
    ok(stock("instructor", ["nbgrader", "collect", "ps1"], cwd=stock_course))
    stock_submitted = sorted(p.name for p in (stock_course / "submitted").iterdir())
    assert bob in stock_submitted and c.users["outsider"] in stock_submitted
    # Stock collect takes the newest folder named for bob: alice's work, to be graded as bob's.
    assert (stock_course / "submitted" / bob / "ps1" / "alice-was-here.txt").exists()

    import shutil
    shutil.rmtree(stock_course / "submitted")
    ok(ours("instructor", ["nbgrader", "collect", "ps1"], cwd=c.course_dir))
    submitted = sorted(p.name for p in (c.course_dir / "submitted").iterdir()
                       if not p.name.startswith("."))
    assert submitted == sorted([alice, bob])
    assert not (c.course_dir / "submitted" / bob / "ps1" / "alice-was-here.txt").exists()
    assert (c.course_dir / "submitted" / alice / "ps1" / "alice-was-here.txt").exists()
    bob_time = (c.course_dir / "submitted" / bob / "ps1" / "timestamp.txt").read_text()
    assert not bob_time.startswith("2001")
    alice_nb = json.loads((c.course_dir / "submitted" / alice / "ps1" / "ps1.ipynb").read_text())
    assert alice_nb["cells"]                                # her own work, whole
    report = pd.read_csv(c.course_dir / "reports" / "ps1" / "exchange.csv", keep_default_na=False)
    refused = report[report.status == "refused at submit"]
    assert ((refused.account == alice) & (refused.claimed == bob)).any()   # named in the report
    assert (report.folder == f"{bob}+ps1+{BACKDATED}+partial").any()
    assert set(report.loc[report.status == "collected", "account"]) == {alice, bob}


def test_deleted_fetched_copy_is_fetched_again(hub_course, exchanges):
    c = hub_course
    ours, _ = exchanges["ours"]
    ok(as_user(c, "bob", ["rm", "-rf", "ps1"]))
    ok(ours("bob", ["nbgrader", "fetch_assignment", "ps1"]))
    assert (c.home("bob") / "ps1" / "ps1.ipynb").exists()


def test_links_in_a_submission_are_refused(hub_course, exchanges):
    """A symbolic link (here to the exchange's configuration) is refused whole, nothing stored."""
    import io
    import tarfile
    c = hub_course
    ours, inbound = exchanges["ours"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        link = tarfile.TarInfo("ps1.ipynb")
        link.type = tarfile.SYMTYPE
        link.linkname = str(c.settings.etc / "exchange.json")
        archive.addfile(link)
    before = sorted(p.name for p in inbound.iterdir())   # staging folders included
    header = json.dumps({"assignment": "ps1", "claimed": ""}).encode() + b"\n"
    refused = ours("carol", ["sudo", "-n", "-u", c.settings.exchange_user,
                             c.settings.receive_program, c.settings.etc / "exchange.json"],
                   input=header + buffer.getvalue())
    assert refused.returncode == 2 and b"only files and folders" in refused.stderr
    assert sorted(p.name for p in inbound.iterdir()) == before


def test_a_file_twice_in_a_submission_is_refused_cleanly(hub_course, exchanges):
    import io
    import tarfile
    c = hub_course
    ours, inbound = exchanges["ours"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for _ in range(2):
            entry = tarfile.TarInfo("ps1.ipynb")
            entry.size = 2
            archive.addfile(entry, io.BytesIO(b"{}"))
    before = sorted(p.name for p in inbound.iterdir())
    header = json.dumps({"assignment": "ps1", "claimed": ""}).encode() + b"\n"
    refused = ours("carol", ["sudo", "-n", "-u", c.settings.exchange_user,
                             c.settings.receive_program, c.settings.etc / "exchange.json"],
                   input=header + buffer.getvalue())
    assert refused.returncode == 2 and b"refused" in refused.stderr
    assert sorted(p.name for p in inbound.iterdir()) == before
