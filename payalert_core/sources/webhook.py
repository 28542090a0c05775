"""The ``webhook`` source: any program can post a signed JSON payment to payalert.

``POST /hooks/<name>/`` with a JSON body and ``X-Payalert-Signature: sha256=<hex>``, the
HMAC-SHA256 of the raw body keyed with the configured secret. Answers 202 once the payment is
stored, 200 for a duplicate (``{"duplicate": true}``) or a payment a filter dropped
(``{"filtered": true}``), 401 for a missing or wrong signature, and 400 for a bad body, naming the
field (``{"error": "bad payment: amount: missing", "field": "amount"}``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import (
    Direction,
    InvalidPayment,
    Payment,
    SignedJsonPushSource,
    SignedJsonSourceConfig,
    has_lone_surrogate,
    hookimpl,
    one_line,
)

SIGNATURE_HEADER = SignedJsonPushSource.signature_header


class WebhookConfig(SignedJsonSourceConfig):
    """Options of the generic webhook source."""


class WebhookSource(SignedJsonPushSource):
    """Receives payments as signed JSON from scripts, shops and automation tools."""

    type_name = "webhook"
    Config = WebhookConfig
    config: WebhookConfig

    def parse(self, data: Any) -> Payment:
        """A Payment from the JSON body; ``id``, ``amount`` and ``currency`` are required.

        Raises :class:`~payalert_core.InvalidPayment` naming the field for anything it refuses.
        """
        if not isinstance(data, dict):
            raise InvalidPayment("body", "must be a JSON object")
        external_id = _required(data, "id")
        if isinstance(external_id, bool) or not isinstance(external_id, (str, int)):
            raise InvalidPayment("id", "must be a string or an integer")
        amount = _required(data, "amount")
        if isinstance(amount, bool) or not isinstance(amount, (str, int, Decimal)):
            raise InvalidPayment("amount", "must be a string or a number")
        try:
            exact = Decimal(str(amount).strip())
        except InvalidOperation:
            raise InvalidPayment("amount", f"{one_line(repr(amount), 40)} is not a number") from None
        currency = _text(data, "currency")
        if currency is None:
            raise InvalidPayment("currency", "missing" if "currency" not in data else "must be a string")
        details = data.get("details") or {}
        if not isinstance(details, dict):
            raise InvalidPayment("details", "must be an object")
        for key, value in details.items():
            if has_lone_surrogate(key) or (isinstance(value, str) and has_lone_surrogate(value)):
                raise InvalidPayment("details", _NOT_UNICODE)
        direction = data.get("direction", "in")
        if direction not in _DIRECTIONS:
            raise InvalidPayment("direction", "must be in or out")
        return Payment(
            source=self.name,
            kind=_text(data, "kind") or "webhook.payment",
            external_id=str(external_id),
            amount=exact,
            currency=currency.upper(),
            direction=Direction(direction),
            occurred_at=_occurred_at(data.get("occurred_at")),
            title=_text(data, "title") or "Payment received",
            summary=_text(data, "summary") or "",
            counterparty=_text(data, "counterparty"),
            reference=_text(data, "reference"),
            link=_text(data, "link"),
            details={str(k): str(v) for k, v in details.items()},
            raw=data,
        )


_DIRECTIONS = ("in", "out")
_NOT_UNICODE = "holds a lone surrogate (half of a UTF-16 pair): not valid Unicode"


def _required(data: dict[str, Any], key: str) -> Any:
    if key not in data:
        raise InvalidPayment(key, "missing")
    return data[key]


def _text(data: dict[str, Any], key: str) -> str | None:
    """An optional text field: a string or null, nothing else; never half of a surrogate pair."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPayment(key, "must be a string")
    if has_lone_surrogate(value):
        raise InvalidPayment(key, _NOT_UNICODE)
    return value


def _occurred_at(value: Any) -> datetime:
    """The payment's time: ISO-8601 with a UTC offset, from 1970 to a day from now; now when left out."""
    if not value:
        return datetime.now(UTC)
    if not isinstance(value, str):
        raise InvalidPayment("occurred_at", "must be an ISO-8601 time such as 2026-01-31T10:00:00+05:30")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidPayment("occurred_at", f"{one_line(repr(value), 60)} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise InvalidPayment("occurred_at", "needs a UTC offset, e.g. 2026-01-31T10:00:00+05:30")
    return moment


@hookimpl
def payalert_register_sources(register: Any) -> None:
    register(WebhookSource)
