"""What the store does about a full disk: a reserve of space, a bounded log, payments refused meanwhile.

``payalert.reserve`` is a preallocated file in the data directory. When SQLite reports the disk
full, the store deletes it: the space it frees lets the write-ahead log be checkpointed and
delivery outcomes be recorded, while new payments are refused (503) so that they cannot eat it
again. Once the file system has room for the reserve twice over, and a reserve more than the store's
own relief left free (so that the space payalert freed itself never counts as space returned, and
payments do not flap between accepted and refused), it is allocated again and payments are accepted. The reserve is an eighth of the file system, between 64 KiB and 1 MiB, and SQLite is
told to checkpoint its write-ahead log whenever the log holds that much (SQLite's default, 4 MB,
exceeded whole small volumes: the database file stayed empty while the log filled the disk), so
releasing the reserve always leaves room to checkpoint.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import time
from pathlib import Path

log = logging.getLogger("payalert.store")

RESERVE_FILE = "payalert.reserve"
SMALLEST = 64 * 1024
LARGEST = 1024 * 1024
#: Free space needed, in reserves, before payments are accepted again (one is allocated at once).
RESUME_AT = 2
#: While the disk is full, the write-ahead log is truncated whenever it passes this share of the reserve.
FULL_DISK_CHECKPOINT_SHARE = 0.25


class DiskReserve:
    """The reserve file of one data directory."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / RESERVE_FILE
        self.size = LARGEST
        #: Bytes free right after payalert gave its own space back (see :meth:`note_relief`).
        self.free_after_relief = 0

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

    def free(self) -> int | None:
        """Bytes free on the file system, the reserve's own included (``statvfs``); None if unknown."""
        with contextlib.suppress(OSError):
            stats = os.statvfs(self.path.parent)
            held = 0 if not self.path.exists() else self.path.stat().st_size
            return stats.f_bavail * stats.f_frsize + held
        return None

    def note_relief(self) -> None:
        """Remember the space free once payalert has given its own back (reserve, truncated log)."""
        self.free_after_relief = self.free() or 0

    def room_to_resume(self) -> bool:
        """Whether the file system has room for the reserve ``RESUME_AT`` times over, and for one
        reserve more than was free after payalert's own relief: space someone else freed."""
        free = self.free()
        return free is not None and free >= max(RESUME_AT * self.size, self.free_after_relief + self.size)


class DiskPressure:
    """The reserve of one store, the bound on its log, and whether payments wait for space.

    The methods taking a connection block (file system calls, checkpoints): run them where the
    store runs its commits.
    """

    def __init__(self, database: Path, keep_reserve: bool) -> None:
        self.keep_reserve = keep_reserve
        self.reserve = DiskReserve(database.parent)
        self._wal = database.with_name(database.name + "-wal")
        self.full_since: float | None = None  # while set, payments are refused

    @property
    def refusing_payments(self) -> bool:
        """True while the disk is full: the space left is kept for delivery records."""
        return self.full_since is not None

    def problem(self) -> str | None:
        """Why payments are refused, for /health, or None."""
        if self.full_since is None:
            return None
        return (
            f"the disk holding {self.reserve.path.parent} is full: new payments are refused until "
            "space is freed (deliveries are still recorded)"
        )

    def bound_the_log(self, connection: sqlite3.Connection) -> None:
        """Have SQLite checkpoint the log whenever it holds the reserve's size, and cut the file back
        to that size when the log starts over."""
        self.reserve.measure()
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        connection.execute(f"PRAGMA wal_autocheckpoint={max(16, self.reserve.size // page_size)}")
        connection.execute(f"PRAGMA journal_size_limit={self.reserve.size}")

    def checkpoint_if_grown(self, connection: sqlite3.Connection) -> None:
        """While the disk is full: truncate the log whenever it passes a quarter of the reserve."""
        if self.full_since is None:
            return  # SQLite's own checkpoints keep it bounded (see bound_the_log)
        try:
            grown = os.stat(self._wal).st_size >= self.reserve.size * FULL_DISK_CHECKPOINT_SHARE
        except OSError:
            return
        if grown:
            with contextlib.suppress(sqlite3.Error):  # busy or full: the next commit tries again
                checkpoint_wal(connection)

    def keep(self) -> None:
        """Allocate the reserve (the daemon's store, at open); refuse payments if there is no room."""
        if self.keep_reserve and self.full_since is None and not self._allocate():
            self.disk_full("no room for the disk reserve")

    def disk_full(self, reason: str) -> None:
        """Refuse payments from now on, until :meth:`space_returned` (logged once)."""
        if self.full_since is None:
            self.full_since = time.time()
            log.error(
                "the disk holding %s is full (%s): new payments are refused (503) until space is "
                "freed, while deliveries go on and are recorded in the space payalert kept in reserve",
                self.reserve.path.parent,
                reason,
            )

    def relieve(self, connection: sqlite3.Connection) -> None:
        """Give the reserve back to the file system and truncate the log."""
        self.reserve.release()
        with contextlib.suppress(sqlite3.Error):
            checkpoint_wal(connection)
        self.reserve.note_relief()

    def space_returned(self, connection: sqlite3.Connection) -> bool:
        """While payments are refused: True (and the reserve allocated again) once it fits twice."""
        with contextlib.suppress(sqlite3.Error):
            checkpoint_wal(connection)
        if self.full_since is None or not (self.reserve.room_to_resume() and self._allocate()):
            return False
        log.info(
            "the disk holding %s has room again (after %.0fs): payments are accepted",
            self.reserve.path.parent,
            time.time() - self.full_since,
        )
        self.full_since = None
        self.reserve.free_after_relief = 0
        return True

    def _allocate(self) -> bool:
        try:
            return self.reserve.ensure()
        except OSError as error:  # not a lack of space (permissions, say): carry on without one
            log.warning(
                "cannot keep a disk reserve at %s (%s); carrying on without", self.reserve.path, error
            )
            return True


def is_disk_full(error: BaseException) -> bool:
    """True for SQLITE_FULL (and ENOSPC): the disk has no room left."""
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.Error) and code is not None and code & 0xFF == sqlite3.SQLITE_FULL


def checkpoint_wal(connection: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the database and truncate it, giving its space back, without
    waiting for readers (a reader in the way leaves part of it for the next checkpoint)."""
    (waited,) = connection.execute("PRAGMA busy_timeout").fetchone()
    connection.execute("PRAGMA busy_timeout=0")
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.execute(f"PRAGMA busy_timeout={waited}")


def refused_for_space() -> sqlite3.OperationalError:
    """The error an ingest gets while the disk is full (a storage error: webhooks get 503)."""
    error = sqlite3.OperationalError("database or disk is full; payments wait until space is freed")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    return error
