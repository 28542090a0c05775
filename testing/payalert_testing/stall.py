"""Measuring event-loop stalls: how late a 10 ms ticker wakes, and a process that holds SQLite's
write lock for a while (as ``sqlite3`` or a backup tool would)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

#: How often (seconds) the ticker asks to be woken.
TICK = 0.01

_HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


class LoopLag:
    """``async with LoopLag() as lag:``; afterwards ``lag.worst`` is the longest a tick came late (s)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _tick(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - asked - TICK)


def hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """A process holding ``path``'s write lock for ``seconds``; returns once the lock is taken."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    if holder.stdout.readline().strip() != "locked":
        holder.kill()
        raise RuntimeError(f"the lock holder exited with {holder.wait()}")
    return holder
