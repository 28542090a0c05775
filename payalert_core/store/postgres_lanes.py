"""Delivery lanes on PostgreSQL: which node sends each lane, under a lease it keeps renewing.

A node takes a lane with ``SELECT … FOR UPDATE SKIP LOCKED`` on the lane's row (another node
claiming it at that moment is skipped, not waited for) when the lane is free, lapsed or already
its own, and renews every lease it holds each third of ``lease``. It sends only while its lease
surely has more than half its length left, by its own clock measured from before each request, so
a node cut off from the database stops sending well before another may take over.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import postgres_outbox as sql
from .base import StorageUnavailable
from .outbox import Lane

log = logging.getLogger("payalert.store")

Write = Callable[[str, Any], Awaitable[list[Any]]]


class LaneLeases:
    """The lanes this node holds, and until when."""

    def __init__(self, write: Write, node: str, lease: float) -> None:
        self.write = write
        self.node = node
        self.lease = lease
        self._until: dict[Lane, float] = {}  # monotonic time each held lease surely lasts until
        self._known: set[Lane] = set()

    async def take(self, lane: Lane) -> bool:
        """Take or keep ``lane``; False while another node holds it."""
        asked = time.monotonic()
        if lane not in self._known:
            await self.write(sql.ADD_LANE, (lane.notifier, lane.target))
            self._known.add(lane)
        arguments = {"notifier": lane.notifier, "target": lane.target, "node": self.node, "lease": self.lease}
        if not await self.write(sql.CLAIM_LANE, arguments):
            if self._until.pop(lane, None) is not None:
                log.warning("lane %s/%s is held by another node now", lane.notifier, lane.target)
            return False
        if lane not in self._until:
            log.info("this node (%s) sends lane %s/%s now", self.node, lane.notifier, lane.target)
        self._until[lane] = asked + self.lease
        return True

    def holds(self, lane: Lane) -> bool:
        """True while the lease surely runs for at least half its length more."""
        until = self._until.get(lane)
        return until is not None and until - time.monotonic() > self.lease / 2

    def held(self) -> list[str]:
        """``notifier/target`` of every lane this node may send now."""
        return sorted(f"{lane.notifier}/{lane.target}" for lane in self._until if self.holds(lane))

    async def keep(self) -> None:
        """Renew every lease held, each third of ``lease``; a failed renewal lets them lapse."""
        while True:
            await asyncio.sleep(self.lease / 3)
            asked = time.monotonic()
            try:
                renewed = {Lane(n, t) for n, t in await self.write(sql.RENEW_LANES, (self.lease, self.node))}
            except StorageUnavailable:
                continue
            for lane in list(self._until):
                if lane in renewed:
                    self._until[lane] = asked + self.lease
                else:
                    del self._until[lane]

    async def release(self) -> None:
        """Hand every lane back so another node takes it at once."""
        self._until.clear()
        await self.write(sql.RELEASE_LANES, (self.node,))
