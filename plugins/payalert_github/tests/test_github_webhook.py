"""The webhook endpoint over real HTTP against a running daemon: security, dedupe, errors, options."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from payalert_github.samples import sample_payload
from payalert_testing.github import SECRET, counter

from payalert_core import sign_sha256 as sign_body


def sponsorship(action: str) -> dict:
    """A sample sponsorship payload (the same ones send-test uses)."""
    _event, payload = sample_payload(action)
    return payload


def test_signed_json_and_form_deliveries_alert(start_github) -> None:
    daemon, poster = start_github()
    assert poster.send(sponsorship("created"), delivery="d-json").json()["status"] == "stored"
    assert poster.send(sponsorship("created"), delivery="d-form", content_type="form").status == 200
    alerts = daemon.wait_for_alerts(2)
    assert {a.payment.external_id for a in alerts} == {"d-json", "d-form"}
    assert all(a.payment.amount == Decimal("12.34") and a.payment.currency == "USD" for a in alerts)
    assert daemon.health().status == 200


@pytest.mark.parametrize(
    ("label", "signature"),
    [
        ("missing", None),
        ("empty", ""),
        ("malformed", "sha256=not-hex"),
        ("sha1 only", "sha1=" + "0" * 40),
        ("forged", "sha256=" + "ab" * 32),
        ("wrong secret", "WRONG"),
    ],
)
def test_bad_signatures_get_401_and_alert_nobody(start_github, label: str, signature: str | None) -> None:
    daemon, poster = start_github()
    delivery = f"bad-{uuid.uuid4()}"
    payload = sponsorship("created")
    if signature == "WRONG":
        answer = poster.send(payload, delivery=delivery, secret="not the configured secret")
    elif signature is None:
        answer = poster.send(payload, delivery=delivery, sign=False)
    else:
        answer = poster.send(payload, delivery=delivery, signature=signature)
    assert answer.status == 401, label
    assert answer.body == b""
    assert counter(daemon, "signature_rejected") == 1
    assert delivery in daemon.wait_for(lambda: delivery in daemon.output() and daemon.output())
    # A good delivery after it still works, and it is the only alert.
    assert poster.send(payload, delivery="good").status == 200
    assert [a.payment.external_id for a in daemon.wait_for_alerts(1)] == ["good"]


def test_signature_is_over_the_raw_body(start_github) -> None:
    daemon, poster = start_github()
    body = json.dumps(sponsorship("created")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "sponsorship",
        "X-GitHub-Delivery": "tampered",
        "X-Hub-Signature-256": sign_body(SECRET, body),
    }
    # Same JSON, different bytes (a space added): a re-serialising receiver would wrongly accept it.
    assert poster.raw(body.replace(b": ", b":  ", 1), headers).status == 401
    form = b"payload=" + body.replace(b" ", b"+")
    assert poster.raw(form, {**headers, "Content-Type": "application/x-www-form-urlencoded"}).status == 401
    assert counter(daemon, "signature_rejected") == 2
    assert daemon.alerts() == []


def test_nothing_is_parsed_before_the_signature(start_github) -> None:
    """Invalid JSON with a bad signature is a 401 (not a 400): the body was never looked at."""
    daemon, poster = start_github()
    answer = poster.send("{not json", delivery="junk", signature="sha256=" + "0" * 64)
    assert answer.status == 401
    assert counter(daemon, "invalid_payload") == 0


def test_redelivery_is_answered_and_alerts_nobody(start_github) -> None:
    daemon, poster = start_github()
    payload = sponsorship("created")
    first = poster.send(payload, delivery="same-guid")
    again = poster.send(payload, delivery="same-guid", content_type="form")
    assert (first.status, first.json()["status"]) == (200, "stored")
    assert (again.status, again.json()["status"]) == (200, "duplicate")
    daemon.wait_for_alerts(1)
    # Survives a restart: the delivery id is the durable dedupe key.
    daemon.restart()
    assert poster.send(payload, delivery="same-guid").json()["status"] == "duplicate"
    # A new delivery of the very same payload is a new event.
    assert poster.send(payload, delivery="other-guid").json()["status"] == "stored"
    alerts = daemon.wait_for_alerts(2)
    assert sorted(a.payment.external_id for a in alerts) == ["other-guid", "same-guid"]
    assert counter(daemon, "duplicate") == 1  # counters restart with the process


def test_invalid_json_after_valid_signature_is_400(start_github) -> None:
    daemon, poster = start_github()
    answers = [
        poster.send("{not json", delivery="j1"),
        poster.send("[1, 2]", delivery="j2"),
        poster.send("{not json", delivery="j3", content_type="form"),
        poster.send(json.dumps({"action": "created", "sponsorship": "?"}), delivery="j4"),
    ]
    assert [a.status for a in answers] == [400, 400, 400, 400]
    assert counter(daemon, "invalid_payload") == 4
    assert "delivery j1" in daemon.output() and "invalid JSON" in daemon.output()
    form_without_payload = b"hello=world"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-GitHub-Event": "sponsorship",
        "X-GitHub-Delivery": "j5",
        "X-Hub-Signature-256": sign_body(SECRET, form_without_payload),
    }
    assert poster.raw(form_without_payload, headers).status == 400
    assert daemon.alerts() == []


def test_other_content_type_is_415(start_github) -> None:
    daemon, poster = start_github()
    body = json.dumps(sponsorship("created")).encode()
    headers = {"Content-Type": "text/plain", "X-GitHub-Event": "sponsorship", "X-GitHub-Delivery": "t1"}
    answer = poster.raw(body, {**headers, "X-Hub-Signature-256": sign_body(SECRET, body)})
    assert answer.status == 415
    assert counter(daemon, "unsupported_content_type") == 1


def test_oversized_body_is_413(start_github) -> None:
    daemon, poster = start_github(settings={"server": {"max_body_bytes": 4096}})
    payload = sponsorship("created")
    payload["padding"] = "x" * 8192
    answer = poster.send(payload, delivery="big")
    assert answer.status == 413
    small = poster.send(sponsorship("created"), delivery="small")
    assert small.status == 200
    assert [a.payment.external_id for a in daemon.wait_for_alerts(1)] == ["small"]


def test_unknown_events_and_actions_are_2xx_and_counted(start_github) -> None:
    daemon, poster = start_github()
    issue = poster.send({"action": "opened", "issue": {"number": 1}}, event="issues", delivery="e1")
    assert (issue.status, issue.json()["reason"]) == (200, "event")
    no_event = poster.send(sponsorship("created"), event="", delivery="e2")
    assert (no_event.status, no_event.json()["reason"]) == (200, "event")
    future = sponsorship("created") | {"action": "renewed"}
    unknown = poster.send(future, delivery="e3")
    assert (unknown.status, unknown.json()["reason"]) == (200, "action")
    assert counter(daemon, "event_ignored") == 2
    assert counter(daemon, "action_ignored") == 1
    assert "unknown sponsorship action renewed" in daemon.output()
    assert poster.send(sponsorship("cancelled"), delivery="e4").status == 200
    assert [a.payment.kind for a in daemon.wait_for_alerts(1)] == ["github.sponsorship.cancelled"]


def test_action_filter(start_github) -> None:
    daemon, poster = start_github(actions=["created", "tier_changed"])
    statuses = {
        action: poster.send(sponsorship(action), delivery=f"f-{action}").json()
        for action in ("cancelled", "edited", "pending_cancellation", "created", "tier_changed")
    }
    assert statuses["cancelled"] == {"status": "ignored", "delivery": "f-cancelled", "reason": "filtered"}
    assert statuses["created"]["status"] == statuses["tier_changed"]["status"] == "stored"
    kinds = sorted(a.payment.kind for a in daemon.wait_for_alerts(2))
    assert kinds == ["github.sponsorship.created", "github.sponsorship.tier_changed"]
    assert counter(daemon, "action_filtered") == 3
    # an upgrade is a notice of the new price: it counts no amount (GitHub prorates the charge)
    upgrade = next(a.payment for a in daemon.alerts() if a.payment.kind.endswith("tier_changed"))
    assert upgrade.amount is None and upgrade.direction.value == "none"
    assert upgrade.details["Amount"] == "$15.00 a month"


def test_masking_of_private_sponsors(start_github) -> None:
    daemon, poster = start_github(mask_private_sponsors=True)
    private = sponsorship("created")
    private["sponsorship"]["privacy_level"] = "private"
    poster.send(private, delivery="m-private")
    poster.send(sponsorship("created"), delivery="m-public")
    alerts = {a.payment.external_id: a.payment for a in daemon.wait_for_alerts(2)}
    assert "payalert-sample-sponsor" not in alerts["m-private"].to_json()
    assert alerts["m-private"].title.startswith("New sponsor: a private sponsor")
    assert alerts["m-public"].counterparty == "payalert-sample-sponsor"


def test_all_six_actions_alert_by_default(start_github) -> None:
    daemon, poster = start_github()
    actions = (
        "created",
        "cancelled",
        "edited",
        "tier_changed",
        "pending_cancellation",
        "pending_tier_change",
    )
    for action in actions:
        assert poster.send(sponsorship(action), delivery=f"all-{action}").json()["status"] == "stored"
    kinds = {a.payment.kind for a in daemon.wait_for_alerts(len(actions))}
    assert kinds == {f"github.sponsorship.{action}" for action in actions}


def test_unsigned_needs_explicit_opt_in_and_warns_at_every_start(start_github) -> None:
    daemon, poster = start_github(secret=None, allow_unsigned=True)
    assert poster.send(sponsorship("created"), delivery="u1", sign=False).status == 200
    daemon.wait_for_alerts(1)
    assert daemon.output().count("accepts UNSIGNED webhooks") == 1
    daemon.restart()
    assert daemon.output().count("accepts UNSIGNED webhooks") == 2


def test_missing_secret_is_a_config_error_naming_the_key(payalert_daemon) -> None:
    with pytest.raises(RuntimeError) as failed:
        payalert_daemon.start(sources={"gh": {"type": "github"}})
    message = str(failed.value)
    assert "sources.gh.secret" in message
    assert "allow_unsigned: true" in message
    assert "Traceback" not in message


def test_secret_never_reaches_the_log(start_github) -> None:
    daemon, poster = start_github()
    poster.send(sponsorship("created"), delivery="s1")
    poster.send(sponsorship("created"), delivery="s2", secret="guess")
    daemon.wait_for_alerts(1)
    daemon.stop()
    assert SECRET not in daemon.output()
