"""One daemon per data directory: an exclusive ``flock`` on ``payalert.lock``, held while it runs.

The kernel releases the lock when the process ends in any way (``kill -9`` included), so there is
never a stale lock to clean up. The file holds the PID of the daemon that holds it, for the message
a second daemon prints. Commands that only read or queue work (``deliveries``, ``retry-failed``)
do not take it, so they keep working beside a running daemon.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from .errors import DataDirInUse, StorageUnavailable, UserError

LOCK_FILE = "payalert.lock"


class DataDirLock:
    """The exclusive lock of one data directory; :meth:`acquire` it once, :meth:`release` at exit."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise DataDirInUse naming the holder's PID (StorageUnavailable on a full disk)."""
        if self._descriptor is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageUnavailable(
                    f"data_dir: no space left to create {self.path}; free space on that disk "
                    "(payalert exits 75 so that its service manager tries again)"
                ) from None
            raise UserError(
                f"data_dir: cannot use {self.path.parent} ({error.strerror}); "
                "point data_dir at a writable folder"
            ) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(descriptor)
            os.close(descriptor)
            who = f"PID {holder}" if holder else "another process"
            raise DataDirInUse(
                f"data_dir: {self.path.parent} is in use by another payalert ({who}); stop it first, "
                "or give this one another data_dir"
            ) from None
        self._descriptor = descriptor
        _write_pid(descriptor)

    def release(self) -> None:
        """Give the lock up (the kernel also does when the process ends)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def _read_pid(descriptor: int) -> int | None:
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _write_pid(descriptor: int) -> None:
    """Record our PID in the lock file; on a full disk the lock still holds, only the PID is missing."""
    try:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass
