#!/usr/bin/python3 -I
"""The exchange's receiving end: stores one student's submission, attributed and timed by the exchange.

Installed by ``python3 -m hub setup`` as ``/opt/<course>/bin/exchange-receive`` (root-owned, run by
``/usr/bin/python3 -I``; standard library only) and run only through one sudo rule::

    %nbgrader-<course> ALL=(<exchange account>) NOPASSWD: /opt/<course>/bin/exchange-receive <config>

so a student's submit (``course_tools.exchange.HardenedSubmit``) runs it as the course's exchange
account. Why: nbgrader 0.9.6's stock exchange (``nbgrader/exchange/default/submit.py``) lets the
student name the folder (``<student>+<assignment>+<timestamp>+<random>``) and write
``timestamp.txt``, and leaves the student owning a world-writable folder; collect only logs a
warning when owner and name differ (``collect.py``). Here:

- the submitter is the account sudo ran us for (``SUDO_UID``, set by sudo, not by the caller), and
  must be a member of the course's student group; any name the caller claims is only recorded;
- the time is this process's clock when the submission was complete (``timestamp.txt`` and the
  folder name are written here, never taken from the caller);
- the submission is unpacked into a hidden staging folder (``inbound/.incoming-*``) and renamed into
  place in one step, so collect never sees half a submission;
- files belong to the exchange account (folders 0750, files 0640, group = the course's instructor
  group through the set-group-id inbound folder): the student can neither change nor delete them
  after submitting, and other students cannot list or read them;
- only regular files and folders are accepted (no links, devices, absolute paths or ``..``), with
  limits on size and number of files.

Input on stdin: one line of JSON ``{"assignment": "ps1", "claimed": "<student id or empty>"}``, then
an uncompressed tar stream of the submission. Output on stdout: one line of JSON
``{"student", "assignment", "timestamp", "directory"}``. Exit status 0 on success; 2 for a refused
submission (message on stderr, and a line in ``inbound/.refusals.jsonl`` for collect's report).

The configuration (argument 1) is a JSON file written by the hub setup, owned by root and writable
by nobody else: ``course_id``, ``exchange_root``, ``student_group``, ``exchange_user``,
``max_bytes``, ``max_files``, ``timezone`` (only "UTC" is supported).
"""

from __future__ import annotations

import datetime
import grp
import json
import os
import pwd
import re
import secrets
import shutil
import stat
import sys
import tarfile

ASSIGNMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: nbgrader's default ``Exchange.timestamp_format`` (nbgrader/exchange/abc/exchange.py).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
#: Files the exchange writes itself: a submission's copies of these are dropped.
EXCHANGE_FILES = {"timestamp.txt", "receipt.json"}


class Refused(Exception):
    """A submission the exchange refuses (the message is for the student)."""


def load_config(path: str) -> dict:
    """Read the course's exchange configuration; refuse one that anybody but root could change."""
    info = os.stat(path)
    if info.st_uid != 0 or info.st_mode & 0o022:
        raise SystemExit(f"exchange-receive: {path} must be owned by root and writable by root only")
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    for key in ("course_id", "exchange_root", "student_group", "exchange_user"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise SystemExit(f"exchange-receive: {path} lacks {key}")
    return config


def submitter(config: dict) -> pwd.struct_passwd:
    """The account that asked sudo to run us; it must belong to the course's student group."""
    if os.getuid() != pwd.getpwnam(config["exchange_user"]).pw_uid:
        raise SystemExit("exchange-receive: run me through sudo as the exchange account")
    uid = os.environ.get("SUDO_UID", "")
    if not uid.isdigit():
        raise Refused("the exchange accepts submissions only through sudo (no SUDO_UID)")
    try:
        account = pwd.getpwuid(int(uid))
    except KeyError:
        raise Refused(f"unknown account id {uid}") from None
    group = grp.getgrnam(config["student_group"])
    if account.pw_gid != group.gr_gid and account.pw_name not in group.gr_mem:
        raise Refused(f"{account.pw_name} is not a student of course {config['course_id']} "
                      f"(group {config['student_group']})")
    return account


def safe_members(archive: tarfile.TarFile, max_bytes: int, max_files: int):
    """Yield (member, relative path) for regular files and folders; refuse anything else."""
    total = count = 0
    for member in archive:
        name = os.path.normpath(member.name)
        parts = name.split(os.sep)
        if name in (".", "") and member.isdir():
            continue
        if os.path.isabs(member.name) or ".." in parts or name.startswith("/"):
            raise Refused(f"unsafe path in submission: {member.name!r}")
        if not (member.isreg() or member.isdir()):
            raise Refused(f"only files and folders can be submitted, not {member.name!r}")
        count += 1
        total += member.size
        if count > max_files:
            raise Refused(f"more than {max_files} files in the submission")
        if total > max_bytes:
            raise Refused(f"submission larger than {max_bytes} bytes")
        yield member, name


def unpack(stream, staging: str, max_bytes: int, max_files: int) -> None:
    """Unpack a tar stream into ``staging`` (folders 0750, files 0640), never following a link."""
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member, name in safe_members(archive, max_bytes, max_files):
            if name in EXCHANGE_FILES:
                continue
            target = os.path.join(staging, name)
            if member.isdir():
                os.makedirs(target, mode=0o750, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), mode=0o750, exist_ok=True)
            source = archive.extractfile(member)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out)
                out.flush()
                os.fsync(out.fileno())


