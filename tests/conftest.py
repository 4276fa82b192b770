"""Shared fixtures: the repository layout, a scratch copy of the nbgrader course, submissions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, default

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COURSE = ROOT / "assignments"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def tool_env() -> dict:
    """Environment for subprocesses: this interpreter's bin first on PATH (nbgrader calls alembic)."""
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


def private_network(argv: list[str]) -> list[str]:
    """``argv`` run in a network namespace of its own whose only device, loopback, is up: as root,
    with util-linux ``unshare`` and iproute2 ``ip``; ``argv`` unchanged otherwise (no error).

    Why: jupyter_client starts a local kernel by finding free TCP ports (it binds port 0, then
    closes the socket) and writing them into the kernel's connection file; the kernel binds them a
    second or more later. A process of a second test suite that takes one of those ports in
    between kills the kernel at start ("Kernel died before replying to kernel_info", after which
    nbclient fails its clean-up at exit with ``assert self.km is not None``). Seen twice in the
    strict book build beside a second full suite; reproduced by handing a kernel a port already
    taken. In a namespace of its own, no process outside the command can take its ports. Use it
    for commands that start kernels and need no network (the book builds are offline).
    """
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if os.geteuid() != 0 or not unshare or not ip:
        return list(argv)
    return [unshare, "--net", "--", "sh", "-c", f'"{ip}" link set lo up && exec "$@"', "sh",
            *argv]


def run_tool(args: list[str], cwd: Path, timeout: float = 900,
             own_network: bool = False) -> subprocess.CompletedProcess:
    """Run the tool ``args[0]`` of this interpreter's environment; returns the completed process
    (stdout and stderr as text). ``own_network``: in a network namespace of its own
    (:func:`private_network`), for a command that starts kernels."""
    argv = [str(BIN / args[0]), *args[1:]]
    return subprocess.run(private_network(argv) if own_network else argv, cwd=cwd,
                          env=tool_env(), capture_output=True, text=True, timeout=timeout)


class IpcKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel talks over Unix sockets (``ipc``) in a fresh folder of its own,
    not TCP ports: nothing outside the test can take them (see :func:`private_network` for the
    race that ports have). Pass as ``NotebookClient(..., kernel_manager_class=IpcKernelManager)``.
    The folder is removed with the kernel's other resources."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _short_socket_path(self) -> str:
        # A Unix socket's path may not exceed 107 bytes: a short folder of the system's own.
        return os.path.join(tempfile.mkdtemp(prefix="ipc-kernel-"), "k")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)

    cleanup_resources = _async_cleanup_resources  # AsyncKernelManager's is the coroutine itself


def load_nb(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_nb(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def src(cell: dict) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_lines(source_nb: dict) -> list[str]:
    """The non-blank lines inside BEGIN/END SOLUTION regions of a source notebook."""
    return _region_lines(source_nb, SOLUTION_MARKERS)


def hidden_test_lines(source_nb: dict) -> list[str]:
    """The non-blank lines inside BEGIN/END HIDDEN TESTS regions of a source notebook."""
    return _region_lines(source_nb, HIDDEN_MARKERS)


def _region_lines(nb: dict, markers: tuple[str, str]) -> list[str]:
    lines, inside = [], False
    for cell in nb["cells"]:
        for line in src(cell).splitlines():
            if markers[0] in line:
                inside = True
            elif markers[1] in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


def fill_solutions(release_nb: dict, source_nb: dict, edits: dict[str, tuple[str, str]] | None = None
                   ) -> dict:
    """A student's submission: the release with each solution cell answered from the source.

    ``edits`` maps a grade_id to (old, new) text replaced in that answer, to plant mistakes.
    """
    answers = {nbgrader_meta(c).get("grade_id"): c for c in source_nb["cells"]
               if nbgrader_meta(c).get("solution")}
    nb = json.loads(json.dumps(release_nb))
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and cell["cell_type"] == "code" and gid in answers:
            text = "\n".join(ln for ln in src(answers[gid]).splitlines()
                             if not any(m in ln for m in SOLUTION_MARKERS))
            if edits and gid in edits:
                old, new = edits[gid]
                assert old in text, f"planted edit {old!r} not found in {gid}"
                text = text.replace(old, new)
            cell["source"] = text
    return nb


@pytest.fixture
def course(tmp_path) -> Path:
    """A scratch copy of the nbgrader course with nothing generated yet."""
    dst = tmp_path / "course"
    shutil.copytree(COURSE, dst, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "reports", "*.csv",
        ".ipynb_checkpoints"))
    return dst


@pytest.fixture
def released(course) -> Path:
    """The scratch course after ``nbgrader generate_assignment`` for every source assignment."""
    for assignment in sorted(p.name for p in (course / "source").iterdir() if p.is_dir()):
        proc = run_tool(["nbgrader", "generate_assignment", assignment, "--force"], course)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return course
