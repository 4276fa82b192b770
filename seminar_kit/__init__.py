"""The seminar kit's data code, used by the book's instructor and self-study pages (``import
seminar_kit as sk``): loading, checks, tables and MyST blocks. See ``seminar_kit.data``.
"""

from seminar_kit.data import *  # noqa: F401,F403
