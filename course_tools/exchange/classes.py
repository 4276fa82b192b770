"""nbgrader exchange classes for a class on one server where students cannot abuse the exchange.

Configured through nbgrader's ``ExchangeFactory`` (see ``hub/course.py``, which writes it into the
course's nbgrader configuration)::

    c.ExchangeFactory.submit = "course_tools.exchange.classes.HardenedSubmit"   # and the others

Subclasses of nbgrader 0.9.6's default exchange (``nbgrader/exchange/default/*.py``, read in this
project's environment). The exchange folder is laid out by ``python3 -m hub course`` (root):

=====================  ===============================  =======  ==================================
folder                 owner:group                      mode     who
=====================  ===============================  =======  ==================================
``<root>``             root:root                        0755     (stock: 0777, no sticky bit)
``<root>/<course>``    root:root                        0755
``outbound``           root:formgrade-<course>          2775     instructors release, all fetch
``inbound``            <exchange>:formgrade-<course>    2750     only exchange-receive writes
``feedback``           root:formgrade-<course>          2771     not listable; names are keyed hashes
=====================  ===============================  =======  ==================================

- ``HardenedSubmit`` sends the submission through ``sudo -u <exchange> exchange-receive`` (see
  ``receive.py``): attributed to the real account, timed by the exchange, immutable afterwards.
  ``--student`` naming another account is refused.
- ``HardenedCollect`` collects only folders the exchange account made, whose ``receipt.json``
  agrees with the folder name, using the exchange's receipt time; anything else, and every refused
  submit, is written to ``reports/<assignment>/exchange.csv`` in the course and never collected.
  A collected submission is copied aside and renamed into ``submitted/`` in one step.
- Release, fetch, list and feedback classes only replace the stock checks that insist on a
  world-writable root (``Exchange.ensure_root``; ``ExchangeReleaseAssignment.ensure_root`` even
  chmods it to 0777) and on owning the course folders.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import pwd
import shutil
import subprocess
import tarfile
import tempfile

from nbgrader.exchange.default import (Exchange, ExchangeCollect, ExchangeFetchAssignment,
                                       ExchangeFetchFeedback, ExchangeList,
                                       ExchangeReleaseAssignment, ExchangeReleaseFeedback,
                                       ExchangeSubmit)
from nbgrader.utils import check_mode, get_username, parse_utc
from traitlets import Unicode

SETUP_HINT = "ask the course's administrator to run `python3 -m hub course` (see README)"


class HardenedExchange(Exchange):
    """The base: the course folder must exist (stock insists on a world-writable root instead).

    Its settings (``c.HardenedExchange.receive_command`` ...) apply to every class below.
    """

    receive_command = Unicode(
        "/opt/upgrading-learning/bin/exchange-receive",
        help="The exchange's receiving program, run through sudo as the exchange account.",
    ).tag(config=True)
    receive_config = Unicode(
        "/opt/upgrading-learning/etc/exchange.json",
        help="The receiving program's configuration (its only argument, pinned by the sudo rule).",
    ).tag(config=True)
    exchange_user = Unicode("ul-exchange", help="The account that owns inbound submissions.").tag(
        config=True)

    def ensure_root(self):
        course = os.path.join(self.root, self.coursedir.course_id or "")
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        if not os.path.isdir(course) or not check_mode(course, read=True, execute=True):
            self.fail(f"The exchange folder {course} is missing or closed; {SETUP_HINT}.")


class HardenedReleaseAssignment(HardenedExchange, ExchangeReleaseAssignment):
    """Release into ``outbound`` (group-writable for instructors) without touching the root."""

    def init_dest(self):
        self.ensure_root()
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.outbound_path = os.path.join(self.course_path, "outbound")
        self.inbound_path = os.path.join(self.course_path, "inbound")
        self.dest_path = os.path.join(self.outbound_path, self.coursedir.assignment_id)
        if not check_mode(self.outbound_path, write=True, execute=True):
            self.fail(f"You cannot release into {self.outbound_path}: only the course's instructors "
                      f"can; {SETUP_HINT}.")


class HardenedFetchAssignment(HardenedExchange, ExchangeFetchAssignment):
    """Stock fetch (into the student's own, closed home folder)."""


class HardenedFetchFeedback(HardenedExchange, ExchangeFetchFeedback):
    """Stock fetch of feedback: only the holder of a submission's secret can name its file."""


class HardenedList(HardenedExchange, ExchangeList):
    """Stock list (students see their own submissions from their cache)."""


class HardenedReleaseFeedback(HardenedExchange, ExchangeReleaseFeedback):
    """Release feedback into the non-listable ``feedback`` folder, readable by name only."""

    def init_dest(self):
        self.ensure_root()
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.outbound_feedback_path = self.dest_path = os.path.join(self.course_path, "feedback")
        if not check_mode(self.dest_path, write=True, execute=True):
            self.fail(f"You cannot release feedback into {self.dest_path}; {SETUP_HINT}.")

    def copy_files(self):
        super().copy_files()
        uid = os.getuid()
        for path in glob.glob(os.path.join(self.dest_path, "*.html")):
            if os.lstat(path).st_uid == uid:
                os.chmod(path, 0o644)  # the name (a keyed hash) is the secret, as in stock nbgrader


class HardenedSubmit(HardenedExchange, ExchangeSubmit):
    """Submit through the exchange's receiving program (sudo), never by writing ``inbound``."""

    def init_dest(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        if not self.authenticator.has_access(self.coursedir.student_id, self.coursedir.course_id):
            self.fail("You do not have access to this course.")
        me = get_username()
        claimed = self.coursedir.student_id
        if claimed not in ("*", "", me):
            self.fail(f"You are {me}: you cannot submit as {claimed!r}.")
        self.claimed = "" if claimed in ("*", "") else claimed
        self.cache_path = os.path.join(self.cache, self.coursedir.course_id)
        self.student = me

    def _tar(self, folder: str) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
            archive.add(folder, arcname=".")
        return buffer.getvalue()

    def copy_files(self):
        import secrets
        self.init_release()
        self.check_filename_diff()
        with tempfile.TemporaryDirectory() as scratch:
            staged = os.path.join(scratch, self.coursedir.assignment_id)
            self.do_copy(self.src_path, staged)  # stock ignore/include/size rules
            secret = secrets.token_hex(64)
            with open(os.path.join(staged, "submission_secret.txt"), "w") as fh:
                fh.write(secret)
            header = json.dumps({"assignment": self.coursedir.assignment_id,
                                 "claimed": self.claimed}).encode() + b"\n"
            command = ["sudo", "-n", "-u", self.exchange_user, self.receive_command,
                       self.receive_config]
            try:
                done = subprocess.run(command, input=header + self._tar(staged),
                                      capture_output=True, timeout=300)
            except (OSError, subprocess.TimeoutExpired) as err:
                self.fail(f"The exchange did not answer ({err}); your work is unchanged in "
                          f"{self.src_path}. Try again, or tell your instructor.")
            if done.returncode != 0:
                message = done.stderr.decode(errors="replace").strip() or f"status {done.returncode}"
                if "password is required" in message or "not allowed" in message:
                    message = (f"you ({self.student}) are not registered as a student of course "
                               f"{self.coursedir.course_id} on this server ({message})")
                self.fail(f"Submission not accepted: {message}. Your work is unchanged in "
                          f"{self.src_path}.")
            receipt = json.loads(done.stdout.decode().strip().splitlines()[-1])
            self.timestamp = receipt["timestamp"]
            cache_path = os.path.join(self.cache_path, "{}+{}+{}".format(
                self.student, self.coursedir.assignment_id, self.timestamp))
            os.makedirs(self.cache_path, exist_ok=True)
            self.do_copy(staged, cache_path)
            with open(os.path.join(cache_path, "timestamp.txt"), "w") as fh:
                fh.write(self.timestamp)
        self.log.info("Submitted as: {} {} {} (received by the exchange)".format(
            self.coursedir.course_id, self.coursedir.assignment_id, self.timestamp))


class HardenedCollect(HardenedExchange, ExchangeCollect):
    """Collect only what the exchange received, by its receipt; report everything else."""

    def _verify(self, name: str, exchange_uid: int) -> dict:
        """The record of one inbound folder, or raise ValueError saying why it is not collected."""
        path = os.path.join(self.inbound_path, name)
        info = os.lstat(path)
        if not os.path.isdir(path) or os.path.islink(path):
            raise ValueError("not a folder")
        if info.st_uid != exchange_uid:
            raise ValueError("not made by the exchange (owner is uid %d)" % info.st_uid)
        try:
            with open(os.path.join(path, "receipt.json"), encoding="utf-8") as fh:
                receipt = json.load(fh)
        except (OSError, ValueError):
            raise ValueError("no valid receipt") from None
        parts = name.split("+")
        if (len(parts) != 4 or parts[0] != receipt.get("student")
                or parts[1] != receipt.get("assignment") or parts[2] != receipt.get("timestamp")):
            raise ValueError("folder name disagrees with the exchange's receipt")
        return {"username": receipt["student"], "filename": name,
                "timestamp": parse_utc(receipt["timestamp"]), "received": receipt["timestamp"]}

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path) or not check_mode(self.inbound_path, read=True,
                                                                  execute=True):
            self.fail(f"You cannot read {self.inbound_path}: only the course's instructors can; "
                      f"{SETUP_HINT}.")
        exchange_uid = pwd.getpwnam(self.exchange_user).pw_uid
        assignment = self.coursedir.assignment_id
        wanted = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        self.report_rows = []
        records = []
        for name in sorted(os.listdir(self.inbound_path)):
            if name.startswith("."):
                continue  # the exchange's staging folders and refusal log
            parts = name.split("+")
            if len(parts) > 1 and parts[1] != assignment:
                continue
            try:
                record = self._verify(name, exchange_uid)
            except (ValueError, OSError) as err:
                self.log.warning("Not collecting %s: %s", name, err)
                self.report_rows.append({"account": "", "claimed": parts[0], "folder": name,
                                         "received": "", "status": "not collected",
                                         "reason": str(err)})
                continue
            if wanted and record["username"] != wanted:
                continue
            records.append(record)
        self._read_refusals(assignment)
        from nbgrader.api import Gradebook, MissingEntry
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(assignment).duedate
            except MissingEntry:
                self.duedate = None
        by_student: dict = {}
        for record in sorted(records, key=lambda r: r["timestamp"]):
            by_student.setdefault(record["username"], []).append(record)
        self.src_records = []
        for mine in by_student.values():   # stock rule: the newest, or with --before-duedate the
            chosen = mine[-1]               # newest before the due date when there is one
            if self.before_duedate and self.duedate is not None:
                early = [r for r in mine if r["timestamp"] <= self.duedate]
                chosen = early[-1] if early else chosen
            self.src_records.append(chosen)

    def _read_refusals(self, assignment: str) -> None:
        path = os.path.join(self.inbound_path, ".refusals.jsonl")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("assignment") == assignment:
                    self.report_rows.append({
                        "account": entry.get("account", ""), "claimed": entry.get("claimed", ""),
                        "folder": "", "received": entry.get("received", ""),
                        "status": "refused at submit", "reason": entry.get("reason", "")})

    def copy_files(self):
        for record in self.src_records:
            student = record["username"]
            src = os.path.join(self.inbound_path, record["filename"])
            dest = self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                              self.coursedir.assignment_id)
            existing = (self.coursedir.get_existing_timestamp(dest) if os.path.isdir(dest)
                        else None)
            status = "collected"
            if existing is not None and existing >= record["timestamp"]:
                status = "already collected"
            elif existing is not None and not self.update and not self.before_duedate:
                status = "newer submission not collected (use --update)"
            else:
                parent = os.path.dirname(dest)
                os.makedirs(parent, exist_ok=True)
                staging = tempfile.mkdtemp(prefix=".collecting-", dir=parent)
                try:
                    self.do_copy(src, os.path.join(staging, "copy"))
                    if os.path.isdir(dest):
                        old = tempfile.mkdtemp(prefix=".replaced-", dir=parent)
                        os.rename(dest, os.path.join(old, "old"))
                        os.rename(os.path.join(staging, "copy"), dest)
                        shutil.rmtree(old)
                        status = "updated"
                    else:
                        os.rename(os.path.join(staging, "copy"), dest)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                self.log.info("Collected %s %s (received %s)", student,
                              self.coursedir.assignment_id, record["received"])
            self.report_rows.append({"account": student, "claimed": student,
                                     "folder": record["filename"], "received": record["received"],
                                     "status": status, "reason": ""})
        self._write_report()

    def _write_report(self) -> None:
        folder = os.path.join(self.coursedir.root, "reports", self.coursedir.assignment_id)
        os.makedirs(folder, exist_ok=True)
        fields = ["account", "claimed", "folder", "received", "status", "reason"]
        with open(os.path.join(folder, "exchange.csv"), "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(self.report_rows)
        refused = [r for r in self.report_rows if r["status"] in ("refused at submit",
                                                                   "not collected")]
        for row in refused:
            self.log.warning("Exchange: %s (account %s, claimed %s): %s", row["status"],
                             row["account"] or "?", row["claimed"] or "-", row["reason"])


#: ``ExchangeFactory`` settings for this module (used by hub/course.py and the tests).
FACTORY = {
    "exchange": "course_tools.exchange.classes.HardenedExchange",
    "fetch_assignment": "course_tools.exchange.classes.HardenedFetchAssignment",
    "fetch_feedback": "course_tools.exchange.classes.HardenedFetchFeedback",
    "release_assignment": "course_tools.exchange.classes.HardenedReleaseAssignment",
    "release_feedback": "course_tools.exchange.classes.HardenedReleaseFeedback",
    "list": "course_tools.exchange.classes.HardenedList",
    "submit": "course_tools.exchange.classes.HardenedSubmit",
    "collect": "course_tools.exchange.classes.HardenedCollect",
}

