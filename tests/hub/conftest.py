"""Fixtures of the class hub tests: see hubtools.py."""

from hubtools import hub_course, hub_install  # noqa: F401
