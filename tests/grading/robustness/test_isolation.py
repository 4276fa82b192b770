"""Issue 14, item 1: nothing a student started outlives that student's grading or reaches the next
student's kernel; an interrupted cell still fails only its own test.

One job grades three students in turn, as root (sandboxed kernels):

* ``a_attacker`` hands in no answers; its first answer cell starts a daemon that keeps forking (so
  that no single snapshot of its process ids catches it), waits for the next student's kernel, reads
  that kernel's connection file and sends it code that empties every later cell (an input
  transformer). It writes what it managed to do to a world-writable folder and keeps a heartbeat
  file fresh while it lives.
* ``b_victim`` hands in no answers either; its first answer cell waits until the daemon reports
  success, or until the daemon's heartbeat stops (it is gone), at most 120 s; then it tries to
  reach a server on the grading machine's loopback (the kernel must have no network). The verdict does not
  depend on speed: with the daemon alive the attack always gets its chance, and with the daemon
  dead there is nothing to wait for.
* ``c_runaway`` answers everything correctly except that ``progress_ratio`` sleeps: its test cell
  is interrupted at the per-cell limit (SIGINT through the new launcher) and only that test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import fill_solutions, load_nb, save_nb, src
from course_tools.autograde.grader import autograde
from course_tools.report.scores import question_scores
from course_tools.release import release
from course_tools.sandbox.mounts import PRIVATE_SCRATCH
from robust_fixtures import FULL, _append, make_course, shared_folder

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="sandbox users and namespaces need root (as in CI)")

DAEMON = r'''
import os, sys, time, json
_drop = {drop!r}
def _helper():
    # One look for the next student's kernel (same user id): read its connection file, attack.
    me = os.getuid()
    own = {own}
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            st = os.stat(f"/proc/{{pid}}")
            cmd = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if st.st_uid != me or int(pid) in own or b"ipykernel_launcher" not in cmd:
            continue
        conn = cmd[cmd.index(b"-f") + 1].decode()
        try:
            info = json.load(open(conn))
        except OSError as exc:
            open(os.path.join(_drop, "denied"), "a").write(f"{{conn}}: {{exc}}\n")
            continue
        from jupyter_client import BlockingKernelClient
        kc = BlockingKernelClient()
        kc.load_connection_info(info)
        kc.start_channels()
        kc.execute("get_ipython().input_transformers_post.append(lambda lines: [])")
        time.sleep(2)
        open(os.path.join(_drop, "attacked"), "w").write(conn)
    os._exit(0)
def _chain():
    # Fork without pause and let each parent exit: whatever snapshot of process ids is taken,
    # the newest link was born after it.
    start, n = time.time(), 0
    while time.time() - start < 400 and not os.path.exists(os.path.join(_drop, "attacked")):
        if os.fork() != 0:
            os._exit(0)
        n += 1
        if n % 100 == 0:
            open(os.path.join(_drop, "heartbeat"), "w").write(str(time.time()))
            if os.fork() == 0:
                _helper()
    os._exit(0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        _chain()
    os._exit(0)
'''

WAIT = r'''
import os, time
_drop = {drop!r}
_start = time.time()
while time.time() - _start < 120 and not os.path.exists(os.path.join(_drop, "attacked")):
    try:
        _beat = float(open(os.path.join(_drop, "heartbeat")).read() or 0)
    except (OSError, ValueError):
        _beat = 0
    if time.time() - _beat > 5 and time.time() - _start > 5:
        break  # the daemon is gone
    time.sleep(0.2)
print("VICTIM uid", os.getuid())
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
    print("NET reached")
except OSError as exc:
    print("NET denied", exc)
'''


#: The victim reads every regular file among its open descriptors (a kernel once inherited the
#: grading process's error file, open for reading, holding what earlier kernels wrote to fd 1/2).
READ_FDS = r'''
import os, stat
for _fd in os.listdir("/proc/self/fd"):
    try:
        if stat.S_ISREG(os.fstat(int(_fd)).st_mode):
            _text = os.pread(int(_fd), 1_000_000, 0).decode(errors="replace")
            print("FD", _fd, "read", len(_text), "characters", "".join(
                line + "\n" for line in _text.splitlines() if "FD-LEVEL" in line))
    except OSError as _e:
        print("FD", _fd, "unreadable:", type(_e).__name__)
print("FD scan done")
'''


#: The attacker leaves a file in each world-writable folder, and fills ``/dev/shm`` with 100 MiB
#: (each file may have 200 MiB); the victim looks for those files. Every kernel must get fresh,
#: private, size-limited copies of these folders, so the victim finds nothing and the grading
#: machine's own folders never hold the attacker's files.
SCRATCH_WRITE = r'''
import os
for _d in {folders!r}:
    try:
        with open(os.path.join(_d, "left-by-a-{tag}"), "w") as _f:
            _f.write("what a_attacker left")
        print("SCRATCH wrote", _d)
    except OSError as _e:
        print("SCRATCH not writable", _d, type(_e).__name__)
try:
    with open("/dev/shm/fill-{tag}", "wb") as _f:
        for _ in range(100):
            _f.write(bytes(2**20))
            _f.flush()
    print("SCRATCH FILL unlimited")
except OSError as _e:
    print("SCRATCH FILL stopped at", os.path.getsize("/dev/shm/fill-{tag}") // 2**20, "MiB")
'''

SCRATCH_READ = r'''
import os
for _d in {folders!r}:
    if os.path.exists(os.path.join(_d, "left-by-a-{tag}")):
        print("SCRATCH saw", _d)
print("SCRATCH look done")
'''

#: The attacker leaves a System V shared memory segment, semaphore set and message queue, open to
#: all (util-linux ``ipcmk``); they outlive their processes unless the kernel's IPC namespace ends.
SYSV_WRITE = r'''
import subprocess
for _kind in (["-M", "65536"], ["-S", "1"], ["-Q"]):
    print("SYSV made", subprocess.run(["ipcmk", *_kind, "-p", "0666"], capture_output=True,
                                      text=True).stdout.strip())
'''

SYSV_READ = r'''
for _kind in ("shm", "sem", "msg"):
    print("SYSV sees", _kind, len(open(f"/proc/sysvipc/{_kind}").read().splitlines()) - 1)
'''

#: The attacker leaves a note and a tree 1,500 folders deep in its job's socket folder (handed to
#: the next kernel of the job; the tree once crashed the whole run's clean-up) and
#: writes 400 MiB in its working folder, which was on the grading machine's disk with no total
#: limit; the victim, next in the same job, looks for the note.
JOB_FOLDERS_WRITE = r'''
import json, os
_ipc = os.path.dirname(json.load(open(os.path.expanduser("~/.connection.json")))["ip"])
open(os.path.join(_ipc, "note-from-a"), "w").write("left by a_attacker")
_fd = os.open(_ipc, os.O_RDONLY)
for _ in range(1500):  # deeper than Python's recursion limit: shutil.rmtree raised on it
    os.mkdir("x", dir_fd=_fd)
    _next = os.open("x", os.O_RDONLY, dir_fd=_fd)
    os.close(_fd)
    _fd = _next
os.close(_fd)
print("IPC wrote note")
try:
    with open("big-{tag}", "wb") as _f:
        for _ in range(40):
            _f.write(bytes(10 * 2**20))
            _f.flush()
    print("WORK FILL unlimited")
except OSError:
    print("WORK FILL stopped at", os.path.getsize("big-{tag}") // 2**20, "MiB")
os.remove("big-{tag}")
'''

JOB_FOLDERS_READ = r'''
import json, os
_ipc = os.path.dirname(json.load(open(os.path.expanduser("~/.connection.json")))["ip"])
print("IPC sees", sorted(n for n in os.listdir(_ipc) if n.startswith("note")))
'''


def sysv_objects_of(uid: int) -> dict[str, list[str]]:
    """System V IPC objects of the grading machine's own namespace owned by ``uid``, by kind,
    as their ids (``/proc/sysvipc``: the owner uid is column 8 of shm, 5 of sem, 8 of msg)."""
    found = {}
    for kind, id_column, uid_column in (("shm", 1, 7), ("sem", 1, 4), ("msg", 1, 7)):
        rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        found[kind] = [r.split()[id_column] for r in rows if int(r.split()[uid_column]) == uid]
    return found


@pytest.fixture(scope="module")
def graded():
    base = Path(tempfile.mkdtemp(prefix="isolation-grading-"))
    os.chmod(base, 0o755)
    tag = uuid.uuid4().hex
    # The folder through which the attacker reports (and the victim reads) what it did: a shared,
    # world-writable one, but outside the folders every kernel gets a private copy of.
    drop = shared_folder("isolation-drop-")
    try:
        course = make_course(base / "course")
        release(course, "ps1")
        rel = load_nb(course / "release" / "ps1" / "ps1.ipynb")
        source = load_nb(course / "source" / "ps1" / "ps1.ipynb")

        def blank_with(code: str) -> dict:
            nb = json.loads(json.dumps(rel))
            cell = next(c for c in nb["cells"]
                        if c["metadata"].get("nbgrader", {}).get("grade_id") == "unit_cost")
            cell["source"] = code + "\n" + src(cell)
            return nb

        attacker = ("import os\nprint('ATTACKER uid', os.getuid())\n_own = os.getpid()\n"
                    "os.write(1, b'FD-LEVEL-OUT-OF-A\\n'); os.write(2, b'FD-LEVEL-ERR-OF-A\\n')\n"
                    + SCRATCH_WRITE.format(folders=list(PRIVATE_SCRATCH), tag=tag)
                    + SYSV_WRITE + JOB_FOLDERS_WRITE.format(tag=tag)
                    + DAEMON.format(drop=str(drop), own="{_own}"))
        save_nb(blank_with(attacker),
                course / "submitted" / "a_attacker" / "ps1" / "ps1.ipynb")
        # A server on the grading machine's loopback: a kernel with network would reach it.
        server = socket.create_server(("127.0.0.1", 0))
        port = server.getsockname()[1]
        save_nb(blank_with(READ_FDS + SYSV_READ + JOB_FOLDERS_READ
                           + SCRATCH_READ.format(folders=list(PRIVATE_SCRATCH), tag=tag)
                           + WAIT.format(drop=str(drop), port=port)),
                course / "submitted" / "b_victim" / "ps1" / "ps1.ipynb")
        runaway = fill_solutions(rel, source, edits={"progress_ratio": (
            "    if not 0 < pr <= 1:", "    import time\n    time.sleep(10_000)\n"
                                       "    if not 0 < pr <= 1:")})
        save_nb(runaway, course / "submitted" / "c_runaway" / "ps1" / "ps1.ipynb")
        try:
            outcomes = autograde(course, "ps1", ["a_attacker", "b_victim", "c_runaway"], jobs=1,
                                 timeout=300, progress=lambda *a: None)
        finally:
            server.close()
        yield {"course": course, "drop": drop, "outcomes": {o.student_id: o for o in outcomes},
               "scores": question_scores(course, "ps1"), "tag": tag}
    finally:
        attacker_uid = _uid_printed(base / "course", "a_attacker", "ATTACKER uid")
        if attacker_uid:  # what the old code let the attacker leave in the machine's namespace
            for kind, ids in sysv_objects_of(attacker_uid).items():
                for ident in ids:
                    subprocess.run(["ipcrm", {"shm": "-m", "sem": "-s", "msg": "-q"}[kind], ident],
                                   check=False)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(drop, ignore_errors=True)
        for folder in PRIVATE_SCRATCH:  # what the old code let the attacker leave on the machine
            for name in (f"left-by-a-{tag}", f"fill-{tag}"):
                Path(folder, name).unlink(missing_ok=True)


def _auto_total(scores, student):
    rows = scores[(scores["student_id"] == student) & (scores["kind"] == "autograded")]
    return float(rows["score"].sum())


def test_a_forking_leftover_never_reaches_the_next_students_kernel(graded):
    drop = graded["drop"]
    assert not (drop / "attacked").exists(), (drop / "attacked").read_text()
    assert graded["outcomes"]["b_victim"].status == "graded", graded["outcomes"]["b_victim"]
    assert _auto_total(graded["scores"], "b_victim") == 0.0  # a blank submission stays blank
    # Nothing of the attacker is alive any more: its heartbeat stopped.
    beat = float((drop / "heartbeat").read_text() or 0)
    before = (drop / "heartbeat").stat().st_mtime
    time.sleep(1)
    assert (drop / "heartbeat").stat().st_mtime == before and beat > 0


def _uid_printed(course, student, label) -> int | None:
    try:
        return int(_printed(course, student).split(label, 1)[1].split()[0])
    except (OSError, IndexError, ValueError):
        return None


def _printed(course, student):
    nb = load_nb(course / "autograded" / student / "ps1" / "ps1.ipynb")
    return "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


def test_no_kernel_reads_what_an_earlier_students_kernel_wrote_to_its_descriptors(graded):
    out = _printed(graded["course"], "b_victim")
    assert "FD scan done" in out, out
    assert "FD-LEVEL-OUT-OF-A" not in out and "FD-LEVEL-ERR-OF-A" not in out, out


def test_each_student_gets_a_user_id_of_their_own(graded):
    out = _printed(graded["course"], "b_victim")
    assert "VICTIM uid" in out
    victim_uid = int(out.split("VICTIM uid", 1)[1].split()[0])
    attacker = _printed(graded["course"], "a_attacker")
    attacker_uid = int(attacker.split("ATTACKER uid", 1)[1].split()[0])
    assert victim_uid != 0 and attacker_uid != 0
    assert victim_uid != attacker_uid  # the same job, one after the other, yet two user ids
    # ... and no network: not even the grading machine's loopback.
    assert "NET denied" in out and "NET reached" not in out, out
    status = graded["outcomes"]["a_attacker"]
    assert status.status in ("graded", "needs review"), status


def test_an_interrupted_cell_fails_only_its_own_test(graded):
    outcome = graded["outcomes"]["c_runaway"]
    assert outcome.status == "graded", outcome
    assert any("(test_progress_ratio) timed out" in p for p in outcome.problems), outcome.problems
    # progress_ratio's own test (1 point) and the two that call it (exponent 1, compare_phases 2)
    # fail; unit_cost (2) and fit (3) keep their points.
    scores = graded["scores"].set_index(["student_id", "question"])["score"]
    assert scores["c_runaway", "test_unit_cost"] == 2.0
    assert scores["c_runaway", "test_fit"] == 3.0
    assert scores["c_runaway", "test_progress_ratio"] == 0.0
    assert _auto_total(graded["scores"], "c_runaway") < FULL


def test_no_student_finds_what_an_earlier_one_left_in_a_world_writable_folder(graded):
    attacker = _printed(graded["course"], "a_attacker")
    for folder in PRIVATE_SCRATCH:
        if os.path.isdir(folder):
            assert f"SCRATCH wrote {folder}" in attacker, attacker  # usable, as before
            # ... but private: neither the machine's folder nor the next kernel holds the file.
            assert not Path(folder, f"left-by-a-{graded['tag']}").exists(), folder
    victim = _printed(graded["course"], "b_victim")
    assert "SCRATCH look done" in victim and "SCRATCH saw" not in victim, victim
    # ... and small: the attacker's 100 MiB were stopped at the tmpfs's 64 MiB.
    assert "SCRATCH FILL stopped at" in attacker, attacker
    assert int(attacker.split("SCRATCH FILL stopped at", 1)[1].split()[0]) <= 64
    assert not Path("/dev/shm", f"fill-{graded['tag']}").exists()


def test_no_system_v_ipc_object_outlives_its_student(graded):
    attacker = _printed(graded["course"], "a_attacker")
    assert attacker.count("SYSV made") == 3 and "id:" in attacker, attacker  # they were made
    victim = _printed(graded["course"], "b_victim")
    for kind in ("shm", "sem", "msg"):
        assert f"SYSV sees {kind} 0" in victim, victim
    uid = _uid_printed(graded["course"], "a_attacker", "ATTACKER uid")
    assert uid and sysv_objects_of(uid) == {"shm": [], "sem": [], "msg": []}


def test_a_jobs_socket_folder_and_working_folder_carry_nothing_over_and_are_bounded(graded):
    attacker = _printed(graded["course"], "a_attacker")
    assert "IPC wrote note" in attacker, attacker
    victim = _printed(graded["course"], "b_victim")
    assert "IPC sees []" in victim, victim  # the same job's next kernel: the folder was emptied
    # The working folder is a tmpfs of the files copied in plus 256 MiB, not the machine's disk.
    assert "WORK FILL stopped at" in attacker, attacker
    assert int(attacker.split("WORK FILL stopped at", 1)[1].split()[0]) <= 300