def record_refusal(inbound: str, entry: dict) -> None:
    """Append one refused attempt to ``inbound/.refusals.jsonl`` (read by collect's report)."""
    fd = os.open(os.path.join(inbound, ".refusals.jsonl"),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def receive(config: dict, stream) -> dict:
    """Store the submission on ``stream`` (header line + tar); return what was stored."""
    os.umask(0o027)
    course = os.path.join(config["exchange_root"], config["course_id"])
    inbound = os.path.join(course, "inbound")
    header = json.loads(stream.readline(4096).decode("utf-8") or "{}")
    assignment = str(header.get("assignment", ""))
    claimed = str(header.get("claimed") or "")
    account = submitter(config)
    now = datetime.datetime.now(datetime.timezone.utc)
    entry = {"account": account.pw_name, "claimed": claimed, "assignment": assignment,
             "received": now.isoformat()}
    try:
        if not ASSIGNMENT_RE.match(assignment):
            raise Refused(f"invalid assignment name {assignment!r}")
        if not os.path.isdir(os.path.join(course, "outbound", assignment)):
            raise Refused(f"assignment {assignment} has not been released in {config['course_id']}")
        if claimed and claimed != account.pw_name:
            raise Refused(f"account {account.pw_name} cannot submit as {claimed!r}")
    except Refused as err:
        record_refusal(inbound, dict(entry, reason=str(err)))
        raise
    staging = os.path.join(inbound, ".incoming-" + secrets.token_hex(8))
    os.mkdir(staging, 0o750)
    try:
        unpack(stream, staging, int(config.get("max_bytes", 100_000_000)),
               int(config.get("max_files", 1000)))
        now = datetime.datetime.now(datetime.timezone.utc)  # complete: this is the receipt time
        timestamp = now.strftime(TIMESTAMP_FORMAT)
        receipt = {"student": account.pw_name, "uid": account.pw_uid, "assignment": assignment,
                   "timestamp": timestamp, "claimed": claimed}
        for name, text in (("timestamp.txt", timestamp), ("receipt.json", json.dumps(receipt))):
            fd = os.open(os.path.join(staging, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        for folder, _, _ in os.walk(staging):
            os.chmod(folder, 0o750 | stat.S_ISGID)
        directory = f"{account.pw_name}+{assignment}+{timestamp}+{secrets.token_urlsafe(9)}"
        os.rename(staging, os.path.join(inbound, directory))
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, (tarfile.TarError, Refused, OSError, ValueError)):
            record_refusal(inbound, dict(entry, reason=str(err)))
            raise Refused(str(err)) from None
        raise
    return {"student": account.pw_name, "assignment": assignment, "timestamp": timestamp,
            "directory": directory}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: exchange-receive CONFIG < header+tar", file=sys.stderr)
        return 64
    config = load_config(argv[1])
    try:
        result = receive(config, sys.stdin.buffer)
    except Refused as err:
        print(f"exchange-receive: refused: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
