"""A little disk space set aside in the data directory, for the day the disk fills up.

``payalert.reserve`` is a preallocated file. When SQLite reports the disk full, the store deletes
it: the space it frees lets the write-ahead log be checkpointed and delivery outcomes be recorded,
while new payments are refused (503) so that they cannot eat it again. Once the file system has
room for the reserve twice over, it is allocated again and payments are accepted. Its size is an
eighth of the file system, between 64 KiB and 1 MiB; the store checkpoints its write-ahead log
whenever the log grows past that size, so releasing the reserve is always enough to checkpoint.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

RESERVE_FILE = "payalert.reserve"
SMALLEST = 64 * 1024
LARGEST = 1024 * 1024
#: Free space needed, in reserves, before payments are accepted again (one is allocated at once).
RESUME_AT = 2


class DiskReserve:
    """The reserve file of one data directory."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / RESERVE_FILE
        self.size = LARGEST

    def measure(self) -> int:
        """Size the reserve from the file system's size (a blocking ``statvfs``); return it."""
        try:
            stats = os.statvfs(self.path.parent)
        except OSError:
            return self.size
        self.size = max(SMALLEST, min(LARGEST, stats.f_blocks * stats.f_frsize // 8))
        return self.size

    def ensure(self) -> bool:
        """Allocate the reserve unless it is there already; False when the disk has no room for it."""
        try:
            if self.path.stat().st_size >= self.size:
                return True
        except FileNotFoundError:
            pass
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                return False
            raise
        try:
            os.posix_fallocate(descriptor, 0, self.size)
        except OSError as error:
            os.close(descriptor)
            self.release()
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                return False
            raise
        os.close(descriptor)
        return True

    def release(self) -> bool:
        """Give the reserve back to the file system; True when there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def room_to_resume(self) -> bool:
        """Whether the file system has room for the reserve ``RESUME_AT`` times over (``statvfs``)."""
        with contextlib.suppress(OSError):
            stats = os.statvfs(self.path.parent)
            held = 0 if not self.path.exists() else self.path.stat().st_size
            return stats.f_bavail * stats.f_frsize + held >= RESUME_AT * self.size
        return False
