"""Book tests. A package so that tests/book/conftest.py does not shadow tests/conftest.py (the
test modules here and elsewhere import helpers with ``from conftest import ...``)."""
