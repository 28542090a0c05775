"""Apprise's log output, made safe: every line scrubbed of URL secrets, then shown only at DEBUG.

Apprise logs through one logger, ``apprise``. Some of its lines quote the URL it was given ("Could not
load Slack URL: slack://...") or a token from it ("An invalid Slack Token (...)"), so the plugin takes
that logger over: a filter replaces every secret fragment of every configured URL in each record
before any handler sees it (Apprise's own per-call capture included, which is what failures are
classified from), and the records are passed on to payalert's logging as DEBUG. urllib3's loggers,
which write request paths at DEBUG, get the same filter. The notifier reports each failure itself,
once, in payalert's words; Apprise's own lines are there for ``log_level: DEBUG``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

APPRISE_LOGGER = "apprise"
#: urllib3 (under Apprise's ``requests``) logs request lines with their paths at DEBUG, and paths
#: hold tokens (Slack, Discord, Telegram): its loggers get the same scrubbing.
URLLIB3_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.util.retry",
)
#: Where Apprise's (scrubbed) records are passed on, demoted to DEBUG.
FORWARD_LOGGER = "payalert.apprise"
REDACTED = "[redacted]"

_collected: ContextVar[list[str] | None] = ContextVar("payalert_apprise_collected", default=None)


class SecretScrubber(logging.Filter):
    """Replaces known secret fragments in a record's text; collects warnings for :func:`collecting`."""

    def __init__(self) -> None:
        super().__init__()
        self._fragments: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, fragments: Iterable[str]) -> None:
        """Scrub these from now on, wherever one stands alone (``hook`` is kept inside ``Webhook``)."""
        added = {fragment for fragment in fragments if fragment} - self._fragments
        if not added:
            return
        self._fragments |= added
        # Longest first, so a whole URL goes as one piece rather than token by token.
        choices = "|".join(re.escape(f) for f in sorted(self._fragments, key=len, reverse=True))
        self._pattern = re.compile(f"(?<![A-Za-z0-9])(?:{choices})(?![A-Za-z0-9])")

    def scrub(self, text: str) -> str:
        """``text`` with every known fragment replaced by ``[redacted]``."""
        return self._pattern.sub(REDACTED, text) if self._pattern else text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops one."""
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        collected = _collected.get()
        if collected is not None and record.levelno >= logging.WARNING:
            collected.append(record.msg)
        return True


class DebugForwarder(logging.Handler):
    """Hands Apprise's records to payalert's logging as DEBUG records of the ``apprise`` logger."""

    def emit(self, record: logging.LogRecord) -> None:
        """Pass a copy on when payalert logs DEBUG; otherwise drop it."""
        target = logging.getLogger(FORWARD_LOGGER)
        if not target.isEnabledFor(logging.DEBUG):
            return
        copy = logging.makeLogRecord(record.__dict__)
        copy.levelno, copy.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        target.handle(copy)


SCRUBBER = SecretScrubber()
_FORWARDER = DebugForwarder()


def install(secret_fragments: Iterable[str] = ()) -> None:
    """Take over the ``apprise`` logger (idempotent) and scrub ``secret_fragments`` from now on."""
    SCRUBBER.add(secret_fragments)
    for name in (APPRISE_LOGGER, *URLLIB3_LOGGERS):
        if SCRUBBER not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(SCRUBBER)
    logger = logging.getLogger(APPRISE_LOGGER)
    if _FORWARDER not in logger.handlers:
        logger.addHandler(_FORWARDER)
    logger.propagate = False
    # WARNING at least, so Apprise's failure lines are always made (and captured per call),
    # whatever level payalert logs at; DEBUG when payalert shows debug output.
    debug = logging.getLogger(FORWARD_LOGGER).isEnabledFor(logging.DEBUG)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)


@contextlib.contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the (scrubbed) WARNING-or-worse lines Apprise logs in this context."""
    lines: list[str] = []
    token = _collected.set(lines)
    try:
        yield lines
    finally:
        _collected.reset(token)
