"""A thin wrapper over python-binance's AsyncClient: base URL, clock sync and error translation."""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from .config import BinanceConfig
from .redact import Redactor

if TYPE_CHECKING:
    from binance import AsyncClient
    from binance.exceptions import BinanceAPIException

CLOCK_SKEW = -1021
AUTH_CODES = {
    -2014: "the API key format is invalid: copy api_key again (no spaces, no quotes)",
    -2015: (
        "the key is invalid, this server's IP is not allowed on it, or it lacks a permission: check api_key, "
        "the key's IP access restrictions and that 'Enable Reading' is ticked"
    ),
    -1022: "the signature is invalid: check that api_secret is the secret of api_key",
    -1002: "the key is not authorised for this request: tick 'Enable Reading' on the API key",
}
_BANNED_UNTIL = re.compile(r"banned until (\d{12,14})")


class FailureKind(enum.Enum):
    """How a failed request should be handled."""

    RATE_LIMITED = "rate_limited"  # HTTP 429: slow down
    FIREWALL = "firewall"  # HTTP 403: a WAF rule was hit (possibly a rate-limit violation): slow down
    BANNED = "banned"  # HTTP 418: IP banned for a while
    AUTH = "auth"  # bad key, IP not allowed, missing permission
    REGION = "region"  # HTTP 451: service refused from this location
    TRANSIENT = "transient"  # network, timeout, 5xx, clock skew that persists
    REJECTED = "rejected"  # any other refusal (an API change or a bug)


