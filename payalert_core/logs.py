"""Logging set-up: one line per record, secrets replaced wherever they would appear, and repeats
counted instead of written.

A record identical to one written less than ``REPEAT_WINDOW_SECONDS`` ago (same logger, level and
text) is not written; when its window is over, one line says how many times it came again. So a
stranger sending the same bad request a thousand times, or an error that recurs every second,
costs two lines a minute rather than a thousand.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import TextIO

REDACTED = "[redacted]"
#: Identical records within this many seconds of the first are counted, not written.
REPEAT_WINDOW_SECONDS = 60.0


class RedactingFilter(logging.Filter):
    """Replaces every known secret value in a record's final text (message and traceback)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with each secret replaced by ``[redacted]``."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self.redact(record.getMessage())
            record.args = None
            if record.exc_info:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


class _Window:
    """The first record of a run of identical ones, when it was written, and the repeats since."""

    __slots__ = ("record", "repeats", "started")

    def __init__(self, record: logging.LogRecord, started: float) -> None:
        self.record = record
        self.started = started
        self.repeats = 0


class RepeatLimiter:
    """Lets the first of identical records through and counts the rest for ``window`` seconds."""

    def __init__(
        self, window: float = REPEAT_WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.clock = clock
        self._windows: dict[tuple[str, int, str], _Window] = {}  # oldest first

    def admit(self, record: logging.LogRecord) -> tuple[list[logging.LogRecord], bool]:
        """The summaries of runs whose window ended, and whether to write ``record`` itself."""
        now = self.clock()
        summaries = self._ended(now)
        key = (record.name, record.levelno, _text(record))
        window = self._windows.get(key)
        if window is not None:
            window.repeats += 1
            return summaries, False
        self._windows[key] = _Window(record, now)
        return summaries, True

    def flush(self) -> list[logging.LogRecord]:
        """The summaries of every run still counting (at shutdown)."""
        return self._ended(None)

    def _ended(self, now: float | None) -> list[logging.LogRecord]:
        summaries = []
        while self._windows:
            key, window = next(iter(self._windows.items()))
            if now is not None and now - window.started < self.window:
                break
            del self._windows[key]
            if window.repeats:
                elapsed = (now if now is not None else self.clock()) - window.started
                summaries.append(_summary(window, elapsed))
        return summaries


def _text(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string: the formatter will say so; group by the template
        return str(record.msg)


def _summary(window: _Window, elapsed: float) -> logging.LogRecord:
    first = window.record
    return logging.makeLogRecord(
        {
            "name": first.name,
            "levelno": first.levelno,
            "levelname": first.levelname,
            "msg": f"repeated {window.repeats} more times in the last {elapsed:.0f}s: {_text(first)}",
        }
    )


class RepeatLimitingHandler(logging.StreamHandler):
    """A stream handler that writes identical records once per window, then how often they came."""

    def __init__(self, stream: TextIO, limiter: RepeatLimiter | None = None) -> None:
        super().__init__(stream)
        self.limiter = limiter or RepeatLimiter()

    def handle(self, record: logging.LogRecord) -> bool:
        with self.lock:  # type: ignore[union-attr]  # records come from threads too
            summaries, write = self.limiter.admit(record)
            for summary in summaries:
                super().handle(summary)
            return bool(super().handle(record)) if write else False

    def close(self) -> None:
        """Write what is still being counted, then close."""
        with self.lock:  # type: ignore[union-attr]
            for summary in self.limiter.flush():
                super().handle(summary)
        super().close()


def configure_logging(level: str, secrets: Iterable[str] = ()) -> RedactingFilter:
    """Log to stderr at ``level`` with redaction of ``secrets``; returns the filter to extend later."""
    handler = RepeatLimitingHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    for previous in root.handlers:
        if isinstance(previous, RepeatLimitingHandler):
            previous.close()  # its counts are written before the new handler takes over
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # "skipped: maximum number of running instances reached" is the intended no-overlap rule, not news.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return redactor
