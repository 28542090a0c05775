"""Test helpers: a real HTTP receiver for Apprise's json:// and form:// posts, payments, a runtime."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from payalert_core import Direction, Payment, sign_sha256

from .loopback import LoopbackServer

#: The header the built-in ``webhook`` source checks (documented in docs/configuration.md).
WEBHOOK_SIGNATURE_HEADER = "X-Payalert-Signature"
WEBHOOK_SECRET = "apprise-integration-secret-42"
#: A path that stands for a token: it must never show up in logs, errors or /health.
SECRET_PATH = "/hooks/T0K3Nsecretpath9"
HOLD_LIMIT_SECONDS = 10


def payment(**changes: Any) -> Payment:
    """A UPI credit with every field set; override any of them."""
    fields: dict[str, Any] = {
        "source": "bank",
        "kind": "upi.credit",
        "external_id": "utr-405912345678",
        "amount": Decimal("1250.00"),
        "currency": "INR",
        "direction": Direction.IN,
        "occurred_at": datetime(2026, 1, 31, 4, 30, tzinfo=UTC),
        "title": "UPI credit",
        "summary": "Received via Google Pay",
        "counterparty": "Asha Rao",
        "reference": "405912345678",
        "link": "https://bank.example/txn/405912345678",
        "details": {"Account": "XX1234"},
    }
    fields.update(changes)
    return Payment(**fields)


@dataclass(frozen=True)
class Received:
    """One request the receiver got, and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        """The body as JSON (json://)."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body as form fields (form://)."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class _Plan:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class Receiver(LoopbackServer):
    """An aiohttp server on 127.0.0.1 in its own thread: records requests, answers as planned."""

    thread_name = "receiver"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Received] = []
        self._plans: list[_Plan] = []
        self._lock = threading.Lock()
        self._release: asyncio.Event | None = None
        self._holding = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Receiver:
        """Start the thread and listen on a free port."""
        super().start()
        self._release = self.run(_new_event())
        return self

    def stop(self) -> None:
        """Release held requests, stop listening and end the thread."""
        self.release()
        super().stop()

    def build_app(self) -> web.Application:
        """Every path, every method."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    # -- controls ----------------------------------------------------------------------------
    def url(self, scheme: str = "json", path: str = SECRET_PATH, auth: str = "") -> str:
        """An Apprise URL pointing here, e.g. ``json://127.0.0.1:PORT/hooks/...``."""
        return f"{scheme}://{auth}127.0.0.1:{self.port}{path}"

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next requests with these statuses (then 200 again)."""
        with self._lock:
            self._plans.extend(_Plan(status, dict(headers or {})) for status in statuses)

    def hold(self) -> None:
        """Keep every request waiting (at most HOLD_LIMIT_SECONDS) until :meth:`release`."""
        self._holding = True

    def release(self) -> None:
        """Let held requests be answered."""
        self._holding = False
        if self._release is not None:
            self.call_soon(self._release.set)

    def accepted(self) -> list[Received]:
        """Requests answered with a 2xx status."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def all(self) -> list[Received]:
        """Every request so far."""
        with self._lock:
            return list(self.requests)

    def wait_for(self, count: int, accepted: bool = True, timeout: float = 20) -> list[Received]:
        """Wait until ``count`` (accepted) requests arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.accepted() if accepted else self.all()
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} requests after {timeout}s: {self.all()}")
            time.sleep(0.05)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self._holding and self._release is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), HOLD_LIMIT_SECONDS)
        with self._lock:
            plan = self._plans.pop(0) if self._plans else _Plan(200)
            self.requests.append(
                Received(request.method, request.path, dict(request.headers), body, plan.status)
            )
        return web.Response(status=plan.status, text="{}", headers=plan.headers)


def signed_webhook_post(daemon: Any, source: str, payload: dict[str, Any]) -> Any:
    """POST a payment to the built-in ``webhook`` source, signed with WEBHOOK_SECRET."""
    body = json.dumps(payload).encode()
    headers = {
        WEBHOOK_SIGNATURE_HEADER: sign_sha256(WEBHOOK_SECRET, body),
        "Content-Type": "application/json",
    }
    return daemon.post(f"/hooks/{source}/", body, headers)


async def _new_event() -> asyncio.Event:
    """An event of the loop this runs in."""
    return asyncio.Event()
