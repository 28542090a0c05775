"""A local stand-in for the remote service, on 127.0.0.1 in a thread of its own.

Both kinds of tests use it: async unit tests, and sync tests driving a real ``payalert run``.
"""

from __future__ import annotations

import asyncio
{% if cookiecutter.kind == "stream" %}import json
{% endif %}import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web


class LocalServer:
    """Serves an aiohttp application on a free loopback port from its own event loop and thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Where the server listens."""
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        """Add the stand-in's routes (subclasses)."""
        raise NotImplementedError

    def start(self) -> None:
        """Listen on a free port; return once connections are accepted."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)

    def stop(self) -> None:
        """Close connections and the loop."""
        self.closing.set()
        if self._runner is not None:
            future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            future.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15) -> Any:
        """Poll ``predicate()`` until it returns something truthy, and return that."""
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(0.02)
        return result

    async def _listen(self) -> None:
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

{% if cookiecutter.kind == "notifier" %}
class ChatWebhook(LocalServer):
    """``POST /hook``: keeps each JSON body, answering any queued failures first."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, str]]] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/hook", self._receive)

    def fail_next(self, status: int, retry_after: int | None = None) -> None:
        """Answer the next request with ``status`` (and ``Retry-After`` when given)."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        with self.lock:
            self.failures.append((status, headers))

    def wait_for_messages(self, count: int) -> list[dict[str, Any]]:
        """Wait until ``count`` messages arrived; return all of them."""
        return self.wait_for(lambda: list(self.messages) if len(self.messages) >= count else None)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self.lock:
            if self.failures:
                status, headers = self.failures.pop(0)
                return web.Response(status=status, headers=headers)
            self.messages.append(body)
        return web.json_response({"ok": True})


@pytest.fixture
def chat() -> Iterator[ChatWebhook]:
    """A running :class:`ChatWebhook`."""
    server = ChatWebhook()
    server.start()
    yield server
    server.stop()
{%- else %}
class PaymentService(LocalServer):
    """Holds payments added by the test, each with a ``seq`` one higher than the last."""

    #: The API token the stand-in accepts.
    token = "token-for-tests"

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] = []

    def add(self, payment_id: str, amount: str, currency: str = "EUR", customer: str = "") -> None:
        """Make a payment available."""
        with self.lock:
            self.records.append(
                {
                    "seq": len(self.records) + 1,
                    "id": payment_id,
                    "amount": amount,
                    "currency": currency,
                    "paid_at": "2026-01-31T10:00:00+01:00",
                    "customer": customer or None,
                }
            )

    def records_after(self, seq: int) -> list[dict[str, Any]]:
        """The payments whose ``seq`` is above ``seq``."""
        with self.lock:
            return [record for record in self.records if record["seq"] > seq]

    def authorized(self, request: web.Request) -> bool:
        """True when the request carries the test token."""
        return request.headers.get("Authorization") == f"Bearer {self.token}"

{% if cookiecutter.kind == "polled" %}
class PaymentsAPI(PaymentService):
    """``GET /payments?after=N``: the payments above N, answering any queued failures first."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[int] = []
        self.failures: list[tuple[int, dict[str, str]]] = []

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/payments", self._payments)

    def fail_next(self, status: int, retry_after: int | None = None) -> None:
        """Answer the next request with ``status`` (and ``Retry-After`` when given)."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        with self.lock:
            self.failures.append((status, headers))

    async def _payments(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return web.json_response({"error": "bad token"}, status=401)
        after = int(request.query["after"])
        with self.lock:
            self.queries.append(after)
            failure = self.failures.pop(0) if self.failures else None
        if failure:
            return web.Response(status=failure[0], headers=failure[1])
        return web.json_response({"payments": self.records_after(after)})


@pytest.fixture
def api() -> Iterator[PaymentsAPI]:
    """A running :class:`PaymentsAPI`."""
    server = PaymentsAPI()
    server.start()
    yield server
    server.stop()
{%- else %}
class PaymentStream(PaymentService):
    """``GET /stream?after=N``: a JSON line per payment above N, then each new one as it is added.

    A stream stays open until :meth:`hang_up`, or, with ``end_when_idle``, until it has sent all
    there is. Every connection's ``after`` is kept in ``connections``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.connections: list[int] = []
        self.end_when_idle = False
        self._hang_ups = 0

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/stream", self._stream)

    def hang_up(self) -> None:
        """End the streams open now, as a server restart would."""
        with self.lock:
            self._hang_ups += 1

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        if not self.authorized(request):
            return web.json_response({"error": "bad token"}, status=401)
        sent = int(request.query["after"])
        with self.lock:
            self.connections.append(sent)
            hang_ups = self._hang_ups
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        deadline = time.monotonic() + 60
        while not self.closing.is_set() and time.monotonic() < deadline:
            records = self.records_after(sent)
            for record in records:
                await response.write(json.dumps(record).encode() + b"\n")
                sent = record["seq"]
            if self._hang_ups != hang_ups or (self.end_when_idle and not records):
                break
            await asyncio.sleep(0.02)
        await response.write_eof()
        return response


@pytest.fixture
def stream() -> Iterator[PaymentStream]:
    """A running :class:`PaymentStream`."""
    server = PaymentStream()
    server.start()
    yield server
    server.stop()
{%- endif %}
{%- endif %}
