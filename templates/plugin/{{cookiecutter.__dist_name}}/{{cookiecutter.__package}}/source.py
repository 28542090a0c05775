{% set prefix = cookiecutter.__class_prefix -%}
{% if cookiecutter.kind == "push" -%}
"""The ``{{ cookiecutter.plugin_name }}`` source: payments posted as signed JSON webhooks.

``POST /hooks/<source name>/`` with a JSON object ``{"id", "amount", "currency", "paid_at",
"customer"}`` and the header ``X-Signature: sha256=<hex HMAC-SHA256 of the body>``. Answers 202 once
the payment is stored, 200 for a redelivery, 401 for a bad signature and 400 for a bad body.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from payalert_core import (
    Direction,
    Payment,
    SignedJsonPushSource,
    SignedJsonSourceConfig,
)

KIND = "{{ cookiecutter.plugin_name }}.payment"


class {{ prefix }}Config(SignedJsonSourceConfig):
    """Options of a ``type: {{ cookiecutter.plugin_name }}`` source: ``secret`` signs each request."""


class {{ prefix }}Source(SignedJsonPushSource):
    """Receives signed payment notifications under ``/hooks/<source name>/``.

    payalert's handler checks the signature (401), parses the body exactly (400 naming the
    problem), stores the payment and only then answers 202 (200 for a redelivery).
    """

    type_name = "{{ cookiecutter.plugin_name }}"
    Config = {{ prefix }}Config
    config: {{ prefix }}Config
    signature_header = "X-Signature"

    def parse(self, data: Any) -> Payment:
        """A Payment from the JSON body."""
        return parse_payment(self.name, data)


def parse_payment(source: str, data: Any) -> Payment:
    """A Payment from one notification (``id``, ``amount``, ``currency``, ``paid_at``)."""
    if not isinstance(data, dict):
        raise TypeError("the body must be a JSON object")
    paid_at = datetime.fromisoformat(data["paid_at"])
    if paid_at.tzinfo is None:
        raise ValueError("paid_at needs a UTC offset, e.g. 2026-01-31T10:00:00+05:30")
    return Payment(
        source=source,
        kind=KIND,
        external_id=str(data["id"]),
        amount=Decimal(str(data["amount"])),
        currency=str(data["currency"]).upper(),
        direction=Direction.IN,
        occurred_at=paid_at,
        title=f"Payment {data['id']} received",
        counterparty=data.get("customer"),
        raw=data,
    )
{%- elif cookiecutter.kind == "polled" -%}
"""The ``{{ cookiecutter.plugin_name }}`` source: polls an HTTP API for new payments.

Each poll asks ``GET <url>/payments?after=<cursor>`` (with ``Authorization: Bearer <token>``) for
the payments after the last one seen; the API answers ``{"payments": [{"seq", "id", "amount",
"currency", "paid_at", "customer"}, ...]}`` in ``seq`` order. The payments and the new cursor are
stored in one transaction, so a crash between polls neither loses nor repeats a payment.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import aiohttp
from payalert_core import (
    Direction,
    Duration,
    Payment,
    PolledSource,
    PolledSourceConfig,
    RetryLater,
    SecretStr,
)
from pydantic import Field, field_validator

KIND = "{{ cookiecutter.plugin_name }}.payment"


class {{ prefix }}Config(PolledSourceConfig):
    """Options of a ``type: {{ cookiecutter.plugin_name }}`` source, besides ``interval``."""

    url: str = Field(description="Base URL of the API, e.g. https://api.example.com/v1.")
    token: SecretStr = Field(description="API token, sent as a bearer token.")
    timeout: Duration = Field(default=timedelta(seconds=30), description="Limit for one request.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class {{ prefix }}Source(PolledSource):
    """Polls for payments after the saved cursor and stores them with the advanced cursor."""

    type_name = "{{ cookiecutter.plugin_name }}"
    Config = {{ prefix }}Config
    config: {{ prefix }}Config

    session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        token = self.config.token.get_secret_value()
        self.session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=self.config.timeout.total_seconds()),
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def poll(self) -> None:
        assert self.session is not None, "start() opens the session"
        after = await self.load_state("cursor") or 0
        url = self.config.url + "/payments"
        async with self.session.get(url, params={"after": str(after)}) as answer:
            if answer.status == 429:
                raise RetryLater("rate limited (HTTP 429)", retry_after=retry_after(answer))
            if answer.status in (401, 403):
                raise PermissionError(f"HTTP {answer.status}: check sources.{self.name}.token")
            answer.raise_for_status()
            document = await answer.json(loads=partial(json.loads, parse_float=Decimal))
        records = document["payments"]
        if records:
            payments = [parse_payment(self.name, record) for record in records]
            await self.ingest(payments, cursors={"cursor": records[-1]["seq"]})


