"""The requests that forward an SMS: SMS Gateway for Android's webhook, and a plain signed form for others.

**SMS Gateway for Android** posts ``{"deviceId", "event", "id", "payload", "webhookId"}`` with
``X-Timestamp`` (Unix seconds) and ``X-Signature``: the hex HMAC-SHA256, keyed with the app's
signing key, of the raw body followed by the timestamp. ``sms:received`` carries ``payload.message``,
``phoneNumber``, ``receivedAt`` (ISO-8601, the phone's offset), ``simNumber`` and ``messageId``;
``system:ping`` carries ``payload.health``.

**Other forwarders** post ``{"from", "text", "received_at"}`` signed like payalert's own webhook
(``X-Payalert-Signature: sha256=<hex HMAC-SHA256 of the body>``, with the same key).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from payalert_core import has_lone_surrogate, is_plausible_time, sha256_signature_problem, sign_sha256

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
FORWARDER_SIGNATURE_HEADER = "X-Payalert-Signature"
SMS_RECEIVED = "sms:received"
SYSTEM_PING = "system:ping"
#: A request signed longer ago than this, or this far in the future, is refused: it may be a replay.
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: The largest request body read (an SMS is at most a few kilobytes, even a long concatenated one).
MAX_BODY_BYTES = 64 * 1024
#: Longest sender id and SMS text kept (an SMS of 10 concatenated parts is under 1,600 characters).
MAX_SENDER = 64
MAX_TEXT = 4000


class BadRequest(ValueError):
    """A signed request whose body is not a forwarded SMS; the message says what is wrong."""


@dataclass(frozen=True)
class ForwardedSms:
    """One SMS as the phone received it."""

    sender: str
    text: str
    received_at: datetime
    sim: int | None = None
    #: The gateway's own message id (not unique: the app derives it from the text).
    message_id: str | None = None

    @property
    def digest(self) -> str:
        """Who, what and when, hashed: the same for a redelivery, different for the next SMS."""
        key = "\x00".join((self.sender, self.text, self.received_at.isoformat()))
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def gateway_signature(key: str, body: bytes, timestamp: str) -> str:
    """The ``X-Signature`` SMS Gateway for Android sends: hex HMAC-SHA256 of the body and the timestamp."""
    return sign_sha256(key, body + timestamp.encode("ascii")).removeprefix("sha256=")


def gateway_signature_problem(
    key: str, body: bytes, timestamp: str | None, signature: str | None, now: datetime
) -> str | None:
    """None for a request the app signed within :data:`~payalert_sms.config.MAX_CLOCK_SKEW`; else why not.

    The signature covers the timestamp, so a captured request cannot be replayed later with a
    fresh one; one too old or too far ahead is refused whatever its signature.
    """
    if not timestamp or not signature:
        return f"missing {TIMESTAMP_HEADER if not timestamp else SIGNATURE_HEADER}"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return f"malformed {TIMESTAMP_HEADER}"
    skew = abs(int(now.timestamp()) - int(timestamp))  # both whole seconds
    if skew > MAX_CLOCK_SKEW.total_seconds():
        return f"{TIMESTAMP_HEADER} is {int(skew)}s away from this machine's clock (at most {int(MAX_CLOCK_SKEW.total_seconds())}s)"
    problem = sha256_signature_problem(key, body + timestamp.encode("ascii"), "sha256=" + signature.strip())
    return f"{problem} {SIGNATURE_HEADER}" if problem else None


def forwarder_signature_problem(key: str, body: bytes, signature: str | None) -> str | None:
    """None when ``X-Payalert-Signature`` signs the body with the key; else why not."""
    problem = sha256_signature_problem(key, body, signature)
    return f"{problem} {FORWARDER_SIGNATURE_HEADER}" if problem else None


def gateway_event(data: Any) -> tuple[str, dict[str, Any]]:
    """The event name and payload of a gateway webhook body."""
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    event = data.get("event")
    payload = data.get("payload")
    if not isinstance(event, str) or not event:
        raise BadRequest("event: missing")
    if not isinstance(payload, dict):
        raise BadRequest("payload: must be an object")
    return event, payload


def sms_from_gateway(payload: dict[str, Any]) -> ForwardedSms:
    """The SMS of an ``sms:received`` payload."""
    sim = payload.get("simNumber")
    message_id = payload.get("messageId")
    return ForwardedSms(
        sender=_text(payload, "phoneNumber", MAX_SENDER),
        text=_text(payload, "message", MAX_TEXT),
        received_at=_time(payload, "receivedAt"),
        sim=sim if isinstance(sim, int) and not isinstance(sim, bool) else None,
        message_id=message_id[:64] if isinstance(message_id, str) else None,
    )


def sms_from_forwarder(data: Any) -> ForwardedSms:
    """The SMS of a ``{"from", "text", "received_at"}`` body."""
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return ForwardedSms(
        sender=_text(data, "from", MAX_SENDER),
        text=_text(data, "text", MAX_TEXT),
        received_at=_time(data, "received_at"),
    )


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{key}: must be a non-empty string")
    if len(value) > limit:
        raise BadRequest(f"{key}: longer than {limit} characters")
    if has_lone_surrogate(value):
        raise BadRequest(f"{key}: not valid Unicode (a lone surrogate)")
    return value.strip()


def _time(data: dict[str, Any], key: str) -> datetime:
    value = data.get(key)
    if not isinstance(value, str):
        raise BadRequest(f"{key}: must be an ISO-8601 time such as 2026-06-22T15:46:11.000+05:30")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(f"{key}: {value[:40]!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{key}: needs a UTC offset, e.g. 2026-06-22T15:46:11.000+05:30")
    if not is_plausible_time(moment):
        raise BadRequest(f"{key}: {value[:40]} is not a plausible time")
    return moment
