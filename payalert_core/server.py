"""The aiohttp application: /health, /metrics and each push source's routes under /hooks/<name>/.

While the database refuses writes (disk full, read-only), webhooks are answered 503 with one log
line each (``/health`` says why, under ``store``).

A push source's handler gets its request with the body already received: a body that takes longer
than ``body_timeout`` is answered 408 and its connection closed, and a client that hangs up before
sending it all costs one INFO line (identical lines are counted, not repeated: see ``logs``). The
time to send the headers is bounded by the runner's keep-alive timeout (``server.header_timeout``).

``/health`` shows anyone its status code and the kinds of problem; its details (source names, errors,
counts) need ``Authorization: Bearer <health.token>``, as ``/metrics`` does when it is protected.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler

from .connections import ConnectionLimit
from .health import public_health
from .source import PushSource
from .store import is_storage_error

log = logging.getLogger("payalert.server")

StatusProvider = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]
MetricsProvider = Callable[[], Awaitable[bytes]]


class Mountable(Protocol):
    """Something that adds its own routes to the app (the status page)."""

    def mount(self, app: web.Application) -> None:
        """Add routes to ``app``."""


def _guard_push_handler(
    handler: Handler, body_timeout: float, connections: ConnectionLimit | None
) -> Handler:
    """Wrap a push source's handler: the body must arrive within ``body_timeout`` (else 408), a
    client hanging up costs one quiet line, and a webhook whose event could not be stored gets 503,
    so the sender delivers it again later."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not request.content.is_eof():  # most bodies arrive with their headers: nothing to wait for
            refused = await _receive_body(request, body_timeout)
            if refused is not None:
                return refused
        with connections.busy(request) if connections is not None else contextlib.nullcontext():
            return await _answer_503_when_store_fails(handler, request)

    return guarded


async def _receive_body(request: web.Request, body_timeout: float) -> web.Response | None:
    """Read the body (aiohttp keeps it: the handler's ``read()`` returns it at once) within
    ``body_timeout``; the answer to give instead when it does not arrive in time or at all."""
    try:
        if request.transport is None or request.transport.is_closing():
            raise ConnectionResetError("the connection closed before the handler ran")
        async with asyncio.timeout(body_timeout):
            await request.read()
    except TimeoutError:
        log.info(
            "a client took more than %.0fs to send its request body to %s; answered 408 and closed",
            body_timeout,
            request.path,
        )
        answer = web.json_response({"error": "the request body arrived too slowly"}, status=408)
        answer.force_close()
        return answer
    except (ConnectionError, RuntimeError) as error:
        # aiohttp raises RuntimeError("Connection closed.") when the connection went between two reads.
        if isinstance(error, RuntimeError) and request.transport is not None:
            raise
        log.info("a client hung up before sending its whole request to %s", request.path)
        return web.Response(status=400)  # nobody is left to read it
    return None


async def _answer_503_when_store_fails(handler: Handler, request: web.Request) -> web.StreamResponse:
    """Run ``handler``; an event that could not be stored, or any bug, is answered 503."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as error:
        if is_storage_error(error):  # the store logged the outage once; no traceback per request
            log.warning(
                "request %s %s could not be stored (%s); answered 503 so the sender retries",
                request.method,
                request.path,
                error,
            )
        else:
            log.exception(
                "request %s %s failed; answering 503 so the sender retries", request.method, request.path
            )
        return web.json_response({"error": "temporarily unable to store this request"}, status=503)


class BearerToken:
    """Checks ``Authorization: Bearer …`` against a configured token (no token: nobody has it)."""

    def __init__(self, token: str | None) -> None:
        self._expected = f"Bearer {token}".encode() if token else None

    def verdict(self, request: web.Request) -> bool | None:
        """True for the right token, False for a wrong one, None when the request brings none."""
        given = request.headers.get("Authorization")
        if given is None:
            return None
        return self._expected is not None and hmac.compare_digest(given.encode(), self._expected)


def _unauthorized() -> web.Response:
    return web.json_response(
        {"error": "a valid bearer token is required"},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="payalert"'},
    )


def build_app(
    status: StatusProvider,
    metrics: MetricsProvider,
    push_sources: list[PushSource],
    max_body_bytes: int,
    *,
    token: str | None = None,
    protect_metrics: bool = False,
    body_timeout: float = 30.0,
    connections: ConnectionLimit | None = None,
    status_page: Mountable | None = None,
) -> web.Application:
    """The root application with every push source mounted.

    ``token`` unlocks ``/health``'s details (and ``/metrics`` when ``protect_metrics``); without a
    token configured, ``/health`` shows only its status and problem kinds. Push sources get their
    request bodies within ``body_timeout`` seconds; ``connections`` keeps their connections open
    while they process a request, when the server is at its connection limit. ``status_page``, when
    enabled, adds ``/status/`` and its forms.
    """
    app = web.Application(client_max_size=max_body_bytes)
    bearer = BearerToken(token)

    async def health(request: web.Request) -> web.Response:
        allowed = bearer.verdict(request)
        if allowed is False:
            return _unauthorized()
        code, body = await status()
        return web.json_response(body if allowed else public_health(body), status=code)

    async def prometheus(request: web.Request) -> web.Response:
        if protect_metrics and token and not bearer.verdict(request):
            return _unauthorized()
        return web.Response(body=await metrics(), content_type="text/plain", charset="utf-8")

    app.router.add_get("/health", health)
    app.router.add_get("/metrics", prometheus)
    if status_page is not None:
        status_page.mount(app)
    for source in push_sources:
        routes = web.Application()  # collects the source's routes; only the routes are served
        source.add_routes(routes)
        prefix = f"/hooks/{source.name}"
        for route in routes.router.routes():
            path = route.resource.canonical if route.resource is not None else "/"
            handler = _guard_push_handler(route.handler, body_timeout, connections)
            app.router.add_route(route.method, prefix + path, handler)
            # People paste webhook URLs without the trailing slash, and senders do not follow
            # redirects: serve the root route there too.
            if path == "/":
                app.router.add_route(route.method, prefix, handler)
    return app
