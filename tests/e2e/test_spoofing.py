"""Spoofing against real daemons: forged signatures, replays, forged bank mail, strangers' bot commands.

Nothing forged may become a payment alert; a replay alerts once; a stranger learns nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from payalert_testing import DaemonFactory, DaemonProcess, DovecotFactory, TelegramAPI, corpus_path
from payalert_testing.imap import imap_source
from payalert_testing.telegram_api import TOKEN, FloodLimits

from payalert_core import sign_sha256
from payalert_core.notifiers.telegram_commands import REFUSAL

from .hostile import Tally, alert_counts, recorded, send_raw, settle, stored_external_ids

SHOP_SECRET = "spoof-shop-secret-41c7"
GH_SECRET = "spoof-github-secret-93ab"
SOURCES = {
    "shop": {"type": "webhook", "secret": SHOP_SECRET},
    "gh": {"type": "github", "secret": GH_SECRET},
}
REPLAYS = 12


def _sponsorship(name: str = "sponsorship.created.payload.json") -> bytes:
    return (corpus_path("github") / name).read_bytes()


def _gh_headers(
    body: bytes, delivery: str, signature: str, mime: str = "application/json"
) -> list[tuple[str, str]]:
    return [
        ("X-Hub-Signature-256", signature),
        ("Content-Type", mime),
        ("X-GitHub-Event", "sponsorship"),
        ("X-GitHub-Delivery", delivery),
    ]


@pytest.fixture
def hooks(payalert_daemon: DaemonFactory) -> DaemonProcess:
    """A daemon with a webhook and a github source."""
    return payalert_daemon.start(sources=SOURCES)


def test_forged_signatures_never_alert(hooks: DaemonProcess, reliability: Any) -> None:
    daemon = hooks
    genuine = json.dumps({"id": "forged-1", "amount": "10.00", "currency": "INR"}).encode()
    raised = genuine.replace(b"10.00", b"99999.00")
    gh = _sponsorship()
    gh_raised = gh.replace(b'"monthly_price_in_cents": 500', b'"monthly_price_in_cents": 5000000')
    assert gh_raised != gh
    attempts = [
        # The webhook: another secret, a signature lifted from another body, a tampered amount.
        ("shop", genuine, [("X-Payalert-Signature", sign_sha256("guessed-secret", genuine))]),
        ("shop", raised, [("X-Payalert-Signature", sign_sha256(SHOP_SECRET, genuine))]),
        ("shop", genuine, [("X-Payalert-Signature", sign_sha256(GH_SECRET, genuine))]),
        ("shop", genuine, [("X-Hub-Signature-256", sign_sha256(SHOP_SECRET, genuine))]),  # wrong header
        ("shop", genuine, [("X-Payalert-Signature", "sha1=" + "0" * 40)]),
        ("shop", genuine, []),
        # GitHub: the same, plus GitHub's older SHA-1 header alone.
        ("gh", gh, _gh_headers(gh, "forged-gh-1", sign_sha256("guessed-secret", gh))),
        ("gh", gh_raised, _gh_headers(gh_raised, "forged-gh-2", sign_sha256(GH_SECRET, gh))),
        ("gh", gh, _gh_headers(gh, "forged-gh-3", sign_sha256(SHOP_SECRET, gh))),
        ("gh", gh, [*_gh_headers(gh, "forged-gh-4", "")[1:], ("X-Hub-Signature", "sha1=" + "0" * 40)]),
        ("gh", gh, _gh_headers(gh, "forged-gh-5", sign_sha256(GH_SECRET, gh).upper())),
    ]
    tally = Tally()
    try:
        for source, body, headers in attempts:
            answer = send_raw(daemon, "POST", f"/hooks/{source}/", body, headers)
            tally.saw(answer.status)
            assert answer.status == 401, (source, headers, answer)
        settle(daemon, SHOP_SECRET)
        forged_alerts = [a for a in recorded(daemon) if not a.payment.external_id.startswith("sentinel-")]
        tally.delivered = len(forged_alerts)
    finally:
        tally.record(
            reliability, "spoof: forged webhook/github signatures", "wrong secret, lifted or tampered"
        )
    assert forged_alerts == []
    assert stored_external_ids(daemon, "gh") == []
    assert "Traceback" not in daemon.output()


def test_replayed_deliveries_alert_once(hooks: DaemonProcess, reliability: Any) -> None:
    daemon = hooks
    shop_body = json.dumps({"id": "replayed-payment", "amount": "42.00", "currency": "INR"}).encode()
    shop_headers = [("X-Payalert-Signature", sign_sha256(SHOP_SECRET, shop_body))]
    gh = _sponsorship()
    form = urlencode({"payload": gh.decode()}).encode()
    delivery = str(uuid.uuid4())
    gh_json = _gh_headers(gh, delivery, sign_sha256(GH_SECRET, gh))
    gh_form = _gh_headers(form, delivery, sign_sha256(GH_SECRET, form), "application/x-www-form-urlencoded")
    sends = [("shop", shop_body, shop_headers)] * REPLAYS
    sends += [("gh", gh, gh_json)] * (REPLAYS // 2) + [("gh", form, gh_form)] * (REPLAYS // 2)
    tally = Tally()
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:  # replays race each other, as retries do
            answers = list(pool.map(lambda s: send_raw(daemon, "POST", f"/hooks/{s[0]}/", s[1], s[2]), sends))
        for answer in answers:
            tally.saw(answer.status)
        shop_answers = sorted(a.status for a in answers[:REPLAYS])
        gh_answers = [a.json()["status"] for a in answers[REPLAYS:]]
        settle(daemon, SHOP_SECRET)
        counts = {
            **alert_counts(daemon, "gh"),
            "replayed-payment": alert_counts(daemon, "shop")["replayed-payment"],
        }
        tally.delivered = sum(counts.values())
        tally.duplicated = sum(n - 1 for n in counts.values())
    finally:
        tally.record(reliability, "spoof: replayed deliveries", f"{REPLAYS} concurrent replays per source")
    assert shop_answers == [200] * (REPLAYS - 1) + [202]
    assert sorted(gh_answers) == ["duplicate"] * (REPLAYS - 1) + ["stored"]
    assert counts == {"replayed-payment": 1, delivery: 1}
    assert stored_external_ids(daemon, "gh") == [delivery]


# -- bank mail that only claims to be the bank ------------------------------------------------
def _with_header(raw: bytes, name: bytes, value: bytes) -> bytes:
    """``raw`` with the (first) header ``name`` set to ``value``."""
    pattern = re.compile(rb"^" + re.escape(name) + rb":[^\n]*\n(?:[ \t][^\n]*\n)*", re.I | re.M)
    assert pattern.search(raw), name
    end = b"\r\n" if b"\r\n" in raw else b"\n"
    return pattern.sub(lambda _: name + b": " + value + end, raw, count=1)


def _renamed_headers(raw: bytes, name: bytes, new: bytes) -> bytes:
    return re.sub(rb"^" + re.escape(name) + rb":", new + b":", raw, flags=re.I | re.M)


def bank_spoofs(genuine: bytes) -> dict[str, bytes]:
    """The real HDFC credit alert, forged in the ways a phisher can."""
    provider_fail = (
        b"Authentication-Results: mx.google.com; dkim=none; spf=fail smtp.mailfrom=evil.example; "
        b"dmarc=fail (p=REJECT) header.from=hdfcbank.bank.in\r\n"
    )
    forged_arc = b"ARC-Authentication-Results: i=9; mx.google.com; dkim=pass header.i=@hdfcbank.bank.in\r\n"
    spoofs = {
        "dkim and dmarc fail": genuine.replace(b"dkim=pass", b"dkim=fail").replace(
            b"dmarc=pass", b"dmarc=fail"
        ),
        "lookalike domain": genuine.replace(
            b"<alerts@hdfcbank.bank.in>", b"<alerts@hdfcbank-alerts.example>"
        ),
        "bank address as display name": _with_header(
            genuine, b"From", b'"alerts@hdfcbank.bank.in" <alerts@evil.example>'
        ),
        "two From addresses": _with_header(
            genuine, b"From", b"HDFC Bank InstaAlerts <alerts@hdfcbank.bank.in>, attacker@evil.example"
        ),
        "forged pass below the provider's fail": provider_fail + genuine,
        "forged ARC pass below the provider's fail": provider_fail + forged_arc + genuine,
        "no authentication results": _renamed_headers(
            _renamed_headers(genuine, b"Authentication-Results", b"X-Was-Authentication-Results"),
            b"ARC-Authentication-Results",
            b"X-Was-ARC-Results",
        ),
        "results from another provider": genuine.replace(b"mx.google.com;", b"mx.attacker.example;"),
    }
    return {
        name: _with_header(mail, b"Message-ID", f"<spoof-{index}@evil.example>".encode())
        for index, (name, mail) in enumerate(spoofs.items())
    }


def _imap_health(daemon: DaemonProcess) -> dict[str, Any]:
    return daemon.health().json()["sources"]["bank"]


def test_forged_bank_mail_becomes_a_suspicious_notice_never_a_payment(
    dovecot_server: DovecotFactory, payalert_daemon: DaemonFactory, reliability: Any
) -> None:
    eml = corpus_path("bank", "eml")
    genuine = (eml / "hdfc_upi_credit_1.eml").read_bytes()
    last = (eml / "hdfc_upi_debit_1.eml").read_bytes()
    spoofs = bank_spoofs(genuine)
    server = dovecot_server()
    daemon = payalert_daemon.start(
        sources={"bank": imap_source(server, authserv_id="mx.google.com", reconnect_max="3s")}
    )
    daemon.wait_for(lambda: _imap_health(daemon).get("connection") in ("idle", "polling"), timeout=20)
    tally = Tally()
    try:
        for mail in spoofs.values():
            server.append(mail)
            tally.tried += 1
        server.append(genuine)  # the real alert, after its forgeries: still alerts
        server.append(genuine)  # the same mail again: not twice
        server.append(last)
        daemon.wait_for(
            lambda: any(a.payment.reference == "900000000001" for a in recorded(daemon)), timeout=30
        )
        payments = [a.payment for a in recorded(daemon) if a.payment.amount is not None]
        notices = [a.payment for a in recorded(daemon) if a.payment.amount is None]
        tally.delivered = sum(1 for p in payments if str(p.raw.get("message_id")).startswith("<spoof-"))
        tally.duplicated = max(0, sum(1 for p in payments if p.reference == "900000000002") - 1)
        tally.lost = daemon.output().count("could not be read")
    finally:
        tally.record(
            reliability, "spoof: forged bank mail over IMAP", "failing DKIM/DMARC, lookalike, forged headers"
        )
    assert [(p.reference, p.direction.value) for p in payments] == [
        ("900000000002", "in"),
        ("900000000001", "out"),
    ]
    assert [n.kind for n in notices] == ["bank.suspicious_email"] * len(spoofs)
    assert sorted(n.external_id for n in notices) == sorted(
        f"suspicious_email:<spoof-{i}@evil.example>" for i in range(len(spoofs))
    )
    for notice in notices:
        assert notice.currency is None and notice.direction.value == "none"
        assert notice.title.startswith("Suspicious e-mail claiming to be from")
    assert "Traceback" not in daemon.output()


# -- a stranger talking to the bot ---------------------------------------------------------------
def _feed_line(external_id: str, title: str) -> str:
    return json.dumps({"id": external_id, "amount": "7777.00", "currency": "INR", "title": title}) + "\n"


def test_stranger_bot_commands_are_refused_and_learn_nothing(
    payalert_daemon: DaemonFactory, telegram_api: TelegramAPI, tmp_path: Path, reliability: Any
) -> None:
    telegram_api.limits = FloodLimits(chat_interval=0.05)
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        _feed_line("p1", "Secret salary Acme") + _feed_line("p2", "Secret bonus Acme"), encoding="utf-8"
    )
    telegram = {
        "type": "telegram",
        "token": TOKEN,
        "destinations": [111],
        "base_url": telegram_api.url,
        "poll_timeout": "1s",
        "rate_limits": {"chat_interval": "0.05s"},
    }
    daemon = payalert_daemon.start(
        sources={"salary": {"type": "feed-stream", "path": str(feed)}}, notifiers={"tg": telegram}
    )
    telegram_api.wait_for_messages(2, 111, timeout=20)
    telegram_api.wait_for(lambda: telegram_api.commands_menu, timeout=20)
    strangers = [
        ("/status", 999, None),
        ("/last 5", 999, None),
        ("/last 5", -100999, 998),
        ("/status@payalert_test_bot", -100999, 998),
        ("/last 50", 555, 111),  # a user id that equals the allowed chat id, in another chat
        ("/help", 777, None),
    ]
    tally = Tally()
    try:
        for text, chat, user in strangers:
            telegram_api.queue_message(text, chat_id=chat, user_id=user)
            tally.tried += 1
        # The owner's command is answered after the strangers' were handled (one poller, in order).
        before = len(telegram_api.sent(111))
        telegram_api.queue_message("/last 5", chat_id=111)
        owner = telegram_api.wait_for_messages(before + 1, 111, timeout=20)[-1].text
        daemon.wait_for(lambda: daemon.output().count("refused") >= len(strangers))
        leaked = [m.text for m in telegram_api.sent() if m.chat_id != 111 and m.text != REFUSAL]
        tally.delivered = len(leaked)
    finally:
        tally.record(
            reliability, "spoof: stranger bot commands", "/status, /last from unknown chats and users"
        )
    assert "Secret salary Acme" in owner and "Secret bonus Acme" in owner  # the owner is answered
    assert leaked == []
    for chat in (999, -100999, 555, 777):
        assert [m.text for m in telegram_api.sent(chat)] == [REFUSAL]  # one refusal a minute per chat
    assert [a.payment.external_id for a in recorded(daemon)] == ["p1", "p2"]
    assert "Traceback" not in daemon.output()
