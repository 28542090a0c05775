"""The disk reserve: sized from the file system, allocated, given back."""

import os
import sqlite3

from payalert_core.diskspace import (
    LARGEST,
    RESERVE_FILE,
    SMALLEST,
    DiskReserve,
    checkpoint_wal,
    is_disk_full,
    refused_for_space,
)


def test_the_reserve_is_allocated_and_given_back(tmp_path):
    reserve = DiskReserve(tmp_path)
    size = reserve.measure()
    assert SMALLEST <= size <= LARGEST
    assert reserve.ensure() and (tmp_path / RESERVE_FILE).stat().st_size == size
    assert os.stat(tmp_path / RESERVE_FILE).st_blocks * 512 >= size  # really allocated, not sparse
    assert reserve.ensure()  # already there: nothing to do
    assert reserve.release() and not (tmp_path / RESERVE_FILE).exists()
    assert reserve.release() is False


def test_a_big_file_system_has_room_to_resume_and_the_refusal_is_a_disk_full_error(tmp_path):
    reserve = DiskReserve(tmp_path)
    reserve.measure()
    assert reserve.room_to_resume()
    assert is_disk_full(refused_for_space()) and is_disk_full(OSError(28, "No space left on device"))
    assert not is_disk_full(OSError(30, "Read-only file system"))


def test_a_checkpoint_gives_the_connection_its_own_busy_timeout_back(tmp_path):
    # The store's writing connection never waits for a lock on the event loop (busy_timeout 0);
    # a checkpoint must not leave it waiting seconds at the next BEGIN.
    connection = sqlite3.connect(tmp_path / "payalert.sqlite3", isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        for busy_timeout in (0, 1234):
            connection.execute(f"PRAGMA busy_timeout={busy_timeout}")
            checkpoint_wal(connection)
            assert connection.execute("PRAGMA busy_timeout").fetchone() == (busy_timeout,)
    finally:
        connection.close()


def test_space_payalert_freed_itself_does_not_count_as_space_returned(tmp_path, monkeypatch):
    reserve = DiskReserve(tmp_path)
    reserve.size = SMALLEST
    free = {"bytes": 3 * SMALLEST}  # the released reserve and a truncated log left three reserves free
    monkeypatch.setattr(reserve, "free", lambda: free["bytes"])
    reserve.note_relief()
    assert not reserve.room_to_resume()
    free["bytes"] += SMALLEST - 1
    assert not reserve.room_to_resume()
    free["bytes"] += 1  # someone else freed a reserve's worth
    assert reserve.room_to_resume()
