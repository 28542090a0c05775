"""Outbox notices between nodes: ``LISTEN``/``NOTIFY`` on one channel of the shared database.

The node that holds a lane sends its deliveries; a node that queued deliveries for a lane it does
not hold wakes the holder with a ``NOTIFY``. One ``NOTIFY`` goes for all it queued within
``NOTIFY_DELAY``, on its own, after the commit (a ``NOTIFY`` inside the ingest would serialise every
commit, fsync included).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from .postgres_schema import OUTBOX_CHANNEL

log = logging.getLogger("payalert.store")

#: How long a node gathers ingests before telling the others about them in one NOTIFY.
NOTIFY_DELAY = 0.02


class OutboxNotices:
    """Sends and hears the outbox channel's notices for one node."""

    def __init__(
        self,
        write: Callable[[str], Awaitable[Any]],
        dedicated: Callable[[], Awaitable[psycopg.AsyncConnection]],
    ) -> None:
        self.write = write
        self.dedicated = dedicated
        self.on_change: Callable[[], None] | None = None
        self._notify: asyncio.TimerHandle | None = None

    def tell_soon(self) -> None:
        """One NOTIFY soon for every call until then (the holder of a lane is woken by it)."""
        if self._notify is None:
            self._notify = asyncio.get_running_loop().call_later(NOTIFY_DELAY, self._send)

    async def tell_now(self) -> None:
        """NOTIFY at once (a CLI about to close the store)."""
        await self.write(f"NOTIFY {OUTBOX_CHANNEL}")

    def _send(self) -> None:
        self._notify = None
        task = asyncio.ensure_future(self.tell_now())
        task.add_done_callback(lambda done: done.cancelled() or done.exception())  # shown by health

    def cancel(self) -> None:
        """Drop a NOTIFY not yet sent (the store is closing)."""
        if self._notify is not None:
            self._notify.cancel()
            self._notify = None

    async def listen(self) -> None:
        """Call ``on_change`` whenever any node queued deliveries; reconnect when cut off."""
        while True:
            try:
                connection = await self.dedicated()
                async with connection:
                    await connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
                    self._heard()  # something may have been queued while we were not listening
                    async for _ in connection.notifies():
                        self._heard()
            except (psycopg.Error, OSError) as error:
                log.debug("LISTEN connection ended (%s); reconnecting", error)
            await asyncio.sleep(1.0)

    def _heard(self) -> None:
        if self.on_change is not None:
            self.on_change()
