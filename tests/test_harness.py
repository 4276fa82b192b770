"""The test harness's own guards against a second suite running beside this one
(``tests/conftest.py``: ``private_network`` and ``IpcKernelManager``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import IpcKernelManager, private_network


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace needs root (as in CI)")
def test_a_private_network_has_its_own_loopback_and_no_other():
    outside = socket.create_server(("127.0.0.1", 0))  # a port of the machine's loopback
    probe = ("import socket, sys\n"
             "own = socket.create_server(('127.0.0.1', 0))\n"
             "socket.create_connection(own.getsockname(), timeout=5).close()\n"
             "try:\n"
             "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5).close()\n"
             "    print('reached the machine')\n"
             "except OSError:\n"
             "    print('own loopback only')\n")
    try:
        proc = subprocess.run(private_network([sys.executable, "-c", probe,
                                               str(outside.getsockname()[1])]),
                              capture_output=True, text=True, timeout=120)
    finally:
        outside.close()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "own loopback only", proc.stdout


def test_an_ipc_kernel_uses_no_tcp_port_and_leaves_no_socket_folder():
    folders = []

    class Recording(IpcKernelManager):
        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            folders.append(os.path.dirname(self.ip))
            await super()._async_cleanup_resources(restart=restart)

        cleanup_resources = _async_cleanup_resources

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import json\nfrom ipykernel import get_connection_info\n"
        "print(json.loads(get_connection_info())['transport'])")])
    NotebookClient(nb, timeout=120, kernel_name="python3", kernel_manager_class=Recording).execute()
    assert nb.cells[0].outputs[0]["text"].strip() == "ipc"
    assert folders and not any(os.path.exists(f) for f in folders), folders
