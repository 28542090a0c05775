"""The ``webhook`` source: any program can post a signed JSON payment to payalert.

``POST /hooks/<name>/`` with a JSON body and ``X-Payalert-Signature: sha256=<hex>``, the
HMAC-SHA256 of the raw body keyed with the configured secret. Answers 202 once the payment is
stored, 200 for a duplicate, 401 for a missing or wrong signature, 400 for a bad body.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web
from pydantic import Field

from .. import (
    Direction,
    Payment,
    PushSource,
    SourceConfig,
    WebhookSecret,
    hookimpl,
    parse_exact_json,
    sha256_signature_problem,
)

SIGNATURE_HEADER = "X-Payalert-Signature"
_STORED = b'{"stored": 1, "duplicate": false}'
_DUPLICATE = b'{"stored": 0, "duplicate": true}'


class WebhookConfig(SourceConfig):
    """Options of the generic webhook source."""

    secret: WebhookSecret = Field(description="Shared secret for the HMAC-SHA256 signature (16+ characters).")


class WebhookSource(PushSource):
    """Receives payments as signed JSON from scripts, shops and automation tools."""

    type_name = "webhook"
    Config = WebhookConfig
    config: WebhookConfig

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/", self.receive)

    async def receive(self, request: web.Request) -> web.Response:
        """Verify, parse, store, then answer."""
        body = await request.read()
        secret = self.config.secret.get_secret_value()
        problem = sha256_signature_problem(secret, body, request.headers.get(SIGNATURE_HEADER))
        if problem:
            self.runtime.count("signature_rejected")
            self.log.warning("rejected a request from %s: signature %s", request.remote, problem)
            return web.Response(status=401)
        try:
            payment = self.parse(parse_exact_json(body))
        except (ValueError, TypeError, KeyError, InvalidOperation, RecursionError) as error:
            self.runtime.count("bad_request")
            return web.json_response({"error": f"bad payment: {error}"}, status=400)
        result = await self.ingest([payment])
        self.runtime.health.succeeded()
        if result.stored:
            return web.Response(status=202, body=_STORED, content_type="application/json")
        return web.Response(status=200, body=_DUPLICATE, content_type="application/json")

    def parse(self, data: Any) -> Payment:
        """A Payment from the JSON body; ``id``, ``amount`` and ``currency`` are required."""
        if not isinstance(data, dict):
            raise TypeError("the body must be a JSON object")
        amount = data["amount"]
        if isinstance(amount, bool) or not isinstance(amount, (str, int, Decimal)):
            raise TypeError("amount must be a string or a number")
        details = data.get("details") or {}
        if not isinstance(details, dict):
            raise TypeError("details must be an object")
        occurred = data.get("occurred_at")
        occurred_at = datetime.fromisoformat(occurred) if occurred else datetime.now(UTC)
        if occurred_at.tzinfo is None:
            raise ValueError("occurred_at needs a UTC offset, e.g. 2026-01-31T10:00:00+05:30")
        external_id = data["id"]
        if isinstance(external_id, bool) or not isinstance(external_id, (str, int)):
            raise TypeError("id must be a string or an integer")
        currency = data["currency"]
        if not isinstance(currency, str):
            raise TypeError("currency must be a string such as EUR or USDT")
        return Payment(
            source=self.name,
            kind=_text(data, "kind") or "webhook.payment",
            external_id=str(external_id),
            amount=Decimal(str(amount)),
            currency=currency.upper(),
            direction=Direction(data.get("direction", "in")),
            occurred_at=occurred_at,
            title=_text(data, "title") or "Payment received",
            summary=_text(data, "summary") or "",
            counterparty=_text(data, "counterparty"),
            reference=_text(data, "reference"),
            link=_text(data, "link"),
            details={str(k): str(v) for k, v in details.items()},
            raw=data,
        )


def _text(data: dict[str, Any], key: str) -> str | None:
    """An optional text field: a string or null, nothing else."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    return value


@hookimpl
def payalert_register_sources(register: Any) -> None:
    register(WebhookSource)
