"""The seminar kit: the data behind the book's instructor and self-study pages, loaded, checked and
rendered by one package (``import seminar_kit as sk`` in ``book/instructors/*.md``,
``book/self_study.md`` and ``tests/book/test_seminar_kit.py``).

``data`` loads ``book/data/`` and the course's notebook metadata into a :class:`Kit`; ``checks``
finds inconsistencies; ``pages`` makes the tables and MyST blocks. Every public name of the three is
available here. It serves the book, not the grading tools (``course_tools``), and imports none of them.
"""

from seminar_kit.checks import *  # noqa: F401,F403
from seminar_kit.data import *  # noqa: F401,F403
from seminar_kit.pages import *  # noqa: F401,F403