def retry_after(answer: aiohttp.ClientResponse) -> float | None:
    """The ``Retry-After`` header in seconds, when it is a number."""
    try:
        return float(answer.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def parse_payment(source: str, record: dict[str, Any]) -> Payment:
    """A Payment from one record of the API's answer."""
    paid_at = datetime.fromisoformat(record["paid_at"])
    if paid_at.tzinfo is None:
        raise ValueError(f"payment {record['id']}: paid_at has no UTC offset")
    return Payment(
        source=source,
        kind=KIND,
        external_id=str(record["id"]),
        amount=Decimal(str(record["amount"])),
        currency=str(record["currency"]).upper(),
        direction=Direction.IN,
        occurred_at=paid_at,
        title=f"Payment {record['id']} received",
        counterparty=record.get("customer"),
        raw=record,
    )
{%- elif cookiecutter.kind == "stream" -%}
"""The ``{{ cookiecutter.plugin_name }}`` source: payments read from a long-lived HTTP stream.

``GET <url>/stream?after=<cursor>`` (with ``Authorization: Bearer <token>``) answers with one JSON
object per line, ``{"seq", "id", "amount", "currency", "paid_at", "customer"}``, as payments happen;
empty lines are keep-alives. Each payment is stored together with its ``seq`` as the cursor, so a
reconnect resumes after the last stored payment. payalert restarts ``run()`` with backoff whenever
it ends.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from payalert_core import (
    Direction,
    Duration,
    Payment,
    SecretStr,
    StreamSource,
    StreamSourceConfig,
)
from pydantic import Field, field_validator

KIND = "{{ cookiecutter.plugin_name }}.payment"


class {{ prefix }}Config(StreamSourceConfig):
    """Options of a ``type: {{ cookiecutter.plugin_name }}`` source."""

    url: str = Field(description="Base URL of the API, e.g. https://api.example.com/v1.")
    token: SecretStr = Field(description="API token, sent as a bearer token.")
    idle_timeout: Duration = Field(
        default=timedelta(minutes=5),
        description="Reconnect when nothing, not even a keep-alive, arrives for this long.",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class {{ prefix }}Source(StreamSource):
    """Stores each payment from the stream as it arrives, with its ``seq`` as the cursor."""

    type_name = "{{ cookiecutter.plugin_name }}"
    Config = {{ prefix }}Config
    config: {{ prefix }}Config

    async def run(self) -> None:
        after = await self.load_state("cursor") or 0
        token = self.config.token.get_secret_value()
        timeout = aiohttp.ClientTimeout(
            sock_connect=30, sock_read=self.config.idle_timeout.total_seconds()
        )
        url = self.config.url + "/stream"
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session,
            session.get(url, params={"after": str(after)}, timeout=timeout) as answer,
        ):
            if answer.status in (401, 403):
                raise PermissionError(f"HTTP {answer.status}: check sources.{self.name}.token")
            answer.raise_for_status()
            self.runtime.health.set_connected(True)
            async for line in answer.content:
                if line.strip():  # an empty line is a keep-alive
                    record = json.loads(line, parse_float=Decimal)
                    payment = parse_payment(self.name, record)
                    await self.ingest([payment], cursors={"cursor": record["seq"]})
                self.runtime.health.succeeded()
        raise ConnectionError("the server closed the stream")


def parse_payment(source: str, record: dict[str, Any]) -> Payment:
    """A Payment from one line of the stream."""
    paid_at = datetime.fromisoformat(record["paid_at"])
    if paid_at.tzinfo is None:
        raise ValueError(f"payment {record['id']}: paid_at has no UTC offset")
    return Payment(
        source=source,
        kind=KIND,
        external_id=str(record["id"]),
        amount=Decimal(str(record["amount"])),
        currency=str(record["currency"]).upper(),
        direction=Direction.IN,
        occurred_at=paid_at,
        title=f"Payment {record['id']} received",
        counterparty=record.get("customer"),
        raw=record,
    )
{%- endif %}
