"""Fixtures: the Binance test server (real sockets on 127.0.0.1) and an in-memory source runtime."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from payalert_testing import MemorySourceRuntime, corpus_path
from payalert_testing.binance import BinanceTestServer, load_error_messages


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


@pytest.fixture
def new_runtime() -> type[MemorySourceRuntime]:
    """The in-memory runtime class: call it for a fresh store."""
    return MemorySourceRuntime