class BinanceFailure(Exception):
    """A request failed; ``message`` is one redacted line meant for logs and /health."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        retry_after: float | None = None,
        code: int | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.code = code
        self.status = status


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class BinanceApi:
    """Signed calls to Binance through python-binance, with errors turned into BinanceFailure."""

    def __init__(self, config: BinanceConfig, log: logging.Logger, count: Callable[[str], None]) -> None:
        self.config = config
        self.log = log
        self.count = count
        self.redact = Redactor([config.api_secret.get_secret_value(), config.api_key.get_secret_value()])
        self._client: AsyncClient | None = None

    def _open(self) -> AsyncClient:
        if self._client is None:
            from binance import AsyncClient  # imported on first use: python-binance is slow to import

            client = AsyncClient(
                self.config.api_key.get_secret_value(),
                self.config.api_secret.get_secret_value(),
                tld=self.config.tld,
            )
            if self.config.base_url:
                # python-binance builds every URL from these two attributes (see BaseClient).
                client.API_URL = f"{self.config.base_url}/api"
                client.MARGIN_API_URL = f"{self.config.base_url}/sapi"
            client.REQUEST_TIMEOUT = self.config.request_timeout.total_seconds()
            client.REQUEST_RECVWINDOW = int(self.config.recv_window.total_seconds() * 1000)
            self._client = client
        return self._client

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.close_connection()

    def now_ms(self) -> int:
        """Binance server time now (local clock corrected by the last sync), in milliseconds."""
        offset = self._client.timestamp_offset if self._client is not None else 0
        return int(time.time() * 1000) + offset

    async def sync_time(self) -> None:
        """Measure the offset between our clock and Binance's (``GET /api/v3/time``)."""
        client = self._open()
        before = time.time()
        answer = await self._guarded("server time", client.get_server_time)
        after = time.time()
        offset = int(answer["serverTime"] - (before + after) / 2 * 1000)
        if abs(offset - client.timestamp_offset) > 500:
            self.log.info("clock offset to Binance is now %d ms", offset)
        client.timestamp_offset = offset

    async def call(self, what: str, method: str, **params: Any) -> Any:
        """Call AsyncClient.``method`` (signed); on -1021 resync the clock and retry once."""
        client = self._open()
        try:
            return await self._guarded(what, getattr(client, method), **params)
        except BinanceFailure as failure:
            if failure.code != CLOCK_SKEW:
                raise
        self.count("clock_resync")
        self.log.warning("Binance says our clock is off (-1021); resynchronising server time and retrying")
        await self.sync_time()
        return await self._guarded(what, getattr(client, method), **params)

    async def _guarded(self, what: str, function: Callable[..., Any], **params: Any) -> Any:
        from binance.exceptions import BinanceAPIException, BinanceRequestException

        try:
            return await function(**params)
        except BinanceAPIException as error:
            raise self._translate(what, error) from None
        except (aiohttp.ClientError, BinanceRequestException, TimeoutError, OSError) as error:
            detail = self.redact(error)
            if isinstance(error, (TimeoutError, asyncio.TimeoutError)) and not detail:
                detail = f"no answer within {self.config.request_timeout.total_seconds():g}s"
            problem = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
            raise BinanceFailure(FailureKind.TRANSIENT, f"Binance unreachable ({what}): {problem}") from None

    def _translate(self, what: str, error: BinanceAPIException) -> BinanceFailure:
        status = int(error.status_code)
        code = error.code if isinstance(error.code, int) and error.code != 0 else None
        headers = getattr(error.response, "headers", None) or {}
        retry_after = parse_retry_after(headers.get("Retry-After"))
        # error.message may embed the request (and its signed URL) when the body is not JSON.
        api_message = self.redact(error.message) if code else ""
        said = f"{code} {api_message}".strip() if code else f"HTTP {status}"
        if status == 418:
            if retry_after is None:
                retry_after = self._banned_until(api_message)
            wait = retry_after if retry_after is not None else self.config.ban_backoff.total_seconds()
            return BinanceFailure(
                FailureKind.BANNED,
                f"Binance banned this IP for too many requests (HTTP 418, {said}); polling paused for "
                f"{wait:.0f}s: use a longer interval",
                wait,
                code,
                status,
            )
        if status in (403, 429):
            # 403: a WAF rule was hit (Binance names rate-limit violations among them): slow down too.
            wait = retry_after if retry_after is not None else self.config.rate_limit_backoff.total_seconds()
            kind, refusal = (
                (
                    FailureKind.FIREWALL,
                    f"Binance's firewall refused {what} (HTTP 403, a WAF rule, e.g. too many requests)",
                )
                if status == 403
                else (FailureKind.RATE_LIMITED, f"Binance rate limit reached (HTTP 429, {said})")
            )
            return BinanceFailure(
                kind, f"{refusal}; waiting {wait:.0f}s: use a longer interval", wait, code, status
            )
        if status == 451:
            return BinanceFailure(
                FailureKind.REGION,
                "Binance refuses service from this server's location (HTTP 451): run payalert where Binance "
                "is available, or set tld (e.g. tld: us for Binance.US)",
                self.config.region_backoff.total_seconds(),
                code,
                status,
            )
        if code in AUTH_CODES:
            return BinanceFailure(
                FailureKind.AUTH,
                f"Binance rejected the API key ({said}) on {what}: {AUTH_CODES[code]}",
                self.config.auth_error_backoff.total_seconds(),
                code,
                status,
            )
        if status >= 500 or code == CLOCK_SKEW or code in (-1000, -1001, -1003, -1006, -1007, -1008):
            if code == -1003 and retry_after is not None:
                return BinanceFailure(
                    FailureKind.RATE_LIMITED, f"Binance is busy ({said})", retry_after, code, status
                )
            return BinanceFailure(
                FailureKind.TRANSIENT,
                f"Binance could not answer {what} ({said}); retrying",
                retry_after,
                code,
                status,
            )
        return BinanceFailure(
            FailureKind.REJECTED, f"Binance refused {what} ({said})", retry_after, code, status
        )

    @staticmethod
    def _banned_until(message: str) -> float | None:
        match = _BANNED_UNTIL.search(message)
        if not match:
            return None
        return max(0.0, int(match.group(1)) / 1000 - time.time())
