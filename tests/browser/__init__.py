"""Browser tests of the built book. A package, so its conftest.py does not shadow tests/conftest.py."""
