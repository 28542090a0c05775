"""What an Apprise failure means for payalert: retry later, or give up until someone fixes the URL.

Apprise answers a send with success, failure or timeout and keeps the HTTP response to itself. What
it does pass on are the lines each service logged during the call, and nearly every HTTP service in
Apprise ends its failure line with the status: ``Failed to send Slack notification: Forbidden,
error=403.``. So the status is read from the ``error=NNN`` of those (already scrubbed) lines:

* 429, 408, 425 and 5xx -> :class:`RetryLater` (a ``retry after N`` in the line becomes ``retry_after``;
  Apprise does not pass ``Retry-After`` headers on, so usually the core's backoff decides);
* any other 4xx (400 bad request, 401/403 credentials, 404/410 gone, 413/422 refused message)
  -> :class:`PermanentFailure`: retrying the same request cannot help;
* a timeout, a connection error, or a failure with no status in its lines (SMTP, XMPP, MQTT and other
  non-HTTP services; a plugin that logs nothing) -> :class:`RetryLater`, as the core treats anything
  it cannot tell apart: a lost alert is worse than a late one.
"""

from __future__ import annotations

import http
import re
from collections.abc import Sequence

from payalert_core import PermanentFailure, RetryLater

_STATUS = re.compile(r"\berror=(\d{3})\b")
_RETRY_AFTER = re.compile(r"retry(?:ing)?[ _-]?after\D{0,12}?(\d+(?:\.\d+)?)\s*(ms|s|sec|second)?", re.I)
_NETWORK_WORDS = ("connection", "timed out", "timeout", "socket", "refused", "unreachable", "resolve")
_TEMPORARY_4XX = {408, 425, 429}
_HINTS = {
    400: "the service refused the message or the URL's options",
    401: "check the credentials or token in the URL",
    403: "check the credentials or token in the URL, and the account's permissions",
    404: "check the URL's path, ids and token; the destination was not found",
    410: "the destination no longer exists; update the URL",
    413: "the service refused the message as too large",
    422: "the service refused the message",
}


def failure_for(
    target: str, status: str, lines: Sequence[str], timeout: float
) -> RetryLater | PermanentFailure | None:
    """The exception to raise for an Apprise outcome, or None on success.

    ``status`` is the name of Apprise's result status (``SUCCESS``, ``FAILURE``, ``TIMEOUT``,
    ``PARTIAL``, ``NOMATCH``); ``lines`` are the scrubbed log lines the service wrote during the call.
    """
    if status == "SUCCESS":
        return None
    if status == "TIMEOUT":
        return RetryLater(f"{target}: no answer within {timeout:g}s")
    if status == "NOMATCH":
        return PermanentFailure(f"{target}: Apprise had no service to send to")
    code = http_status(lines)
    if code is not None:
        return _for_status(target, code, lines)
    detail = lines[-1].rstrip(".") if lines else "no detail given"
    if any(word in detail.lower() for word in _NETWORK_WORDS):
        return RetryLater(f"{target}: cannot reach the service ({detail})")
    return RetryLater(f"{target}: the service did not accept the alert ({detail})")


def http_status(lines: Sequence[str]) -> int | None:
    """The HTTP status the last line mentioning one reports (``error=503``), if any."""
    for line in reversed(lines):
        match = _STATUS.search(line)
        if match:
            return int(match.group(1))
    return None


def retry_after(lines: Sequence[str]) -> float | None:
    """Seconds a service asked to wait, when a line says so (``asked to retry after 5 second(s)``)."""
    for line in reversed(lines):
        match = _RETRY_AFTER.search(line)
        if match:
            seconds = float(match.group(1))
            return seconds / 1000 if (match.group(2) or "").lower() == "ms" else seconds
    return None


def _for_status(target: str, code: int, lines: Sequence[str]) -> RetryLater | PermanentFailure:
    described = f"HTTP {code}" + (f" {_phrase(code)}" if _phrase(code) else "")
    if code == 429:
        wait = retry_after(lines)
        return RetryLater(f"{target}: rate limited ({described})", retry_after=wait)
    if code >= 500 or code in _TEMPORARY_4XX:
        return RetryLater(f"{target}: {described}", retry_after=retry_after(lines))
    if 400 <= code < 500:
        hint = _HINTS.get(code, "the service refused the request; check the URL")
        return PermanentFailure(f"{target}: {described}: {hint}")
    return RetryLater(f"{target}: unexpected {described}")


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""
