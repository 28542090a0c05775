"""Hostile HTTP against one real daemon: the built-in ``webhook`` source and the github plugin's route.

Every test shares one ``payalert run`` (started once for the module) and keeps its own books:
what it sent, what was answered, what the store holds and what was alerted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payalert_testing import DaemonFactory, DaemonProcess, corpus_path

from payalert_core import one_line, sign_sha256
from payalert_core.bounds import TEXT_LIMITS, safe_details

from .hostile import (
    Books,
    Tally,
    alert_counts,
    bodies,
    content_types,
    encode,
    forged_signatures,
    fuzz_settings,
    header_text,
    payments,
    recorded,
    send_raw,
    settle,
    sponsorships,
    stored_external_ids,
)

SHOP_SECRET = "fuzz-webhook-secret-5d1c"
GH_SECRET = "fuzz-github-secret-8e2a"
BODY_LIMIT = 32 * 1024
SIGNATURE = "X-Payalert-Signature"
GH_SIGNATURE = "X-Hub-Signature-256"
SOURCES = {
    "shop": {"type": "webhook", "secret": SHOP_SECRET},
    "floor": {"type": "webhook", "secret": SHOP_SECRET, "min_amount": {"INR": "1"}},
    "gh": {"type": "github", "secret": GH_SECRET},
}
SECRETS = {"shop": SHOP_SECRET, "floor": SHOP_SECRET, "gh": GH_SECRET}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    """One daemon for every example of the module: two webhook sources and a github source."""
    factory = DaemonFactory(tmp_path_factory.mktemp("fuzz-webhook"))
    try:
        yield factory.start(sources=SOURCES, settings={"server": {"max_body_bytes": BODY_LIMIT}})
    finally:
        factory.stop_all()


def signed(source: str, body: bytes) -> str:
    """The right signature header value for ``body`` on ``source``."""
    return sign_sha256(SECRETS[source], body)


# -- forged and unsigned ---------------------------------------------------------------------
@fuzz_settings(80)
@given(data=st.data(), source=st.sampled_from(["shop", "gh"]), body=bodies, content_type=content_types)
def _check_forged(
    daemon: DaemonProcess, tally: Tally, data: Any, source: str, body: bytes, content_type: str
) -> None:
    header = SIGNATURE if source == "shop" else GH_SIGNATURE
    values = data.draw(forged_signatures(body, SECRETS[source]))
    headers = [(header, value) for value in values] + [("Content-Type", content_type)]
    if source == "gh":
        headers += [("X-GitHub-Event", "sponsorship"), ("X-GitHub-Delivery", f"forged-{uuid.uuid4()}")]
    answer = send_raw(daemon, "POST", f"/hooks/{source}/", body, headers)
    tally.saw(answer.status)
    expected = 413 if len(body) > BODY_LIMIT else 401
    assert answer.status == expected, (values, answer)


def test_forged_and_unsigned_requests_get_401_and_store_nothing(
    daemon: DaemonProcess, reliability: Any
) -> None:
    books = Books(daemon, ("shop", "gh"))
    tally = Tally()
    try:
        _check_forged(daemon, tally)
    finally:
        tally.record(reliability, "fuzz: forged/unsigned webhook + github", "random bodies, bad signatures")
    for source in ("shop", "gh"):
        assert books.new_events(source) == 0
        assert books.new_ingested(source) == 0
    settle(daemon, SHOP_SECRET)
    assert not any(key.startswith("forged-") for key in alert_counts(daemon, "gh"))
    books.assert_healthy()


# -- signed garbage --------------------------------------------------------------------------
@fuzz_settings(120)
@given(body=bodies, source=st.sampled_from(["shop", "floor"]), content_type=content_types)
def _check_signed_webhook_garbage(
    daemon: DaemonProcess, tally: Tally, body: bytes, source: str, content_type: str
) -> None:
    headers = [(SIGNATURE, signed(source, body)), ("Content-Type", content_type)]
    answer = send_raw(daemon, "POST", f"/hooks/{source}/", body, headers)
    tally.saw(answer.status)
    if len(body) > BODY_LIMIT:
        assert answer.status == 413
    else:
        assert answer.status in (200, 202, 400), (body[:200], answer)
    if answer.status == 202:
        tally.delivered += 1


_GH_EVENTS = st.sampled_from(["sponsorship", "ping", "push", "", "SPONSORSHIP"]) | header_text


@fuzz_settings(120)
@given(body=bodies, event=_GH_EVENTS, content_type=content_types)
def _check_signed_github_garbage(
    daemon: DaemonProcess, tally: Tally, body: bytes, event: str, content_type: str
) -> None:
    headers = [
        (GH_SIGNATURE, signed("gh", body)),
        ("Content-Type", content_type),
        ("X-GitHub-Event", event),
        ("X-GitHub-Delivery", f"garbage-{uuid.uuid4()}"),
    ]
    answer = send_raw(daemon, "POST", "/hooks/gh/", body, headers)
    tally.saw(answer.status)
    if len(body) > BODY_LIMIT:
        assert answer.status == 413
        return
    assert answer.status in (200, 400, 415), (body[:200], answer)
    if answer.status == 200 and answer.json()["status"] == "stored":
        tally.delivered += 1


@pytest.mark.parametrize("target", ["webhook", "github"])
def test_signed_garbage_gets_a_clean_4xx(daemon: DaemonProcess, reliability: Any, target: str) -> None:
    sources = ("shop", "floor") if target == "webhook" else ("gh",)
    books = Books(daemon, sources)
    before = {source: sum(alert_counts(daemon, source).values()) for source in sources}
    tally = Tally()
    try:
        if target == "webhook":
            _check_signed_webhook_garbage(daemon, tally)
        else:
            _check_signed_github_garbage(daemon, tally)
    finally:
        tally.record(
            reliability, f"fuzz: signed garbage to {target}", "bytes, bad UTF-8, random JSON, deep, huge"
        )
    stored = sum(books.new_events(source) for source in sources)
    assert stored == tally.delivered  # nothing half-stored for a 4xx
    assert sum(books.new_ingested(source) for source in sources) == tally.delivered
    settle(daemon, SHOP_SECRET)
    alerted = sum(sum(alert_counts(daemon, source).values()) - before[source] for source in sources)
    assert alerted - (1 if "shop" in sources else 0) == tally.delivered
    books.assert_healthy()


# -- signed, well-formed payments ------------------------------------------------------------
def _shown(sent: dict[str, Any], field: str, default: str | None = None) -> str | None:
    """A text field as every alert shows it: on one line, without control characters, bounded."""
    value = sent.get(field) or default
    return None if value is None else one_line(value, TEXT_LIMITS[field])


def _expect_alert(sent: dict[str, Any], amount: Decimal, got: Any) -> None:
    assert got.amount == amount and isinstance(got.amount, Decimal)
    assert got.currency == sent["currency"].upper()
    assert got.direction.value == sent.get("direction", "in")
    assert got.title == _shown(sent, "title", "Payment received")
    assert got.summary == _shown(sent, "summary", "")
    assert got.counterparty == (
        None if sent.get("counterparty") is None else _shown(sent, "counterparty", "")
    )
    assert got.reference == (None if sent.get("reference") is None else _shown(sent, "reference", ""))
    assert got.link == (None if sent.get("link") is None else _shown(sent, "link", ""))
    assert got.kind == sent.get("kind", "webhook.payment")
    assert got.details == safe_details(sent.get("details", {}))
    if "occurred_at" in sent:
        assert got.occurred_at == datetime.fromisoformat(sent["occurred_at"])
    assert got.occurred_at.tzinfo is not None


@fuzz_settings(60)
@given(payment=payments(), ascii_only=st.booleans(), resend=st.booleans())
def _check_valid_payments(
    daemon: DaemonProcess, tally: Tally, sent: dict[str, Any], payment: Any, ascii_only: bool, resend: bool
) -> None:
    body, amount = payment
    external_id = f"valid-{uuid.uuid4().hex}"
    raw = encode({"id": external_id, **body}, amount, ascii_only)
    answer = daemon.post("/hooks/shop/", raw, {SIGNATURE: signed("shop", raw)})
    tally.saw(answer.status)
    assert answer.status == 202, (body, answer.body)
    tally.delivered += 1
    sent[external_id] = (body, amount)
    if resend:
        again = daemon.post("/hooks/shop", raw, {SIGNATURE: signed("shop", raw)})  # no trailing slash
        tally.saw(again.status)
        assert again.status == 200 and again.json() == {"stored": 0, "duplicate": True}


def test_signed_well_formed_payments_alert_exactly_once(daemon: DaemonProcess, reliability: Any) -> None:
    books = Books(daemon, ("shop",))
    sent: dict[str, Any] = {}
    tally = Tally()
    try:
        _check_valid_payments(daemon, tally, sent)
        settle(daemon, SHOP_SECRET)
        counts = {key: n for key, n in alert_counts(daemon, "shop").items() if key.startswith("valid-")}
        tally.duplicated = sum(n - 1 for n in counts.values() if n > 1)
    finally:
        tally.record(reliability, "fuzz: signed valid webhook payments", "random amounts/text/times, resends")
    assert counts == dict.fromkeys(sent, 1)
    assert books.new_events("shop") == len(sent) + 1  # and the sentinel
    alerts = {a.payment.external_id: a.payment for a in recorded(daemon) if a.payment.external_id in sent}
    for external_id, (body, amount) in sent.items():
        _expect_alert(body, amount, alerts[external_id])
    books.assert_healthy()


# -- github: mutated real sponsorship payloads, validly signed ---------------------------------
def _corpus_sponsorships() -> list[dict[str, Any]]:
    folder = corpus_path("github")
    return [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("sponsorship.*.json"))
    ]


def test_signed_mutated_sponsorships_alert_once_and_redeliveries_do_not(
    daemon: DaemonProcess, reliability: Any
) -> None:
    originals = _corpus_sponsorships()
    books = Books(daemon, ("gh",))
    sent: dict[str, dict[str, Any]] = {}
    tally = Tally()

    @fuzz_settings(50)
    @given(payload=sponsorships(originals), form=st.booleans(), redeliver=st.booleans())
    def check(payload: dict[str, Any], form: bool, redeliver: bool) -> None:
        delivery = str(uuid.uuid4())
        text = json.dumps(payload, ensure_ascii=False)
        body = urlencode({"payload": text}).encode() if form else text.encode()
        mime = "application/x-www-form-urlencoded" if form else "application/json"
        headers = [
            (GH_SIGNATURE, signed("gh", body)),
            ("Content-Type", mime),
            ("X-GitHub-Event", "sponsorship"),
            ("X-GitHub-Delivery", delivery),
        ]
        answer = send_raw(daemon, "POST", "/hooks/gh/", body, headers)
        tally.saw(answer.status)
        assert answer.status == 200 and answer.json()["status"] == "stored", answer
        tally.delivered += 1
        sent[delivery] = payload
        if redeliver:
            again = send_raw(daemon, "POST", "/hooks/gh/", body, headers)
            tally.saw(again.status)
            assert again.status == 200 and again.json()["status"] == "duplicate", again

    try:
        check()
        settle(daemon, SHOP_SECRET)
        daemon.wait_for(lambda: set(sent) <= set(alert_counts(daemon, "gh")))
        counts = {key: n for key, n in alert_counts(daemon, "gh").items() if key in sent}
        tally.duplicated = sum(n - 1 for n in counts.values() if n > 1)
    finally:
        tally.record(
            reliability, "fuzz: signed mutated github sponsorships", "corpus payloads, json+form, redelivered"
        )
    assert counts == dict.fromkeys(sent, 1)
    assert books.new_events("gh") == len(sent)
    for alert in recorded(daemon):
        payload = sent.get(alert.payment.external_id)
        if payload is None:
            continue
        tier = payload["sponsorship"].get("tier") or {}
        if payload["action"] == "created" and "monthly_price_in_cents" in tier:
            cents = tier["monthly_price_in_cents"]  # a $0 tier moves no money: a notice
            assert alert.payment.amount == (Decimal(cents) / 100 if cents else None)
        else:
            assert alert.payment.amount is None or isinstance(alert.payment.amount, Decimal)
    books.assert_healthy()


# -- explicit cases the fuzzing found, and what a signed-but-invalid body must get -------------
UNUSABLE = {
    "details not an object": {"id": "u-details", "amount": "5", "currency": "INR", "details": [1, 2]},
    "amount NaN": {"id": "u-nan", "amount": "NaN", "currency": "INR"},
    "amount sNaN": {"id": "u-snan", "amount": "sNaN", "currency": "INR"},
    "amount Infinity": {"id": "u-inf", "amount": "Infinity", "currency": "INR"},
    "amount -Infinity": {"id": "u-ninf", "amount": "-Infinity", "currency": "INR"},
    "amount empty": {"id": "u-empty", "amount": "", "currency": "INR"},
    "amount a list": {"id": "u-list", "amount": [5], "currency": "INR"},
    "id empty": {"id": "", "amount": "5", "currency": "INR"},
    "currency lower-case garbage": {"id": "u-cur", "amount": "5", "currency": "in r"},
    "direction unknown": {"id": "u-dir", "amount": "5", "currency": "INR", "direction": "sideways"},
    "naive occurred_at": {
        "id": "u-naive",
        "amount": "5",
        "currency": "INR",
        "occurred_at": "2026-01-01T10:00:00",
    },
}
RAW_UNUSABLE = {
    "nesting deeper than the parser allows": b'{"id": "u-deep", "amount": "5", "currency": "INR", "x": '
    + b"[" * 10_000
    + b"]" * 10_000
    + b"}",
}


@pytest.mark.parametrize("source", ["shop", "floor"])
@pytest.mark.parametrize("case", [*UNUSABLE, *RAW_UNUSABLE])
def test_signed_but_unusable_payment_gets_400(daemon: DaemonProcess, case: str, source: str) -> None:
    body = RAW_UNUSABLE[case] if case in RAW_UNUSABLE else json.dumps(UNUSABLE[case]).encode()
    books = Books(daemon, (source,))
    answer = daemon.post(f"/hooks/{source}/", body, {SIGNATURE: signed(source, body)})
    assert answer.status == 400, (case, answer.status, answer.body[:300])
    assert books.new_events(source) == 0


@pytest.mark.parametrize("cents", [10**40, "1e100"])
def test_signed_sponsorship_with_an_absurd_price_is_refused_or_has_no_amount(
    daemon: DaemonProcess, cents: Any
) -> None:
    payload = json.loads((corpus_path("github") / "sponsorship.created.payload.json").read_text())
    text = json.dumps(payload).replace('"monthly_price_in_cents": 500', f'"monthly_price_in_cents": {cents}')
    assert str(cents) in text
    body = text.encode()
    books = Books(daemon, ("gh",))
    delivery = f"absurd-{uuid.uuid4()}"
    headers = [
        (GH_SIGNATURE, signed("gh", body)),
        ("Content-Type", "application/json"),
        ("X-GitHub-Event", "sponsorship"),
        ("X-GitHub-Delivery", delivery),
    ]
    answer = send_raw(daemon, "POST", "/hooks/gh/", body, headers)
    assert answer.status in (200, 400), answer
    if answer.status == 400:
        assert books.new_events("gh") == 0
        return
    settle(daemon, SHOP_SECRET)
    (alert,) = [a for a in recorded(daemon) if a.payment.external_id == delivery]
    assert alert.payment.amount is None or alert.payment.amount.is_finite()


def test_a_number_too_large_for_a_float_never_becomes_infinity(daemon: DaemonProcess) -> None:
    """``1e400`` is refused, or kept exactly; read through a float it would be Infinity."""
    external_id = f"huge-{uuid.uuid4().hex}"
    body = f'{{"id": "{external_id}", "amount": 1e400, "currency": "INR"}}'.encode()
    answer = daemon.post("/hooks/shop/", body, {SIGNATURE: signed("shop", body)})
    assert answer.status in (202, 400), answer
    if answer.status == 202:
        settle(daemon, SHOP_SECRET)
        (alert,) = [a for a in recorded(daemon) if a.payment.external_id == external_id]
        assert alert.payment.amount == Decimal("1e400")


def test_a_long_decimal_number_keeps_every_digit(daemon: DaemonProcess) -> None:
    """A JSON number is money: it must not pass through a float (18 decimals is common for crypto)."""
    external_id = f"digits-{uuid.uuid4().hex}"
    body = f'{{"id": "{external_id}", "amount": 0.123456789012345678, "currency": "ETH"}}'.encode()
    answer = daemon.post("/hooks/shop/", body, {SIGNATURE: signed("shop", body)})
    assert answer.status == 202
    settle(daemon, SHOP_SECRET)
    (alert,) = [a for a in recorded(daemon) if a.payment.external_id == external_id]
    assert alert.payment.amount == Decimal("0.123456789012345678")


# -- methods, paths, duplicated headers ------------------------------------------------------
_METHODS = st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "post"])
_PATHS = st.sampled_from(
    [
        "/hooks/shop/",
        "/hooks/shop",
        "/hooks/gh/",
        "/hooks/gh",
        "/hooks/shop/x",
        "/hooks/SHOP/",
        "/hooks//",
        "/hooks/shop/%00",
        "/hooks/../health",
    ]
)


def test_other_methods_and_paths_are_refused(daemon: DaemonProcess, reliability: Any) -> None:
    books = Books(daemon, ("shop", "gh"))
    tally = Tally()

    @fuzz_settings(60)
    @given(method=_METHODS, path=_PATHS, body=st.binary(max_size=64))
    def check(method: str, path: str, body: bytes) -> None:
        headers = [(SIGNATURE, signed("shop", body)), (GH_SIGNATURE, signed("gh", body))]
        answer = send_raw(daemon, method, path, body, headers)
        tally.saw(answer.status)
        assert 400 <= answer.status < 500, (method, path, answer)

    try:
        check()
    finally:
        tally.record(reliability, "fuzz: methods and paths", "non-POST methods, odd paths")
    assert books.new_events("shop") == books.new_events("gh") == 0
    books.assert_healthy()


def test_duplicated_signature_headers_never_let_a_forgery_in(daemon: DaemonProcess, reliability: Any) -> None:
    books = Books(daemon, ("shop", "gh"))
    tally = Tally()
    accepted: list[str] = []

    @fuzz_settings(40)
    @given(valid=st.lists(st.booleans(), min_size=2, max_size=4), source=st.sampled_from(["shop", "gh"]))
    def check(valid: list[bool], source: str) -> None:
        external_id = f"dup-{uuid.uuid4().hex}"
        payload: dict[str, Any] = {"id": external_id, "amount": "3.00", "currency": "INR"}
        if source == "gh":
            payload = json.loads((corpus_path("github") / "sponsorship.created.payload.json").read_text())
        body = json.dumps(payload).encode()
        header = SIGNATURE if source == "shop" else GH_SIGNATURE
        good = signed(source, body)
        headers = [(header, good if ok else sign_sha256("attacker", body)) for ok in valid]
        headers += [("Content-Type", "application/json"), ("X-GitHub-Event", "sponsorship")]
        headers += [("X-GitHub-Delivery", external_id)]
        answer = send_raw(daemon, "POST", f"/hooks/{source}/", body, headers)
        tally.saw(answer.status)
        if not any(valid):
            assert answer.status == 401
        else:
            assert answer.status in (200, 202, 401), answer
        if answer.status in (200, 202):
            tally.delivered += 1
            accepted.append(external_id)

    try:
        check()
    finally:
        tally.record(reliability, "fuzz: repeated signature headers", "valid and forged in any order")
    stored = {*stored_external_ids(daemon, "shop"), *stored_external_ids(daemon, "gh")}
    assert {key for key in stored if key.startswith("dup-")} == set(accepted)
    books.assert_healthy()


def test_the_daemon_survives_the_module(daemon: DaemonProcess) -> None:
    """Last: nothing is stuck pending or failed, and the store matches what was alerted."""
    books = Books(daemon, tuple(SOURCES))
    settle(daemon, SHOP_SECRET)
    answer = daemon.cli("deliveries", "--json")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout) == []
    for source in SOURCES:
        assert sorted(stored_external_ids(daemon, source)) == sorted(alert_counts(daemon, source))
    books.assert_healthy()
