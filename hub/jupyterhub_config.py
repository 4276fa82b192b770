"""JupyterHub configuration for one course on one machine (started by ``python3 -m hub start``).

Reads ``$COURSE_HUB_ETC/settings.json`` and ``roster.json`` (default ``/opt/upgrading-learning/etc``,
written by ``python3 -m hub roster``). JupyterHub 6.1.1 options used (its docs/source, "Authenticators"
and "Spawners", and the generated ``jupyterhub --generate-config`` reference):

- ``PAMAuthenticator`` (JupyterHub's default): real passwords of local accounts;
  ``allowed_users`` and ``admin_users`` from the roster (since JupyterHub 5 nobody may log in
  without an allow rule);
- ``load_groups``: nbgrader's course groups ``nbgrader-<course>`` and ``formgrade-<course>``
  (the Unix groups of the same names are what the exchange and its sudo rule check); students'
  nbgrader asks the hub for them (``JupyterHubAuthPlugin``, configured in ``ETC/jupyter-student``
  by ``hub/course.py``: ``GET /hub/api/users/<name>`` with the server's ``JUPYTERHUB_API_TOKEN``).
  In JupyterHub 6.1.1 that token has only the ``server`` role's scopes
  (``users:activity!user``, ``access:servers!server``; jupyterhub/roles.py), so
  ``Spawner.server_token_scopes`` adds ``read:users:name!user`` and ``read:users:groups!user``:
  each server may read its own user's name and groups, nothing else;
- ``LocalProcessSpawner`` (the default): each user's server runs as that account, from the lab
  environment built on /usr/bin/python3, in JupyterLab, with the course's nbgrader configuration
  on ``JUPYTER_CONFIG_PATH``; a student's server also gets ``ETC/jupyter-student`` first on that
  path (``Spawner.pre_spawn_hook``), which turns formgrader off for students (``hub/course.py``);
- the proxy is the npm ``configurable-http-proxy`` installed by ``python3 -m hub setup``;
- the hub listens on 127.0.0.1 only (a local trial; see README for a department server: TLS,
  cookie secret, backups, idle culling, limits).
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821

ETC = Path(os.environ.get("COURSE_HUB_ETC", "/opt/upgrading-learning/etc"))
settings = json.loads((ETC / "settings.json").read_text())
roster = json.loads((ETC / "roster.json").read_text())
prefix = Path(settings["prefix"])
state = Path(settings["state"])

c.JupyterHub.bind_url = f"http://{settings['ip']}:{settings['port']}"
c.JupyterHub.hub_ip = "127.0.0.1"
# The two internal ports: JupyterHub's defaults unless changed (``hub start --hub-port
# --proxy-api-port``), so that a second hub, for another course or a test, can run beside this one.
c.JupyterHub.hub_port = int(settings.get("hub_port", 8081))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(settings.get('proxy_api_port', 8001))}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [str(prefix / "proxy" / "node_modules" / ".bin" /
                                       "configurable-http-proxy")]

c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(roster["allowed_users"])
c.Authenticator.admin_users = set(roster["admin_users"])
c.JupyterHub.load_groups = {name: {"users": users} for name, users in roster["groups"].items()}

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(prefix / "lab" / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {"JUPYTER_CONFIG_PATH": str(ETC / "jupyter"),
                         # nbgrader and python in a JupyterLab terminal are the lab environment's
                         "PATH": f"{prefix / 'lab' / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server",
                                 "read:users:name!user", "read:users:groups!user"]
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120

STAFF = set(roster["groups"].get(f"formgrade-{settings['course_id']}", []))


def students_without_formgrader(spawner):
    """Everyone but the instructor and TAs: ETC/jupyter-student first (no formgrader)."""
    if spawner.user.name not in STAFF:
        spawner.environment = dict(spawner.environment, JUPYTER_CONFIG_PATH=(
            f"{ETC / 'jupyter-student'}:{ETC / 'jupyter'}"))


c.Spawner.pre_spawn_hook = students_without_formgrader
