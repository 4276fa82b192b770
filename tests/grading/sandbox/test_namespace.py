"""The kernel's namespace command (``course_tools.sandbox.launcher.namespace_argv``): when
``unshare`` dies, the kernel below it dies too, although ``setpriv`` changed its user (a change of
user clears the parent-death signal that ``unshare --kill-child`` relies on)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from course_tools.sandbox import uids
from course_tools.sandbox.launcher import namespace_argv

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="setpriv changes user only as root")


def test_the_kernel_dies_when_unshare_is_killed():
    held: list = []
    uid = uids.claim_uid(held)
    argv = namespace_argv(uid, ["sleep", "1000"], cut_network=False)
    if argv is None:
        pytest.skip("util-linux unshare and setpriv are not installed")
    proc = subprocess.Popen(argv)
    try:
        deadline = time.monotonic() + 60
        while not uids._processes_of_uid(uid):  # the kernel (here: sleep) has started
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)  # as when the grading run is killed
        proc.wait()
        # It dies at once or never: a generous deadline, no race with the machine's speed.
        deadline = time.monotonic() + 60
        while uids._processes_of_uid(uid):
            assert time.monotonic() < deadline, "the kernel outlived unshare"
            time.sleep(0.2)
    finally:
        uids._kill(uids._processes_of_uid(uid))
        for fh in held:
            fh.close()
