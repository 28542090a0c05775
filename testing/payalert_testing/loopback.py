"""A base for the local test servers: an aiohttp application on 127.0.0.1 with outages on demand.

The Telegram Bot API, Binance and webhook-receiver stand-ins all need the same things: a free
loopback port kept across an outage, a way to refuse connections and come back, and either a thread
of their own (for synchronous tests driving a daemon) or the test's running event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, Self

from aiohttp import web

HOST = "127.0.0.1"


class LoopbackServer:
    """Serves :meth:`build_app` on 127.0.0.1; ``start()`` in a thread, or ``await start_async()``.

    ``down()`` stops listening (connections are refused, records kept) and ``up()`` listens again
    on the same port. ``closing`` is set while the server is down or stopping, so a handler that
    holds a request (a slow answer) can end early.
    """

    thread_name = "loopback-server"

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def build_app(self) -> web.Application:
        """The application to serve (called at every ``up``)."""
        raise NotImplementedError

    async def on_stop(self) -> None:
        """Called in the server's loop once it stopped listening for good."""

    # -- in the running event loop -----------------------------------------------------------
    async def start_async(self) -> None:
        """Listen on a free port (or the one given) in the running event loop."""
        self.closing = asyncio.Event()
        await self._listen()

    async def stop_async(self) -> None:
        """Stop listening and end held answers."""
        await self._close()
        await self.on_stop()

    # -- in a thread of its own --------------------------------------------------------------
    def start(self) -> Self:
        """Start a thread with its own event loop and listen there."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        self.run(self.start_async())
        return self

    def stop(self) -> None:
        """Stop listening and end the thread."""
        if self._loop is None or self._thread is None:
            return
        self.run(self.stop_async())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = None

    def down(self) -> None:
        """Stop listening: connections are refused, as in an outage; records are kept."""
        self.run(self._close())

    def up(self) -> None:
        """Listen again on the same port after :meth:`down`."""
        self.run(self._listen())

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 15) -> Any:
        """Run ``coroutine`` in the server's thread and return its result."""
        assert self._loop is not None, "the server was not started with start()"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def call_soon(self, callback: Any, *args: Any) -> None:
        """Schedule ``callback`` in the server's loop (from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(callback, *args)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- listening ---------------------------------------------------------------------------
    async def _listen(self) -> None:
        assert self.closing is not None
        self.closing.clear()
        self._runner = web.AppRunner(
            self.build_app(), handle_signals=False, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self.port, reuse_address=True).start()
        self.port = self._runner.addresses[0][1]

    async def _close(self) -> None:
        if self.closing is not None:
            self.closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
