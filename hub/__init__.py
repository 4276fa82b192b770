"""The class JupyterHub for one course on one machine (issue 15).

``python3 -m hub setup``   install the pinned hub and lab environments and the proxy (setup.py)
``python3 -m hub roster``  accounts, groups, exchange and sudo rules from a roster (roster.py, course.py)
``python3 -m hub start``   start the hub on 127.0.0.1 for a local trial (start.py)

Everything runs as root. Standard library only: this package runs on Debian's /usr/bin/python3
before any environment exists. See README.md, "Instructor: the class hub".
"""
