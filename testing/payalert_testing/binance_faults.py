"""Scripted faults for the Binance test server: Binance's error answers, by kind."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGION_MESSAGE = "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms."


def load_error_messages(path: Path) -> dict[int, list[str]]:
    """Binance's error messages by code, from the corpus file ``errors.spot-api-docs.json``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {int(item["code"]): list(item["messages"]) for item in data["errors"]}


@dataclass(frozen=True)
class Fault:
    """A scripted answer: ``status`` with ``body`` (dict as JSON, str as text) after ``delay`` seconds.

    ``code`` set and ``body`` None means a Binance error body ``{"code", "msg"}`` with the real message.
    ``passthrough`` answers normally after the delay (a slow server, for timeouts).
    """

    status: int = 400
    code: int | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    passthrough: bool = False
    message_hint: str = ""
    message_args: tuple[object, ...] = ()

    @classmethod
    def error(cls, code: int, status: int = 400, hint: str = "", **headers: str) -> Fault:
        """A Binance error ``{"code": code, "msg": <real message>}``."""
        return cls(status=status, code=code, headers=headers, message_hint=hint)

    @classmethod
    def clock_skew(cls) -> Fault:
        """-1021: timestamp outside recvWindow."""
        return cls.error(-1021)

    @classmethod
    def rate_limited(cls, retry_after: int | None = 2) -> Fault:
        """HTTP 429 -1003, with ``Retry-After`` seconds when given."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(
            status=429, code=-1003, headers=headers, message_hint="current limit", message_args=(6000, "1M")
        )

    @classmethod
    def banned(cls, retry_after: int | None = 120) -> Fault:
        """HTTP 418 -1003: IP banned, with ``Retry-After`` seconds when given."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        until = int(time.time() * 1000) + 1000 * (retry_after if retry_after is not None else 120)
        return cls(
            status=418, code=-1003, headers=headers, message_hint="banned until", message_args=(until,)
        )

    @classmethod
    def rejected_key(cls) -> Fault:
        """HTTP 401 -2015: invalid key, IP or permissions."""
        return cls.error(-2015, status=401)

    @classmethod
    def bad_key_format(cls) -> Fault:
        """HTTP 401 -2014: API-key format invalid."""
        return cls.error(-2014, status=401)

    @classmethod
    def region_blocked(cls) -> Fault:
        """HTTP 451: restricted location."""
        return cls(status=451, body={"code": 0, "msg": REGION_MESSAGE})

    @classmethod
    def waf_blocked(cls, retry_after: int | None = None) -> Fault:
        """HTTP 403 with an HTML page: the Web Application Firewall refused the request."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        page = "<html><body><h1>403 ERROR</h1><p>The request could not be satisfied.</p></body></html>"
        return cls(status=403, body=page, headers=headers)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        """A 5xx with an HTML body, as a proxy in front of Binance sends."""
        return cls(status=status, body=f"<html><body><h1>{status} Bad Gateway</h1></body></html>")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds`` (longer than the client's timeout: a timeout)."""
        return cls(status=200, delay=seconds, passthrough=True)
