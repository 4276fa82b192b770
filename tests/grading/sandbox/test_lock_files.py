"""Lock files of the grading run that student code could plant (found in a hostile-student trial).

Student code runs as a sandbox user and can create files in ``/tmp``: a symbolic link where root
later opened a user-id lock for writing emptied the gradebook, and a FIFO where root opened a run
folder's lock hung every later run. ``course_tools.sandbox.uids`` and ``.runs`` must neither follow
nor block on what they did not make themselves.
"""

from __future__ import annotations

import os
import threading

import pytest

from course_tools.sandbox import runs, uids


def test_a_planted_link_at_a_uid_lock_is_skipped_and_its_target_untouched(tmp_path, monkeypatch):
    locks = tmp_path / "locks"
    locks.mkdir(mode=0o755)
    monkeypatch.setattr(uids, "LOCK_DIR", locks)
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_bytes(b"grades of the whole class")
    (locks / "course-sandbox-uid-61000.lock").symlink_to(gradebook)
    os.mkfifo(locks / "course-sandbox-uid-61001.lock")
    held: list = []
    try:
        assert uids.claim_uid(held, first=61000, count=3) == 61002
    finally:
        for fh in held:
            fh.close()
    assert gradebook.read_bytes() == b"grades of the whole class"


@pytest.mark.skipif(os.geteuid() != 0, reason="the lock folder check matters as root")
def test_a_lock_folder_open_to_others_is_refused(tmp_path, monkeypatch):
    locks = tmp_path / "locks"
    locks.mkdir()
    locks.chmod(0o777)
    monkeypatch.setattr(uids, "LOCK_DIR", locks)
    with pytest.raises(RuntimeError, match="closed to others"):
        uids.claim_uid([], first=61000, count=1)
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    monkeypatch.setattr(uids, "LOCK_DIR", link)
    with pytest.raises(RuntimeError, match="not a folder owned"):
        uids.claim_uid([], first=61000, count=1)


def test_stale_run_folder_clean_up_never_blocks_on_a_planted_fifo(tmp_path, monkeypatch):
    monkeypatch.setattr(runs.tempfile, "gettempdir", lambda: str(tmp_path))
    poison = tmp_path / (runs.RUN_PREFIX + "zzpoison")
    poison.mkdir()
    os.mkfifo(poison / runs.OWNER_LOCK)
    stranger = tmp_path / (runs.RUN_PREFIX + "stranger")
    stranger.mkdir()
    (stranger / runs.OWNER_LOCK).write_text("1\n")
    if os.geteuid() == 0:
        os.chown(stranger, 64123, 64123)  # made by student code, not by a grading run
    result = {}
    worker = threading.Thread(target=lambda: result.update(removed=runs.remove_stale_run_folders()),
                              daemon=True)
    worker.start()
    worker.join(60)  # the call takes milliseconds; on the old code it blocks for ever on the FIFO
    assert not worker.is_alive(), "remove_stale_run_folders blocked on a FIFO named owner.lock"
    assert poison.exists()
    if os.geteuid() == 0:
        assert stranger.exists() and result["removed"] == []
