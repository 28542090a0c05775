"""Who may see the status page: password logins kept as server-side sessions, a reverse proxy's user
header, a login rate limit per client, and a CSRF token for every form.

Sessions live in the daemon's memory (they survive a config reload, not a restart): nothing in the
cookie but a random id, so there is no signing key to keep. A CSRF token is an HMAC of the session
id (or of the proxy's user name) under a key made at start, so it needs no storage either.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from aiohttp import web

from .settings import StatusPageSettings

COOKIE = "payalert_status"
COOKIE_PATH = "/status/"
#: A client may fail this many logins within ``LOGIN_WINDOW_SECONDS``; then it waits for the window.
LOGIN_FAILURES_ALLOWED = 5
LOGIN_WINDOW_SECONDS = 15 * 60
#: The most sessions kept; the oldest goes when another logs in.
MAX_SESSIONS = 1000
#: The most clients whose failures are remembered (the oldest are forgotten first).
MAX_TRACKED_CLIENTS = 10_000


@dataclass(frozen=True)
class Visitor:
    """Someone allowed in: how (``session`` or ``proxy``), and what the CSRF token is bound to."""

    via: str
    identity: str
    name: str | None = None


class LoginLimiter:
    """Failed logins per client address in a sliding window."""

    def __init__(self) -> None:
        self._failures: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()

    def wait_seconds(self, client: str, now: float | None = None) -> float:
        """0 when ``client`` may try a login now, else how long it must wait."""
        now = time.monotonic() if now is None else now
        failures = self._recent(client, now)
        if len(failures) < LOGIN_FAILURES_ALLOWED:
            return 0.0
        return failures[0] + LOGIN_WINDOW_SECONDS - now

    def failed(self, client: str, now: float | None = None) -> None:
        """Count a failed login of ``client``."""
        now = time.monotonic() if now is None else now
        self._recent(client, now).append(now)
        self._failures.move_to_end(client)
        while len(self._failures) > MAX_TRACKED_CLIENTS:
            self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures."""
        self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> collections.deque[float]:
        failures = self._failures.setdefault(client, collections.deque())
        while failures and failures[0] <= now - LOGIN_WINDOW_SECONDS:
            failures.popleft()
        return failures


class SessionBook:
    """Logged-in sessions (random ids) with their expiry, and the key CSRF tokens are made with."""

    def __init__(self) -> None:
        self._expiry: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._csrf_key = secrets.token_bytes(32)
        self.limiter = LoginLimiter()

    def open(self, lifetime: float) -> str:
        """A new session id valid for ``lifetime`` seconds."""
        session = secrets.token_urlsafe(32)
        self._expiry[session] = time.monotonic() + lifetime
        while len(self._expiry) > MAX_SESSIONS:
            self._expiry.popitem(last=False)
        return session

    def is_open(self, session: str | None) -> bool:
        """True for a session that was opened and has neither expired nor been closed."""
        if not session:
            return False
        expiry = self._expiry.get(session)
        if expiry is None:
            return False
        if expiry < time.monotonic():
            del self._expiry[session]
            return False
        return True

    def close(self, session: str) -> None:
        """Log a session out."""
        self._expiry.pop(session, None)

    def csrf_token(self, visitor: Visitor) -> str:
        """The token every form of ``visitor``'s page carries."""
        digest = hmac.new(self._csrf_key, f"{visitor.via}:{visitor.identity}".encode(), hashlib.sha256)
        return digest.hexdigest()

    def csrf_matches(self, visitor: Visitor, token: object) -> bool:
        """True when ``token`` (from a form) is ``visitor``'s."""
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf_token(visitor))


def visitor(request: web.Request, settings: StatusPageSettings, sessions: SessionBook) -> Visitor | None:
    """Who is asking, when they may see the page: the proxy's user (from a trusted proxy) or a session."""
    if settings.trusted_header and settings.is_trusted_proxy(request.remote):
        user = request.headers.get(settings.trusted_header, "").strip()
        if user:
            return Visitor("proxy", user, name=user)
    session = request.cookies.get(COOKIE)
    if settings.password_hash is not None and session and sessions.is_open(session):
        return Visitor("session", session)
    return None


def client_address(request: web.Request, settings: StatusPageSettings) -> str:
    """The client's address: the last hop of ``X-Forwarded-For`` when a trusted proxy sent the request."""
    remote = request.remote or "unknown"
    if settings.is_trusted_proxy(remote):
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return remote


def served_over_tls(request: web.Request, settings: StatusPageSettings) -> bool:
    """True when the browser reached us over HTTPS (directly, or through a trusted proxy that says so)."""
    if request.secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and settings.is_trusted_proxy(request.remote)


def cross_site(request: web.Request) -> bool:
    """True for a form another site made the browser send (browsers say so in ``Sec-Fetch-Site``)."""
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")
