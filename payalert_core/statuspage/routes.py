"""The status page's routes on the daemon's aiohttp app: ``/status/``, its login and its forms.

Every answer forbids caching, framing and scripts (``Content-Security-Policy``); the page itself
has no script at all. Forms are POSTs checked for the visitor's CSRF token, and browsers' own
``Sec-Fetch-Site`` turns away forms sent from another site before any check runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .access import (
    COOKIE,
    COOKIE_PATH,
    SessionBook,
    Visitor,
    client_address,
    cross_site,
    served_over_tls,
    visitor,
)
from .passwords import password_matches
from .queries import MoneyTally
from .settings import StatusPageSettings
from .view import StatusHost, build_view

log = logging.getLogger("payalert.statuspage")

#: Seconds between the page's own reloads.
REFRESH_SECONDS = 30
#: The longest password a login form may send (scrypt reads all of it).
MAX_PASSWORD_LENGTH = 1024
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class StatusPage:
    """The page's handlers for one config; ``sessions`` outlives config reloads."""

    def __init__(
        self,
        host: StatusHost,
        settings: StatusPageSettings,
        sessions: SessionBook,
        redact: Callable[[str], str],
        wake_deliveries: Callable[[], None],
    ) -> None:
        self.host = host
        self.settings = settings
        self.sessions = sessions
        self.redact = redact
        self.wake_deliveries = wake_deliveries
        self._checking = asyncio.Semaphore(1)  # one scrypt at a time: 32 MiB each
        self._tally = MoneyTally()

    def mount(self, app: web.Application) -> None:
        """Add the routes and the template loader to ``app``."""
        aiohttp_jinja2.setup(
            app,
            loader=jinja2.PackageLoader("payalert_core.statuspage", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        app.router.add_get("/status", self._to_page)
        for method, path, handler in (
            ("GET", "/status/", self.page),
            ("GET", "/status/login", self.login_form),
            ("POST", "/status/login", self.login),
            ("POST", "/status/logout", self.logout),
            ("POST", "/status/retry", self.retry),
        ):
            app.router.add_route(method, path, _guarded(handler))

    async def _to_page(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/status/")

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The status page itself, or the way to the login form."""
        who = visitor(request, self.settings, self.sessions)
        if who is None:
            raise web.HTTPSeeOther("/status/login")
        view = await build_view(self.host, self.settings.timezone, self.redact, self._tally)
        queued = request.query.get("queued", "")
        return self._render(
            "status.html",
            request,
            {
                "view": view,
                "csrf": self.sessions.csrf_token(who),
                "who": who,
                "queued": int(queued) if queued.isdigit() else None,
                "refresh": REFRESH_SECONDS,
            },
        )

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        """The password form (the page itself, for someone already in)."""
        if visitor(request, self.settings, self.sessions) is not None:
            raise web.HTTPSeeOther("/status/")
        return self._login_page(request, None, 200)

    async def login(self, request: web.Request) -> web.StreamResponse:
        """Check the password; a right one opens a session, too many wrong ones make the client wait."""
        stored = self.settings.password_hash
        if stored is None or cross_site(request):
            return self._login_page(request, "Log in through your reverse proxy.", 403)
        client = client_address(request, self.settings)
        wait = self.sessions.limiter.wait_seconds(client)
        if wait > 0:
            response = self._login_page(request, "Too many wrong passwords: try again later.", 429)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        form = await request.post()
        password = form.get("password")
        if not isinstance(password, str) or not 0 < len(password) <= MAX_PASSWORD_LENGTH:
            return self._login_page(request, "Enter the password.", 400)
        async with self._checking:
            right = await asyncio.to_thread(password_matches, password, stored.get_secret_value())
        if not right:
            self.sessions.limiter.failed(client)
            log.warning("status page: a wrong password from %s", client)
            return self._login_page(request, "Wrong password.", 401)
        self.sessions.limiter.succeeded(client)
        session = self.sessions.open(self.settings.session_lifetime.total_seconds())
        response = _see_other("/status/")
        response.set_cookie(
            COOKIE,
            session,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=served_over_tls(request, self.settings),
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """End the session."""
        who = await self._checked_form_sender(request)
        if who.via == "session":
            self.sessions.close(who.identity)
        response = _see_other("/status/login")
        response.del_cookie(COOKIE, path=COOKIE_PATH)
        return response

    async def retry(self, request: web.Request) -> web.StreamResponse:
        """``payalert retry-failed`` for one notifier: its failed deliveries go back to pending."""
        who = await self._checked_form_sender(request)
        form = await request.post()
        notifier = form.get("notifier")
        if not isinstance(notifier, str) or notifier not in self.host.notifier_health:
            raise web.HTTPBadRequest(text="no such notifier")
        count = await self.host.store.retry_failed(notifier=notifier)
        self.wake_deliveries()
        log.info("status page: %d failed deliveries of %s queued again (by %s)", count, notifier, who.via)
        raise web.HTTPSeeOther(f"/status/?queued={count}")

    async def _checked_form_sender(self, request: web.Request) -> Visitor:
        """The logged-in visitor who sent this form with their CSRF token; 403 for anyone else."""
        who = visitor(request, self.settings, self.sessions)
        if who is None or cross_site(request):
            raise web.HTTPForbidden(text="log in to the status page first")
        form = await request.post()
        if not self.sessions.csrf_matches(who, form.get("csrf")):
            raise web.HTTPForbidden(text="the form is out of date; reload the status page")
        return who

    def _login_page(self, request: web.Request, error: str | None, status: int) -> web.Response:
        return self._render(
            "login.html",
            request,
            {"error": error, "password_login": self.settings.password_hash is not None},
            status=status,
        )

    @staticmethod
    def _render(
        template: str, request: web.Request, context: dict[str, Any], status: int = 200
    ) -> web.Response:
        return aiohttp_jinja2.render_template(template, request, context, status=status)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _guarded(handler: Handler) -> Handler:
    """``handler`` with the page's security headers on every answer, redirects and errors included."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as answer:
            answer.headers.update(_HEADERS)
            raise
        response.headers.update(_HEADERS)
        return response

    return guarded
