"""Where the class hub keeps things: one :class:`Settings` shared by setup, roster, course and start.

Defaults are for the course ``upgrading-learning``: environments under ``/opt/upgrading-learning``
(built on Debian's ``/usr/bin/python3``, which every account can run; the default ``python3`` on
these machines lives in root's closed home folder), the exchange in ``/srv/nbgrader/exchange``,
the instructor's course folder ``~<instructor>/course``. Tests use another course id, exchange root
and configuration folder, sharing the same environments.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PREFIX = Path("/opt/upgrading-learning")


@dataclass
class Settings:
    """Paths and names of one course's hub installation (all absolute paths)."""

    course_id: str = "upgrading-learning"
    prefix: Path = DEFAULT_PREFIX               # environments, proxy and root-owned programs
    etc: Path = DEFAULT_PREFIX / "etc"          # this course's configuration (root-owned)
    exchange_root: Path = Path("/srv/nbgrader/exchange")
    exchange_user: str = "ul-exchange"
    account_prefix: str = ""                    # prepended to every roster name (tests: "hubt-...")
    ip: str = "127.0.0.1"
    port: int = 8000                            # the public port (users' browsers)
    hub_port: int = 8081                        # the hub's internal API (JupyterHub's default)
    proxy_api_port: int = 8001                  # the proxy's REST API (JupyterHub's default)
    state: Path = Path("/var/lib/upgrading-learning")   # hub database, cookie secret
    project_python: Path = field(default_factory=lambda: REPO / ".venv" / "bin" / "python")

    @property
    def hub_env(self) -> Path:
        return self.prefix / "hub"

    @property
    def lab_env(self) -> Path:
        return self.prefix / "lab"

    @property
    def proxy(self) -> Path:
        return self.prefix / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"

    @property
    def receive_program(self) -> Path:
        return self.prefix / "bin" / "exchange-receive"

    @property
    def grade_program(self) -> Path:
        return self.prefix / "bin" / "course-grade"

    @property
    def student_group(self) -> str:
        return f"nbgrader-{self.course_id}"

    @property
    def instructor_group(self) -> str:
        return f"formgrade-{self.course_id}"

    @property
    def sudoers_file(self) -> Path:
        return Path("/etc/sudoers.d") / ("course-" + self.course_id.replace(".", "_"))

    def save(self) -> Path:
        """Write ``etc/settings.json`` (read by the hub configuration and ``hub start``)."""
        self.etc.mkdir(parents=True, exist_ok=True)
        path = self.etc / "settings.json"
        data = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}
        path.write_text(json.dumps(data, indent=1))
        path.chmod(0o644)
        return path

    @classmethod
    def load(cls, etc: Path) -> "Settings":
        """Read ``etc/settings.json``; FileNotFoundError says to run the roster command first."""
        path = Path(etc) / "settings.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `python3 -m hub roster ROSTER.csv` first")
        data = json.loads(path.read_text())
        types = {"prefix", "etc", "exchange_root", "state", "project_python"}
        return cls(**{k: Path(v) if k in types else v for k, v in data.items()})
