"""Canvas "Download Submissions" archives -> course student ids.

Source read (2026-12-04, through the code index): instructure/canvas-lms ``lib/content_zipper.rb``
(an older version, which checks the ``anonymous_grading`` feature flag; its date was not
shown, and newer versions are unverified). Each uploaded file of a submission is stored as
``<name>_<LATE_?><user id>_<attachment id>_<display name>``, where

- ``<name>`` is the student's *sortable name* ("Last, First") with every non-word character
  removed and the whole prefix lower-cased (``sanitize_file_name``: ``gsub(/[^[[:word:]]]/, '')``
  then ``downcase``), so ``Bitdiddle, Ben`` becomes ``bitdiddleben``; any ``_<digits>_`` inside a
  name is removed first (Canvas uses ``_\\d+_`` to find the ids on re-upload). With anonymous
  grading the name is left out;
- ``late`` (lower case after ``downcase``; we accept any case) marks a submission after its due
  date;
- the user id is the Canvas user id (the ``ID`` column of the gradebook), which the roster maps to
  the course id (``canvas_user_id``);
- the display name is the file name the student uploaded; Canvas renames a re-uploaded file with
  a ``-N`` suffix (``ps1-1.ipynb``), which :func:`parse_name` removes when the result is a release
  notebook name.

A late marker becomes a timestamp one second after the due date (``duedate``): the file says
that the submission was late, not by how much, so the course's late-penalty policy
(``LateSubmissionPlugin``; nbgrader's default method is "none") sees the smallest lateness.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import PurePosixPath

from traitlets import Unicode

from nbgrader.plugins import FileNameCollectorPlugin

from course_tools import roster as _roster

NAME = re.compile(r"^(?P<name>.*?)(?:_(?P<late>late))?_(?P<uid>\d+)_(?P<fid>\d+)_(?P<file>.+)$",
                  re.IGNORECASE)


def parse_name(path: str, notebooks: list[str] | tuple = ()) -> dict | None:
    """{user_id, late, file_id} from a file name in a Canvas download, or None if not one.

    ``notebooks``: release notebook names; a ``-N`` re-upload suffix is removed when the result
    is one of them.
    """
    # "/" only: Canvas names its downloads itself; a "\\" is part of the uploader's display name
    # (read as a folder it made "<carol>_x\\<alice>_ps1.ipynb" alice's in a trial).
    base = PurePosixPath(path).name
    m = NAME.match(base)
    if not m:
        return None
    file_id = m.group("file")
    undone = re.sub(r"-\d+(\.ipynb)$", r"\1", file_id)
    if undone != file_id and undone in notebooks:
        file_id = undone
    return {"user_id": m.group("uid"), "late": bool(m.group("late")), "file_id": file_id}


def late_timestamp(duedate) -> str:
    """The timestamp given to a LATE file: one second after ``duedate`` (a datetime), as text
    nbgrader parses (``YYYY-MM-DD HH:MM:SS.ffffff UTC``-style, naive UTC)."""
    return str(duedate + timedelta(seconds=1))


class CanvasCollectorPlugin(FileNameCollectorPlugin):
    """nbgrader ``zip_collect`` collector for Canvas submission downloads (module docstring).

    Configure ``roster`` (course roster CSV), ``duedate`` (needed when any file is marked late)
    and ``notebooks`` (release notebook names).
    """

    roster = Unicode("", help="course roster CSV (course_tools.roster)").tag(config=True)
    duedate = Unicode("", help="the assignment's due date (UTC), for LATE files").tag(config=True)
    notebooks = Unicode("", help="release notebook names, comma-separated").tag(config=True)

    _map: dict | None = None

    def collect(self, submitted_file: str) -> dict | None:
        from nbgrader.utils import parse_utc

        if not submitted_file.endswith(tuple(self.valid_ext)):
            return None
        if self._map is None:
            table = _roster.load_roster(self.roster)
            self._map = {u: s for u, s in zip(table["canvas_user_id"], table["student_id"]) if u}
        parsed = parse_name(submitted_file, self.notebooks.split(","))
        if parsed is None or parsed["user_id"] not in self._map:
            self.log.warning("not matched to a student: %s", submitted_file)
            return None
        info = {"student_id": self._map[parsed["user_id"]], "file_id": parsed["file_id"]}
        if parsed["late"]:
            if not self.duedate:
                raise ValueError(f"{submitted_file} is marked LATE but no due date is known")
            info["timestamp"] = late_timestamp(parse_utc(self.duedate))
        return info
