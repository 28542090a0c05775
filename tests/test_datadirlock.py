"""One daemon per data directory: the lock, its message, and its release."""

import os

import pytest

from payalert_core.datadirlock import LOCK_FILE, DataDirLock
from payalert_core.errors import DataDirInUse


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    first = DataDirLock(tmp_path / "data")
    first.acquire()
    assert (tmp_path / "data" / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    with pytest.raises(DataDirInUse, match=rf"in use by another payalert \(PID {os.getpid()}\)") as refused:
        DataDirLock(tmp_path / "data").acquire()
    assert refused.value.exit_code == 3 and "data_dir" in str(refused.value)

    first.release()
    again = DataDirLock(tmp_path / "data")
    again.acquire()  # released: free to take
    again.release()


def test_acquiring_twice_in_one_holder_is_harmless(tmp_path):
    lock = DataDirLock(tmp_path)
    lock.acquire()
    lock.acquire()
    with pytest.raises(DataDirInUse):
        DataDirLock(tmp_path).acquire()
    lock.release()
