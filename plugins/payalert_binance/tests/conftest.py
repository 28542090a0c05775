"""Fixtures: the Binance test server (real sockets on 127.0.0.1) and an in-memory source runtime."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from payalert_binance.testing import BinanceTestServer, load_error_messages

from payalert_core import IngestResult, Payment
from payalert_core.testing import corpus_path


def error_messages() -> dict[int, list[str]]:
    """Binance's real error messages, from the shared corpus."""
    return load_error_messages(corpus_path("binance", "errors.spot-api-docs.json"))


@pytest.fixture
def binance_server() -> Iterator[BinanceTestServer]:
    """A Binance test server running in a background thread (for tests driving a daemon)."""
    server = BinanceTestServer(error_messages=error_messages()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def async_binance_server() -> Any:
    """The same server, running in the test's own event loop (for in-process tests)."""
    server = BinanceTestServer(error_messages=error_messages())
    await server.start_async()
    try:
        yield server
    finally:
        await server.stop_async()


@dataclass
class FakeHealth:
    """Records what a source reports to /health."""

    failures: list[str] = field(default_factory=list)
    successes: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    connected: bool | None = None

    def succeeded(self) -> None:
        self.successes += 1

    def failed(self, error: str) -> None:
        self.failures.append(error)

    def set(self, **info: Any) -> None:
        self.info.update(info)

    def set_connected(self, connected: bool) -> None:
        self.connected = connected


class MemoryRuntime:
    """A SourceRuntime keeping events and cursors in memory, deduping like the core's store.

    ``crash_after`` makes the n-th ingest (1-based) raise before storing anything, as a crash
    between two windows would; the state kept is what a restarted daemon would read back.
    """

    def __init__(self, crash_after: int | None = None) -> None:
        self.events: dict[str, Payment] = {}
        self.order: list[str] = []
        self.state: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.health = FakeHealth()
        self.ingests = 0
        self.crash_after = crash_after

    async def ingest(
        self, payments: Sequence[Payment], cursors: Mapping[str, Any] | None = None
    ) -> IngestResult:
        self.ingests += 1
        if self.crash_after is not None and self.ingests >= self.crash_after:
            raise RuntimeError("simulated crash before commit")
        stored = duplicates = 0
        for payment in payments:
            if payment.external_id in self.events:
                duplicates += 1
                continue
            self.events[payment.external_id] = payment
            self.order.append(payment.external_id)
            stored += 1
        self.state.update(json.loads(json.dumps(dict(cursors or {}))))
        return IngestResult(stored=stored, duplicates=duplicates)

    async def load_state(self, key: str = "cursor") -> Any:
        return self.state.get(key)

    def count(self, event: str) -> None:
        self.counts[event] = self.counts.get(event, 0) + 1

    def payments(self) -> list[Payment]:
        """Stored payments in the order they were stored."""
        return [self.events[key] for key in self.order]


@pytest.fixture
def new_runtime() -> type[MemoryRuntime]:
    """The MemoryRuntime class: call it for a fresh in-memory store."""
    return MemoryRuntime
