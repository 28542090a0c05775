"""The aiohttp application: /health, /metrics and each push source's routes under /hooks/<name>/.

While the database refuses writes (disk full, read-only), webhooks are answered 503 with one log
line each (``/health`` says why, under ``store``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .source import PushSource
from .store import is_storage_error

log = logging.getLogger("payalert.server")

StatusProvider = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]
MetricsProvider = Callable[[], Awaitable[bytes]]


def _answer_503_when_store_fails(handler: Handler) -> Handler:
    """Wrap a push source's handler: a webhook whose event could not be stored gets 503, so the
    sender delivers it again later."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
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

    return guarded


def build_app(
    status: StatusProvider, metrics: MetricsProvider, push_sources: list[PushSource], max_body_bytes: int
) -> web.Application:
    """The root application with every push source mounted."""
    app = web.Application(client_max_size=max_body_bytes)

    async def health(_: web.Request) -> web.Response:
        code, body = await status()
        return web.json_response(body, status=code)

    async def prometheus(_: web.Request) -> web.Response:
        return web.Response(body=await metrics(), content_type="text/plain", charset="utf-8")

    app.router.add_get("/health", health)
    app.router.add_get("/metrics", prometheus)
    for source in push_sources:
        routes = web.Application()  # collects the source's routes; only the routes are served
        source.add_routes(routes)
        prefix = f"/hooks/{source.name}"
        for route in routes.router.routes():
            path = route.resource.canonical if route.resource is not None else "/"
            handler = _answer_503_when_store_fails(route.handler)
            app.router.add_route(route.method, prefix + path, handler)
            # People paste webhook URLs without the trailing slash, and senders do not follow
            # redirects: serve the root route there too.
            if path == "/":
                app.router.add_route(route.method, prefix, handler)
    return app
