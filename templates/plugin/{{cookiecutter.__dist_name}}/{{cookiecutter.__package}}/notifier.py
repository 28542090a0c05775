{% set prefix = cookiecutter.__class_prefix -%}
"""The ``{{ cookiecutter.plugin_name }}`` notifier: posts each alert as JSON to a webhook URL.

The body is ``{"text": "<the alert>", "payment": {...}}``. A 2xx answer is success; 429 and 5xx
are retried (after ``Retry-After`` when given); any other 4xx is a permanent failure, kept for
``payalert retry-failed``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import aiohttp
from payalert_core import (
    Direction,
    Duration,
    Notifier,
    NotifierConfig,
    Payment,
    PermanentFailure,
    RetryLater,
    SecretStr,
    format_amount,
)
from pydantic import Field, field_validator


class {{ prefix }}Config(NotifierConfig):
    """Options of a ``type: {{ cookiecutter.plugin_name }}`` notifier."""

    url: SecretStr = Field(
        description="Incoming-webhook URL. Such URLs often carry a credential: it is never logged."
    )
    timeout: Duration = Field(default=timedelta(seconds=15), description="Limit for one request.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class {{ prefix }}Notifier(Notifier):
    """Posts one JSON message per alert."""

    type_name = "{{ cookiecutter.plugin_name }}"
    Config = {{ prefix }}Config
    config: {{ prefix }}Config
    session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.config.timeout.total_seconds())
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    def render(self, payment: Payment, target: str) -> dict[str, Any]:
        """The JSON body for ``payment``, built without I/O.

        The core calls it before ``send``: should it raise, the delivery fails at once and the
        core's plain fallback alert goes instead, so one payment never holds the lane.
        """
        return {"text": alert_text(payment), "payment": json.loads(payment.to_json())}

    async def send(self, payment: Payment, target: str) -> None:
        assert self.session is not None, "start() opens the session"
        body = self.render(payment, target)
        try:
            async with self.session.post(self.config.url.get_secret_value(), json=body) as answer:
                status = answer.status
                wait = retry_after(answer.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as error:
            # The message of a connection error may quote the URL, which is a secret.
            raise RetryLater(f"could not reach the webhook ({type(error).__name__})") from None
        if status == 429 or status >= 500:
            raise RetryLater(f"the webhook answered HTTP {status}", retry_after=wait)
        if status >= 300:
            raise PermanentFailure(f"the webhook refused the alert with HTTP {status}")


def alert_text(payment: Payment) -> str:
    """The alert as plain text: title, amount and who paid (or who was paid)."""
    lines = [payment.title]
    if payment.amount is not None and payment.currency is not None:
        lines.append(format_amount(payment.amount, payment.currency))
    if payment.counterparty:
        preposition = "to" if payment.direction is Direction.OUT else "from"
        lines.append(f"{preposition} {payment.counterparty}")
    if payment.summary:
        lines.append(payment.summary)
    return "\n".join(lines)


def retry_after(header: str | None) -> float | None:
    """``Retry-After`` in seconds when it is a number of seconds."""
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None
