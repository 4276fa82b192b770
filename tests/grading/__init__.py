"""Grading tests. A package so that tests/grading/conftest.py (the assignment tests' shared fixtures)
does not shadow tests/conftest.py (test modules import helpers with ``from conftest import ...``)."""
