"""The sms source in a real daemon: signed gateway webhooks in, one alert per bank payment out."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from android_sms_gateway.enums import WebhookEvent
from payalert_testing import DaemonProcess
from payalert_testing.sms import (
    HDFC_CREDIT,
    HOOK,
    SIGNING_KEY,
    SOURCE,
    corpus_sms,
    gateway_body,
    post_sms,
    signed_headers,
)

from payalert_core import sign_sha256


def _settle(daemon: DaemonProcess, expected: int, seconds: float = 1.0) -> None:
    """Give a wrongly repeated alert the chance to show up, then check the count (bounded wait)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert len(daemon.alerts()) <= expected, [a.payment.external_id for a in daemon.alerts()]
        time.sleep(0.1)
    assert len(daemon.alerts()) == expected


def _metric(daemon: DaemonProcess, event: str) -> float:
    wanted = f'payalert_source_events_total{{event="{event}",source="{SOURCE}"}}'
    for line in daemon.metrics().splitlines():
        if line.startswith(wanted):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_real_hdfc_sms_alerts_once_and_the_same_body_from_a_phone_number_alerts_nothing(sms_daemon) -> None:
    record = corpus_sms("HDFCBK")
    daemon = sms_daemon()
    body = gateway_body("VM-HDFCBK", record["text"])
    answer = daemon.post(HOOK, body, signed_headers(body))
    assert answer.status == 202, answer.body
    payment = daemon.wait_for_alerts(1)[0].payment
    assert payment.amount == Decimal(record["expected"]["amount"])
    assert payment.reference == record["expected"]["reference"]
    assert payment.details["Issuer"] == "HDFC Bank"

    redelivery = daemon.post(HOOK, body, signed_headers(body))  # the app retries the same body
    assert redelivery.status == 200 and redelivery.json()["status"] == "duplicate"

    spoofed = post_sms(daemon, "+919876543210", record["text"])
    assert spoofed.status == 200 and spoofed.json()["status"] == "untrusted"
    ten_digits = post_sms(daemon, "9876543210", record["text"])
    assert ten_digits.json()["status"] == "untrusted"
    _settle(daemon, 1)
    assert _metric(daemon, "untrusted_sender") == 2


def test_the_same_payment_in_two_sms_alerts_once(sms_daemon) -> None:
    daemon = sms_daemon()
    text = HDFC_CREDIT.format(amount="2,500.00", ref="612300000001")
    assert post_sms(daemon, "VM-HDFCBK", text).status == 202
    again = post_sms(daemon, "JD-HDFCBK-S", text + " ")  # another SMS, the same payment
    assert again.status == 200 and again.json()["status"] == "repeat"
    other = post_sms(daemon, "VM-HDFCBK", HDFC_CREDIT.format(amount="2,500.00", ref="612300000002"))
    assert other.status == 202  # another reference: another payment
    _settle(daemon, 2)
    assert "repeat of it, not alerted" in daemon.output()
    assert _metric(daemon, "repeat") == 1


def test_signature_and_timestamp_rules(sms_daemon) -> None:
    daemon = sms_daemon()
    text = HDFC_CREDIT.format(amount="10.00", ref="612300000010")
    body = gateway_body("VM-HDFCBK", text)
    now = int(time.time())
    stale = daemon.post(HOOK, body, signed_headers(body, timestamp=now - 301))  # a captured request, replayed
    ahead = daemon.post(HOOK, body, signed_headers(body, timestamp=now + 301))
    wrong_key = daemon.post(HOOK, body, signed_headers(body, key="not-the-signing-key-at-all"))
    headers = signed_headers(body)
    tampered = daemon.post(HOOK, body.replace(b"10.00", b"99.00"), headers)
    moved_stamp = daemon.post(HOOK, body, {**headers, "X-Timestamp": str(now - 1)})
    unsigned = daemon.post(HOOK, body, {"Content-Type": "application/json"})
    no_stamp = daemon.post(HOOK, body, {"X-Signature": headers["X-Signature"]})
    for answer in (stale, ahead, wrong_key, tampered, moved_stamp, unsigned, no_stamp):
        assert answer.status == 401
    assert _metric(daemon, "signature_rejected") == 7
    assert (
        daemon.post(HOOK, body, signed_headers(body, timestamp=now - 200)).status == 202
    )  # within 5 minutes
    _settle(daemon, 1)
    assert SIGNING_KEY not in daemon.output()


