"""Test sources that read payments from a JSON-lines "feed" file the test appends to.

``feed-poll`` is a polled source and ``feed-stream`` a stream source; both keep the number of
lines consumed as their cursor, saved with the payments in one transaction. Loaded only on request
(``PAYALERT_EXTRA_PLUGINS=payalert_testing.feeds``), which ``payalert_daemon`` does.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import Field

from payalert_core import (
    Direction,
    Payment,
    PolledSource,
    PolledSourceConfig,
    StreamSource,
    StreamSourceConfig,
    hookimpl,
)


class FeedPollConfig(PolledSourceConfig):
    """Options of ``feed-poll``."""

    path: str = Field(description="JSON-lines file of payments to read.")
    fail_polls: int = Field(default=0, ge=0, description="The first N polls raise an error.")


class FeedStreamConfig(StreamSourceConfig):
    """Options of ``feed-stream``."""

    path: str
    crash_every: int = Field(default=0, ge=0, description="Raise after every N lines (0: never).")


def feed_payment(source: str, line: str) -> Payment:
    """A Payment from one feed line: ``{"id", "amount", "currency", ...}``."""
    data: dict[str, Any] = json.loads(line)
    return Payment(
        source=source,
        kind=data.get("kind", "test.payment"),
        external_id=str(data["id"]),
        amount=Decimal(str(data["amount"])) if data.get("amount") is not None else None,
        currency=data.get("currency"),
        direction=Direction(data.get("direction", "in" if data.get("amount") is not None else "none")),
        occurred_at=datetime.fromisoformat(data["occurred_at"])
        if "occurred_at" in data
        else datetime.now(UTC),
        title=data.get("title", f"Payment {data['id']}"),
        counterparty=data.get("counterparty"),
        reference=data.get("reference"),
        raw=data,
    )


def read_new_lines(path: Path, consumed: int) -> list[str]:
    """Complete lines after the first ``consumed`` ones."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    return complete.splitlines()[consumed:]


class FeedPollSource(PolledSource):
    """Polls a feed file; one batch per poll with the advanced line count as cursor."""

    type_name = "feed-poll"
    Config = FeedPollConfig
    config: FeedPollConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._failures_left = self.config.fail_polls

    async def poll(self) -> None:
        if self._failures_left:
            self._failures_left -= 1
            raise RuntimeError("feed-poll told to fail")
        consumed = await self.load_state() or 0
        lines = read_new_lines(Path(self.config.path), consumed)
        if lines:
            payments = [feed_payment(self.name, line) for line in lines]
            await self.ingest(payments, cursors={"cursor": consumed + len(lines)})


class FeedStreamSource(StreamSource):
    """Tails a feed file every 50 ms, ingesting each new line as it appears."""

    type_name = "feed-stream"
    Config = FeedStreamConfig
    config: FeedStreamConfig

    async def run(self) -> None:
        consumed = await self.load_state() or 0
        self.runtime.health.set_connected(True)
        since_start = 0
        while True:
            for line in read_new_lines(Path(self.config.path), consumed):
                consumed += 1
                await self.ingest([feed_payment(self.name, line)], cursors={"cursor": consumed})
                since_start += 1
                if self.config.crash_every and since_start % self.config.crash_every == 0:
                    raise ConnectionError("feed-stream told to crash")
            self.runtime.health.succeeded()
            await asyncio.sleep(0.05)


@hookimpl
def payalert_register_sources(register: Any) -> None:
    register(FeedPollSource)
    register(FeedStreamSource)
