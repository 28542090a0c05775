"""The gateway's request format: its signature, its timestamp window and its payload, as documented."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from android_sms_gateway.webhooks import SmsReceivedPayload
from payalert_sms.cli import gateway_request
from payalert_sms.gateway import (
    BadRequest,
    gateway_event,
    gateway_signature,
    gateway_signature_problem,
    sms_from_forwarder,
    sms_from_gateway,
)
from payalert_testing.sms import SIGNING_KEY, gateway_body, signed_headers

NOW = datetime.now(UTC)


def test_the_signature_is_the_documented_hmac_of_body_and_timestamp() -> None:
    body = gateway_body("VM-HDFCBK", "Rs.1.00 credited")
    headers = signed_headers(body, timestamp=int(NOW.timestamp()))
    assert gateway_signature(SIGNING_KEY, body, headers["X-Timestamp"]) == headers["X-Signature"]
    assert (
        gateway_signature_problem(SIGNING_KEY, body, headers["X-Timestamp"], headers["X-Signature"], NOW)
        is None
    )
    upper = headers["X-Signature"].upper()  # hex in either case is the same digest
    assert gateway_signature_problem(SIGNING_KEY, body, headers["X-Timestamp"], upper, NOW) is None


@pytest.mark.parametrize(
    ("timestamp", "signature", "problem"),
    [
        (None, "ab", "missing X-Timestamp"),
        ("now", None, "missing X-Signature"),
        ("12.5", "ab", "malformed X-Timestamp"),
        ("-5", "ab", "malformed X-Timestamp"),
        ("9" * 40, "ab", "malformed X-Timestamp"),
        ("now", "ab", "malformed X-Signature"),
        ("now", "0" * 64, "mismatch X-Signature"),
    ],
)
def test_what_is_wrong_with_a_request_is_named(
    timestamp: str | None, signature: str | None, problem: str
) -> None:
    stamp = str(int(NOW.timestamp())) if timestamp == "now" else timestamp
    assert gateway_signature_problem(SIGNING_KEY, b"{}", stamp, signature, NOW) == problem


def test_a_timestamp_more_than_five_minutes_away_is_refused_whatever_its_signature() -> None:
    body = b"{}"
    for offset, accepted in ((-300, True), (300, True), (-301, False), (301, False), (-86400, False)):
        stamp = str(int(NOW.timestamp()) + offset)
        problem = gateway_signature_problem(
            SIGNING_KEY, body, stamp, gateway_signature(SIGNING_KEY, body, stamp), NOW
        )
        assert (problem is None) is accepted, (offset, problem)


def test_send_test_builds_what_the_gateway_s_own_client_reads() -> None:
    received = datetime(2026, 6, 2, 10, 15, 30, tzinfo=UTC).astimezone()
    body, headers = gateway_request(SIGNING_KEY, "VM-HDFCBK", "Rs.1.00 credited", received, now=time.time())
    document = json.loads(body)
    assert set(document) == {"deviceId", "event", "id", "payload", "webhookId"}
    event, payload = gateway_event(document)
    # The client's model also wants the newer "sender" field, which the documented example lacks.
    model = SmsReceivedPayload.from_dict({**payload, "sender": payload["phoneNumber"]})
    assert (event, model.message, model.phone_number, model.received_at) == (
        "sms:received",
        "Rs.1.00 credited",
        "VM-HDFCBK",
        received,
    )
    assert (
        headers["X-Signature"] == signed_headers(body, timestamp=int(headers["X-Timestamp"]))["X-Signature"]
    )


def test_the_documented_example_payload_is_read() -> None:
    example = {
        "messageId": "abc123",
        "message": "Android is always a sweet treat!",
        "phoneNumber": "6505551212",
        "simNumber": 1,
        "receivedAt": "2024-06-22T15:46:11.000+07:00",
    }
    sms = sms_from_gateway(example)
    assert (sms.sender, sms.sim, sms.message_id) == ("6505551212", 1, "abc123")
    assert sms.received_at.utcoffset() == timedelta(hours=7)
    assert sms_from_gateway({**example, "simNumber": None}).sim is None


def test_the_digest_is_stable_for_a_redelivery_and_differs_for_the_next_sms() -> None:
    payload = {"message": "x", "phoneNumber": "VM-HDFCBK", "receivedAt": "2026-06-02T10:15:00.000+05:30"}
    same_text_later = {**payload, "receivedAt": "2026-06-02T10:15:01.000+05:30", "messageId": "abc"}
    assert sms_from_gateway(payload).digest == sms_from_gateway(dict(payload)).digest
    assert sms_from_gateway(payload).digest != sms_from_gateway(same_text_later).digest


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phoneNumber": "VM-HDFCBK", "receivedAt": "2026-06-02T10:15:00+05:30"}, "message"),
        ({"message": "x", "receivedAt": "2026-06-02T10:15:00+05:30"}, "phoneNumber"),
        ({"message": "x", "phoneNumber": "VM-HDFCBK"}, "receivedAt"),
        ({"message": "x", "phoneNumber": "VM-HDFCBK", "receivedAt": "2026-06-02T10:15:00"}, "receivedAt"),
        (
            {"message": "x", "phoneNumber": "VM-HDFCBK", "receivedAt": "3026-06-02T10:15:00+05:30"},
            "receivedAt",
        ),
        (
            {"message": "x" * 4001, "phoneNumber": "VM-HDFCBK", "receivedAt": "2026-06-02T10:15:00+05:30"},
            "message",
        ),
        (
            {"message": "\ud800", "phoneNumber": "VM-HDFCBK", "receivedAt": "2026-06-02T10:15:00+05:30"},
            "message",
        ),
        ({"message": 5, "phoneNumber": "VM-HDFCBK", "receivedAt": "2026-06-02T10:15:00+05:30"}, "message"),
    ],
)
def test_a_bad_payload_names_the_field(payload: dict, field: str) -> None:
    with pytest.raises(BadRequest, match=f"^{field}:"):
        sms_from_gateway(payload)


def test_bodies_that_are_no_webhook_are_refused() -> None:
    for data in ([], {"payload": {}}, {"event": "sms:received", "payload": []}):
        with pytest.raises(BadRequest):
            gateway_event(data)
    with pytest.raises(BadRequest, match=r"^from:"):
        sms_from_forwarder({"text": "x", "received_at": "2026-06-02T10:15:00+05:30"})