def test_other_events_pings_bad_bodies_and_huge_bodies(sms_daemon) -> None:
    daemon = sms_daemon()
    sent = gateway_body("VM-HDFCBK", "", event=WebhookEvent.SMS_SENT.value, payload={"messageId": "x"})
    answer = daemon.post(HOOK, sent, signed_headers(sent))
    assert answer.status == 200 and answer.json() == {"status": "ignored", "reason": "event"}

    ping = gateway_body("", "", event=WebhookEvent.SYSTEM_PING.value, payload={"health": {"status": "pass"}})
    assert daemon.post(HOOK, ping, signed_headers(ping)).json() == {"status": "pong"}
    health = daemon.health().json()["sources"][SOURCE]
    assert health["gateway"] == "pass" and health["last_ping"] and health["last_sms"] is None

    no_text = gateway_body("VM-HDFCBK", "")
    bad = daemon.post(HOOK, no_text, signed_headers(no_text))
    assert bad.status == 400 and "message" in bad.json()["error"]
    not_json = b"{not json"
    assert daemon.post(HOOK, not_json, signed_headers(not_json)).status == 400

    huge = gateway_body("VM-HDFCBK", "Rs.1.00 credited " + "x" * 70_000)
    assert daemon.post(HOOK, huge, signed_headers(huge)).status == 413
    _settle(daemon, 0)


def test_another_forwarder_posts_the_plain_form_signed_like_the_webhook_source(sms_daemon) -> None:
    daemon = sms_daemon()
    body = json.dumps(
        {
            "from": "AX-HDFCBK-T",
            "text": HDFC_CREDIT.format(amount="75.00", ref="612300000020"),
            "received_at": "2026-06-02T10:15:00+05:30",
        }
    ).encode()
    forged = daemon.post(HOOK, body, {"X-Payalert-Signature": sign_sha256("some-other-secret-xyz", body)})
    assert forged.status == 401
    answer = daemon.post(HOOK, body, {"X-Payalert-Signature": sign_sha256(SIGNING_KEY, body)})
    assert answer.status == 202
    assert daemon.wait_for_alerts(1)[0].payment.amount == Decimal("75.00")


def test_spoofed_and_unparsed_notices_when_configured(sms_daemon) -> None:
    daemon = sms_daemon(spoofed_notice=True)
    text = HDFC_CREDIT.format(amount="9,999.00", ref="612300000030")
    assert post_sms(daemon, "+919812345678", text).status == 202
    notice = daemon.wait_for_alerts(1)[0].payment
    assert notice.kind == "bank.spoofed_sms" and notice.amount is None
    assert "Possible spoofed bank SMS" in notice.title
    unread = post_sms(daemon, "VM-HDFCBK", "Your A/c XX4477 txn of Rs.500 happened somewhere odd")
    assert unread.status == 202
    alert = daemon.wait_for_alerts(2)[1].payment
    assert alert.kind == "bank.unparsed_sms" and "payalert sms explain" in alert.details["What to do"]


def test_kill_between_receipt_and_delivery_loses_nothing(sms_daemon) -> None:
    daemon = sms_daemon(recorder={"delay": "300ms"})
    refs = [f"61230000010{n}" for n in range(6)]
    for ref in refs:
        assert post_sms(daemon, "VM-HDFCBK", HDFC_CREDIT.format(amount="1.00", ref=ref)).status == 202
    daemon.kill()  # -9: most deliveries are still pending
    assert len(daemon.alerts()) < len(refs)
    daemon.start()
    daemon.wait_for(lambda: {a.payment.reference for a in daemon.alerts()} >= set(refs), timeout=30)
    time.sleep(0.5)
    counts = [a.payment.reference for a in daemon.alerts()]
    # The one documented duplicate window: sent, then killed before it was recorded as sent.
    assert len(counts) - len(set(counts)) <= 1


def test_a_bank_header_the_user_adds_alerts_and_its_issuer_is_named(sms_daemon) -> None:
    daemon = sms_daemon(bank_headers=["XYZBNK"])
    text = HDFC_CREDIT.format(amount="1,999.00", ref="612399990001").replace("HDFC Bank", "Xyz Co-op Bank")
    assert post_sms(daemon, "JD-XYZBNK-S", text).status == 202
    payment = daemon.wait_for_alerts(1)[0].payment
    assert payment.amount == Decimal("1999.00") and payment.details["Issuer"] == "XYZBNK"
    assert post_sms(daemon, "JD-XYZBNQ-S", text).json()["status"] == "untrusted"
    _settle(daemon, 1)
