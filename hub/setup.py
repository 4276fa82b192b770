"""``python3 -m hub setup``: install the class hub's environments and programs (root, idempotent).

Makes, under the prefix (default ``/opt/upgrading-learning``, readable by every account):

- ``hub/``: a virtual environment on Debian's ``/usr/bin/python3`` with ``requirements-hub.txt``
  (JupyterHub, pamela for PAM login);
- ``lab/``: the single-user servers' environment with ``requirements-lab.txt`` (JupyterLab,
  nbgrader and its JupyterLab extension: Assignments tab, Validate, formgrader; numpy, pandas,
  matplotlib) plus this repository's ``course_tools`` (the exchange classes and the course's
  preprocessors that nbgrader_config.py imports). Every run also writes the environment's
  extension settings (``pin_lab_extensions``): formgrader's server extension and the formgrader
  and create-assignment JupyterLab plugins on, as a fresh install of nbgrader 0.9.6 has them
  (its installation guide: all enabled by default), whatever was enabled or disabled by hand
  since. Students lose formgrader through their own configuration folder (``hub/course.py``);
- ``proxy/``: ``configurable-http-proxy`` from npm, pinned (``PROXY_VERSION``);
- ``bin/exchange-receive`` and ``bin/course-grade``: root-owned copies of the two programs the
  sudo rules allow (``course_tools/exchange/receive.py``, ``hub/grade_as_root.py``).

Each part is redone only when what it was built from changed (a stamp file holds a hash), so a
second run takes seconds. Also installs Debian's ``sudo``, ``python3-venv`` (and
``nodejs``/``npm``) when missing. Why a separate environment
on /usr/bin/python3: a trial spawned a PAM user's server only from an environment built on
Debian's interpreter, since the default python3 here lives in root's closed home folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hub.settings import REPO, Settings

PYTHON = "/usr/bin/python3"
PROXY_VERSION = "5.3.0"
HERE = Path(__file__).resolve().parent


def _digest(*paths: Path, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(REPO)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _stamped(stamp: Path, digest: str) -> bool:
    return stamp.exists() and stamp.read_text() == digest


def _run(cmd: list, **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def missing_debian_packages(python: str = PYTHON) -> list[str]:
    """Debian packages a fresh machine may lack: ``sudo`` (the exchange and grading rules) and
    ``python3-venv`` (Debian's python3 cannot make a virtual environment without it: no
    ``ensurepip``)."""
    missing = [] if shutil.which("sudo") else ["sudo"]
    probe = subprocess.run([python, "-c", "import ensurepip, venv"], capture_output=True)
    if probe.returncode:
        missing.append("python3-venv")
    return missing


def ensure_debian_packages() -> None:
    """apt-get install what ``missing_debian_packages`` finds missing (nothing when all there)."""
    missing = missing_debian_packages()
    if not missing:
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def ensure_env(path: Path, requirements: Path, extra_install: list | None = None) -> bool:
    """A venv at ``path`` on /usr/bin/python3 with ``requirements`` installed; True if it changed."""
    digest = _digest(requirements, *(extra_install or []), extra=PYTHON)
    stamp = path / ".installed"
    if _stamped(stamp, digest):
        return False
    if not (path / "bin" / "python").exists():
        _run([PYTHON, "-m", "venv", path])
    pip = [path / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(pip + ["-r", requirements])
    if extra_install:
        # The course's own package, copied (not editable): the checkout may be closed to others.
        # Built from a scratch copy so that nothing is written into the checkout.
        with tempfile.TemporaryDirectory() as scratch:
            for name in ("pyproject.toml", "course_tools", "learning_dynamics"):
                source = REPO / name
                if source.is_dir():
                    shutil.copytree(source, Path(scratch) / name,
                                    ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(source, Path(scratch) / name)
            _run(pip + ["--no-deps", "--force-reinstall", scratch])
    stamp.write_text(digest)
    return True


def ensure_proxy(prefix: Path) -> None:
    """``npm install configurable-http-proxy@PROXY_VERSION`` into ``prefix/proxy``."""
    folder = prefix / "proxy"
    stamp = folder / ".installed"
    if _stamped(stamp, PROXY_VERSION) and (folder / "node_modules" / ".bin").exists():
        return
    if shutil.which("npm") is None and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _run(["apt-get", "update", "-qq"], env=env)
        _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nodejs", "npm"],
             env=env)
    if shutil.which("npm") is None:
        raise SystemExit("hub setup: npm is missing; install Node.js (apt-get install nodejs npm)")
    folder.mkdir(parents=True, exist_ok=True)
    _run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", folder,
          f"configurable-http-proxy@{PROXY_VERSION}"])
    stamp.write_text(PROXY_VERSION)


def pin_lab_extensions(lab_env: Path) -> None:
    """Formgrader on at the lab environment's level (``--sys-prefix``), replacing hand edits.

    Writes ``etc/jupyter/jupyter_server_config.d/nbgrader.server_extensions.formgrader.json``
    (what ``jupyter server extension enable --sys-prefix`` writes) and
    ``etc/jupyter/labconfig/page_config.json`` (what ``jupyter labextension enable
    --level=sys_prefix`` writes, without locks, so that a student's configuration folder can
    disable the plugins).
    """
    import json
    etc = lab_env / "etc" / "jupyter"
    server = etc / "jupyter_server_config.d" / "nbgrader.server_extensions.formgrader.json"
    page = etc / "labconfig" / "page_config.json"
    for path, data in ((server, {"ServerApp": {"jpserver_extensions": {
                            "nbgrader.server_extensions.formgrader": True}}}),
                       (page, {"disabledExtensions": {"@jupyter/nbgrader:formgrader": False,
                                                      "@jupyter/nbgrader:create-assignment": False}})):
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2)
        if path.exists() and path.read_text() == text:
            continue  # unchanged: a running server never reads a half-written file
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o644)
        tmp.replace(path)


def install_programs(settings: Settings) -> None:
    """Root-owned copies of the two sudo-allowed programs, run by /usr/bin/python3 -I."""
    bindir = settings.prefix / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for source, target in ((REPO / "course_tools" / "exchange" / "receive.py",
                            settings.receive_program),
                           (HERE / "grade_as_root.py", settings.grade_program)):
        text = source.read_text()
        lines = text.splitlines(keepends=True)
        if lines[0].startswith("#!"):
            lines = lines[1:]
        text = f"#!{PYTHON} -I\n" + "".join(lines)
        if target.exists() and target.read_text() == text and target.stat().st_uid == 0:
            continue
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text)
        os.chown(tmp, 0, 0)
        tmp.chmod(0o755)
        tmp.replace(target)


def setup(settings: Settings) -> None:
    """Install everything the hub needs (see the module docstring); fast when already done."""
    if os.geteuid() != 0:
        raise SystemExit("hub setup: run as root")
    if not Path(PYTHON).exists():
        raise SystemExit(f"hub setup: {PYTHON} is missing (apt-get install python3 python3-venv)")
    settings.prefix.mkdir(parents=True, exist_ok=True)
    settings.prefix.chmod(0o755)
    # One setup at a time per prefix (two test runs, or an administrator and a test run, would
    # otherwise pip-install into the same environment at once); the lock goes with the process.
    with open(settings.prefix / ".setup.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_debian_packages()
        ensure_env(settings.hub_env, HERE / "requirements-hub.txt")
        ensure_env(settings.lab_env, HERE / "requirements-lab.txt",
                   extra_install=[REPO / "course_tools", REPO / "learning_dynamics",
                                  REPO / "pyproject.toml"])
        pin_lab_extensions(settings.lab_env)
        ensure_proxy(settings.prefix)
        install_programs(settings)
    print(f"hub setup: done ({settings.prefix})", flush=True)


if __name__ == "__main__":
    setup(Settings())
    sys.exit(0)
