"""``python3 -m hub start``: run the class hub on 127.0.0.1 in the foreground (a local trial).

Checks first and says what to do: the hub environment and the proxy installed (``python3 -m hub
setup``), the roster applied (``python3 -m hub roster``), the ports free: the public one
(``--port``, default 8000) and the two internal ones (``--hub-port`` 8081 and ``--proxy-api-port``
8001, JupyterHub's defaults; change them to run a second hub on the same machine). Stop it with
Ctrl-C.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from hub.settings import Settings

CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"


def problems(settings: Settings) -> list[str]:
    """What stops the hub from starting, as messages for the administrator (empty: ready)."""
    found = []
    if not (settings.hub_env / "bin" / "jupyterhub").exists():
        found.append(f"JupyterHub is not installed in {settings.hub_env}: run `python3 -m hub setup`")
    if not settings.proxy.exists():
        found.append(f"the proxy {settings.proxy} is missing: run `python3 -m hub setup`")
    for name in ("settings.json", "roster.json"):
        if not (settings.etc / name).exists():
            found.append(f"{settings.etc / name} is missing: run `python3 -m hub roster ROSTER.csv`")
    for ip, port, option in ((settings.ip, settings.port, "--port"),
                             ("127.0.0.1", settings.hub_port, "--hub-port"),
                             ("127.0.0.1", settings.proxy_api_port, "--proxy-api-port")):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((ip, port))
            except OSError as err:
                found.append(f"port {port} on {ip} is in use ({err.strerror}): stop what uses it "
                             f"or pass {option}")
    return found


def command(settings: Settings) -> tuple[list[str], dict]:
    """The jupyterhub command line and environment for these settings."""
    env = dict(os.environ, COURSE_HUB_ETC=str(settings.etc))
    return [str(settings.hub_env / "bin" / "jupyterhub"), "-f", str(CONFIG)], env


def start(settings: Settings) -> int:
    """Start the hub (foreground); 2 with the list of problems when it cannot start."""
    if (settings.etc / "settings.json").exists():
        ports = settings.port, settings.hub_port, settings.proxy_api_port
        settings = Settings.load(settings.etc)
        settings.port, settings.hub_port, settings.proxy_api_port = ports
    found = problems(settings)
    if found:
        print("hub start: cannot start:\n  " + "\n  ".join(found), file=sys.stderr)
        return 2
    settings.state.mkdir(parents=True, exist_ok=True)
    settings.state.chmod(0o700)
    settings.save()
    cmd, env = command(settings)
    print(f"hub start: http://{settings.ip}:{settings.port}/ (Ctrl-C stops it)", flush=True)
    os.chdir(settings.state)
    os.execve(cmd[0], cmd, env)  # the hub replaces this process: Ctrl-C and signals reach it
