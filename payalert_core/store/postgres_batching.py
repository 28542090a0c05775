"""Group commit for PostgreSQL: ingests that arrive together become one statement and one commit.

PostgreSQL waits for its disk at every commit. Ingests queued while earlier groups are being
written are merged into one ``INGEST`` statement (one per set of lanes), a few groups in flight at
once, so a burst of webhooks costs a few fsyncs instead of one each. When a merged group fails for
a reason other than an outage, its members are written one by one, so one bad row never fails the
honest ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..model import Payment
from .base import is_storage_error
from .outbox import Lane, StoredIngest
from .postgres_outbox import stored_ingest

#: Merged groups written at the same time (each on its own pooled connection).
GROUPS_IN_FLIGHT = 4

Request = tuple[Sequence[Payment], Sequence[Lane], dict[tuple[str, str], Any], asyncio.Future]
Write = Callable[[Sequence[Payment], Sequence[Lane], dict[tuple[str, str], Any]], Awaitable[list[Any]]]


class IngestBatcher:
    """Queues ingests and writes them in merged groups through ``write`` (one INGEST statement)."""

    def __init__(self, write: Write) -> None:
        self.write = write
        self._queue: list[Request] = []
        self._slots = asyncio.Semaphore(GROUPS_IN_FLIGHT)
        self._draining = False
        self._tasks: set[asyncio.Task] = set()

    async def ingest(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """Queue one ingest; return what it stored once its group is committed."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append((payments, lanes, state, future))
        if not self._draining:
            self._draining = True
            self._spawn(self._drain())
        return await future

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        try:
            while self._queue:
                await self._slots.acquire()
                batch, self._queue = self._queue, []
                groups: dict[tuple[Lane, ...], list[Request]] = {}
                for request in batch:
                    groups.setdefault(tuple(request[1]), []).append(request)
                for group in groups.values():
                    self._spawn(self._write_group(group))
                self._slots.release()
                await asyncio.sleep(0)  # let the groups take their slots before the next round
        finally:
            self._draining = False

    async def _write_group(self, group: list[Request]) -> None:
        async with self._slots:
            try:
                await self._write_merged(group)
            except Exception as error:
                if is_storage_error(error) or len(group) == 1:
                    _fail(group, error)
                    return
                for request in group:  # one bad member must not fail the others
                    try:
                        await self._write_merged([request])
                    except Exception as alone:
                        _fail([request], alone)

    async def _write_merged(self, group: list[Request]) -> None:
        payments = [payment for request in group for payment in request[0]]
        state: dict[tuple[str, str], Any] = {}
        for request in group:
            state.update(request[2])  # a later cursor replaces an earlier one, as in order
        rows = await self.write(payments, group[0][1], state)
        new_ids = {(source, external_id): event_id for event_id, source, external_id in rows}
        for request_payments, _, _, future in group:
            mine = [(new_ids.pop(key), *key) for key in _keys(request_payments) if key in new_ids]
            if not future.done():
                future.set_result(stored_ingest(request_payments, mine))


def _keys(payments: Sequence[Payment]) -> list[tuple[str, str]]:
    return [(payment.source, payment.external_id) for payment in payments]


def _fail(group: list[Request], error: BaseException) -> None:
    for *_, future in group:
        if not future.done():
            future.set_exception(error)
