"""Requests exactly as SMS Gateway for Android sends them, built from its documentation's example.

The body is the documented ``{"deviceId", "event", "id", "payload", "webhookId"}`` object; the
event names come from the gateway's own Python client (``android_sms_gateway.enums``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from android_sms_gateway.enums import WebhookEvent

from .corpus import corpus_path
from .daemon import DaemonProcess

SOURCE = "phone"
HOOK = f"/hooks/{SOURCE}/"
SIGNING_KEY = "gateway-signing-key-5f2e91"
IST = timezone(timedelta(hours=5, minutes=30))
#: A UPI credit in HDFC's SMS wording (written here; the corpus texts are read at run time).
HDFC_CREDIT = "Rs.{amount} credited to HDFC Bank A/c XX4477 on 02-06-26 from VPA asha.k@okaxis (UPI {ref})"


def gateway_body(
    sender: str,
    text: str,
    received_at: datetime | None = None,
    event: str = WebhookEvent.SMS_RECEIVED.value,
    payload: dict[str, Any] | None = None,
) -> bytes:
    """A webhook body as the app posts it (the documentation's example, with this SMS in it)."""
    when = received_at or datetime.now(IST)
    document = {
        "deviceId": "ffffffffceb0b1db0000018e937c815b",
        "event": event,
        "id": uuid.uuid4().hex[:21],
        "payload": payload
        if payload is not None
        else {
            "messageId": "abc123",
            "message": text,
            "phoneNumber": sender,
            "simNumber": 1,
            "receivedAt": when.isoformat(timespec="milliseconds"),
        },
        "webhookId": "LmKq2hLuTFAqh5qDvpBvW",
    }
    return json.dumps(document).encode("utf-8")


def signed_headers(body: bytes, key: str = SIGNING_KEY, timestamp: int | None = None) -> dict[str, str]:
    """``X-Timestamp`` and ``X-Signature`` as the documentation says: HMAC-SHA256(key, body + timestamp), hex."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature}


def post_sms(daemon: DaemonProcess, sender: str, text: str, **options: Any) -> Any:
    """POST one signed ``sms:received`` to the sms source; returns the response."""
    body = gateway_body(sender, text, **options)
    return daemon.post(HOOK, body, signed_headers(body))


def corpus_sms(header: str = "HDFCBK") -> dict[str, Any]:
    """The first payment SMS of the shared corpus sent from ``header`` (any prefix or suffix)."""
    for path in sorted(corpus_path("bank").glob("*.sms.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            sender = record.get("sender") or ""
            expected = record.get("expected") or {}
            if (
                sender.count("-") >= 1
                and sender.split("-")[1] == header
                and expected.get("should_parse") is not False
                and expected.get("amount")
                and expected.get("reference")
            ):
                return record
    raise AssertionError(f"the corpus holds no payment SMS from {header} with a reference")
