"""Poison payments against a real daemon: none is let in, and one already stored holds no lane.

Refused at the door: a signed webhook whose amount or time no formatting can handle, a currency
with a trailing newline, a title that is not valid Unicode, a missing field: each gets a 400 naming
the field, and nothing is stored. Already stored (a row written by an older payalert): its
delivery fails at once, a plain fallback alert says a payment arrived, `payalert deliveries` and
``/health`` list it as failed, and every payment after it is delivered, across a restart too.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from payalert_testing import DaemonFactory, DaemonProcess, DovecotFactory, TelegramAPI, corpus_path
from payalert_testing.imap import imap_source
from payalert_testing.telegram_api import TOKEN, FloodLimits

from payalert_core import FALLBACK_KIND

from ..webhook_client import signed_post, webhook_source
from .hostile import Tally, alert_counts, recorded, stored_external_ids
from .mixed_sources import wait_outbox_empty
from .tallying import tally
from .test_spoofing import bank_spoofs

SOURCE = "shop"
#: Bodies that must be refused, with the field the answer must name.
POISON = {
    "amount 1e1000000": ({"amount": "1e1000000"}, "amount"),
    "amount 1e999999 (329 Telegram messages)": ({"amount": "1e999999"}, "amount"),
    "amount 10^15": ({"amount": "1000000000000000"}, "amount"),
    "amount 0": ({"amount": "0"}, "amount"),
    "amount with 19 places": ({"amount": "0.0000000000000000001"}, "amount"),
    "year 9999 at -14:00": ({"occurred_at": "9999-12-31T23:59:59-14:00"}, "occurred_at"),
    "year 1 at +14:00": ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
    "before 1970": ({"occurred_at": "1969-12-31T23:59:59+00:00"}, "occurred_at"),
    "next year": ({"occurred_at": f"{datetime.now(UTC).year + 1}-06-01T00:00:00+00:00"}, "occurred_at"),
    "currency INR + newline": ({"currency": "INR\n"}, "currency"),
    "title a lone surrogate": ({"title": "\ud83d"}, "title"),
    "amount missing": ({"amount": None}, "amount"),
}


def body(external_id: str, **changes: Any) -> dict[str, Any]:
    payment: dict[str, Any] = {"id": external_id, "amount": "150.00", "currency": "INR", **changes}
    return {key: value for key, value in payment.items() if value is not None}


def store_rows(daemon: DaemonProcess, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
    """Run one statement on the daemon's database (while it is stopped) and return its rows."""
    connection = sqlite3.connect(daemon.data_dir / "payalert.sqlite3", isolation_level=None, timeout=10)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


@pytest.fixture
def daemon(payalert_daemon: DaemonFactory) -> DaemonProcess:
    """A webhook source alerting the recorder and the console, and one that filters small amounts."""
    return payalert_daemon.start(
        sources={SOURCE: webhook_source(), "floor": webhook_source(min_amount={"INR": 100})},
        notifiers={"console": {"type": "console", "timezone": "UTC"}},
    )


def test_poison_webhooks_get_400_naming_the_field_and_store_nothing(
    daemon: DaemonProcess, reliability: Any
) -> None:
    counts = Tally()
    answers: dict[str, Any] = {}
    try:
        for case, (changes, field) in POISON.items():
            answer = signed_post(daemon, SOURCE, body(f"poison-{uuid.uuid4().hex}", **changes))
            counts.saw(answer.status)
            answers[case] = (answer.status, answer.json(), field)
        honest = signed_post(daemon, SOURCE, body("honest-after-poison"))
        counts.saw(honest.status)
        counts.delivered += honest.status == 202
    finally:
        counts.record(reliability, "poison webhooks refused at the door", "amount/time/currency/text/missing")
    for case, (status, answer, field) in answers.items():
        assert status == 400 and answer["field"] == field, (case, answer)
        assert answer["error"].startswith(f"bad payment: {field}: "), (case, answer)
    assert answers["amount missing"][1]["error"] == "bad payment: amount: missing"
    assert not [key for key in stored_external_ids(daemon, SOURCE) if key.startswith("poison-")]
    daemon.wait_for(lambda: alert_counts(daemon, SOURCE).get("honest-after-poison"))
    assert daemon.health().status == 200


def test_a_filtered_payment_is_answered_filtered_not_duplicate(daemon: DaemonProcess) -> None:
    small = signed_post(daemon, "floor", body("small", amount="99.99"))
    assert (small.status, small.json()) == (200, {"stored": 0, "filtered": True})
    big = signed_post(daemon, "floor", body("big"))
    again = signed_post(daemon, "floor", body("big"))
    assert (big.status, again.status, again.json()) == (202, 200, {"stored": 0, "duplicate": True})


def _old_row(external_id: str, **changes: Any) -> str:
    """A payment as an older payalert stored it, before the bounds."""
    stored = {
        "source": SOURCE,
        "kind": "webhook.payment",
        "external_id": external_id,
        "amount": "150.00",
        "currency": "INR",
        "direction": "in",
        "occurred_at": "2026-01-01T10:00:00+00:00",
        "title": "Payment received",
        "summary": "",
        "counterparty": None,
        "reference": None,
        "link": None,
        "details": {},
        "raw": None,
        **changes,
    }
    return json.dumps(stored)


def test_a_stored_payment_that_cannot_be_shown_is_dead_lettered_and_later_ones_flow(
    daemon: DaemonProcess, reliability: Any
) -> None:
    honest = [f"before-{index}" for index in range(5)]
    for key in honest:
        assert signed_post(daemon, SOURCE, body(key)).status == 202
    wait_outbox_empty(daemon)
    assert daemon.stop() == 0

    # What an older payalert wrote for two webhooks it accepted: the amount and the time that used
    # to hold every lane (decimal.Overflow, OverflowError: date value out of range).
    poison = {
        "old-huge-amount": _old_row("old-huge-amount", amount="1E+1000000"),
        "old-year-9999": _old_row("old-year-9999", occurred_at="9999-12-31T23:59:59-14:00"),
    }
    for key, payment in poison.items():
        store_rows(
            daemon,
            "INSERT INTO events (source, external_id, kind, payment, created_at) VALUES (?, ?, ?, ?, ?)",
            SOURCE,
            key,
            "webhook.payment",
            payment,
            "2026-01-01T10:00:00+00:00",
        )
        for notifier in ("recorder", "console"):
            store_rows(
                daemon,
                "INSERT INTO deliveries (event_id, notifier, target, status, next_attempt_at, updated_at)"
                " SELECT id, ?, 'default', 'pending', 0, '2026-01-01' FROM events WHERE external_id = ?",
                notifier,
                key,
            )
    daemon.start()
    after = [f"after-{index}" for index in range(10)]
    for key in after:
        assert signed_post(daemon, SOURCE, body(key)).status == 202
    wait_outbox_empty(daemon, timeout=30)

    daemon.restart()
    across = [f"across-restart-{index}" for index in range(5)]
    for key in across:
        assert signed_post(daemon, SOURCE, body(key)).status == 202
    wait_outbox_empty(daemon, timeout=30)

    alerts = recorded(daemon)
    shown = [a.payment.external_id for a in alerts if a.payment.kind != FALLBACK_KIND]
    fallbacks = [a.payment for a in alerts if a.payment.kind == FALLBACK_KIND]
    counts = tally([*honest, *after, *across, *poison], shown + [p.external_id for p in fallbacks])
    reliability.record_tally(
        "poison: stored rows that cannot be shown",
        counts,
        note="2 old rows (1E+1000000, year 9999) on 2 lanes; fallback alerts, failed, lanes flow; restart",
    )
    assert not counts.lost and not counts.duplicated and not counts.unexpected
    assert shown == [*honest, "old-year-9999", *after, *across]  # the recorder can show year 9999
    assert [(p.external_id, p.details["Amount as stored"]) for p in fallbacks] == [
        ("old-huge-amount", "1E+1000000 INR")
    ]

    listed = json.loads(daemon.cli("deliveries", "--status", "failed", "--json").stdout)
    failed = sorted((row["notifier"], row["source"], row["status"]) for row in listed)
    assert len(failed) == 3 and {row["notifier"] for row in listed} == {"recorder", "console"}
    assert all(
        "cannot be shown" in row["last_error"] and "plain alert" in row["last_error"] for row in listed
    )
    health = daemon.health().json()
    assert health["deliveries"] == {"pending": 0, "failed": 3}
    console = daemon.output()
    assert console.count("arrived but cannot be shown") == 2  # the console fell back for both rows
    assert "Traceback" not in console


def test_one_bad_payment_never_fails_the_honest_ones_posted_with_it(
    daemon: DaemonProcess, reliability: Any
) -> None:
    """A client re-posts a title holding a lone surrogate while others post honest payments."""
    stop = threading.Event()
    bad_answers: list[int] = []

    def hammer() -> None:
        while not stop.is_set():
            bad_answers.append(signed_post(daemon, SOURCE, body("bad-title", title="\ud83d")).status)
            time.sleep(0.005)

    keys = [f"honest-{index}" for index in range(300)]
    with ThreadPoolExecutor(max_workers=9) as pool:
        hammering = pool.submit(hammer)
        statuses = list(pool.map(lambda key: signed_post(daemon, SOURCE, body(key)).status, keys))
        stop.set()
        hammering.result()
    wait_outbox_empty(daemon, timeout=60)
    counts = tally(keys, [key for key in alert_counts(daemon, SOURCE) if key.startswith("honest-")])
    reliability.record_tally(
        "bad title among honest posts (group commit)",
        counts,
        note=f"{len(bad_answers)} bad posts all 400; honest answers {sorted(set(statuses))}",
    )
    assert set(bad_answers) == {400} and statuses == [202] * len(keys)
    assert not counts.lost and "bad-title" not in stored_external_ids(daemon, SOURCE)


def test_text_cannot_forge_lines_or_escape_the_terminal(daemon: DaemonProcess) -> None:
    forged = "Asha\nSource: hdfc-bank\n\n🟢 +99,999.00 INR"
    payment = body(
        "forger",
        counterparty=forged,
        title="\x1b[2J\x1b]0;owned\x07\u202eevil",
        summary="line one\r\nline two\u2028line three",
        details={"Note\n": "\x1b[31mred\u2066"},
    )
    assert signed_post(daemon, SOURCE, payment).status == 202
    daemon.wait_for(lambda: alert_counts(daemon, SOURCE).get("forger"))
    (alert,) = [a.payment for a in recorded(daemon) if a.payment.external_id == "forger"]
    assert alert.counterparty == "Asha Source: hdfc-bank 🟢 +99,999.00 INR"
    assert alert.title == "[2J]0;ownedevil" and alert.details == {"Note ": "[31mred"}
    wait_outbox_empty(daemon)
    printed = daemon.output()
    assert "\x1b" not in printed and "\u202e" not in printed and "\u2066" not in printed
    assert "\nSource: hdfc-bank" not in printed and "\n  Source: hdfc-bank" not in printed
    assert "  From: Asha Source: hdfc-bank 🟢 +99,999.00 INR" in printed


def test_a_forged_mail_dated_year_9999_becomes_a_notice_and_jams_no_lane(
    dovecot_server: DovecotFactory,
    payalert_daemon: DaemonFactory,
    telegram_api: TelegramAPI,
    reliability: Any,
) -> None:
    """No secret needed: anyone can mail the bank's look-alike with a Date no time zone can convert."""
    telegram_api.limits = FloodLimits(chat_interval=0.05)
    genuine = (corpus_path("bank", "eml") / "hdfc_upi_credit_1.eml").read_bytes()
    forged = re.sub(
        rb"^Date:[^\n]*\n",
        b"Date: Fri, 31 Dec 9999 23:59:59 -1400\r\n",
        bank_spoofs(genuine)["no authentication results"],
        count=1,
        flags=re.M,
    )
    server = dovecot_server()
    telegram = {
        "type": "telegram",
        "token": TOKEN,
        "destinations": [111],
        "base_url": telegram_api.url,
        "timezone": "Pacific/Kiritimati",
        "commands": False,
        "rate_limits": {"chat_interval": "0.05s"},
    }
    daemon = payalert_daemon.start(
        sources={"bank": imap_source(server, authserv_id="mx.google.com"), SOURCE: webhook_source()},
        notifiers={"console": {"type": "console", "timezone": "UTC"}, "tg": telegram},
    )
    daemon.wait_for(
        lambda: daemon.health().json()["sources"]["bank"].get("connection") in ("idle", "polling")
    )
    server.append(forged)
    daemon.wait_for(lambda: any(a.payment.source == "bank" for a in recorded(daemon)), timeout=30)
    assert signed_post(daemon, SOURCE, body("after-the-forgery")).status == 202
    wait_outbox_empty(daemon, timeout=30)
    alerts = [a.payment for a in recorded(daemon)]
    counts = tally(
        ["bank", "after-the-forgery"], [p.external_id if p.source == SOURCE else p.source for p in alerts]
    )
    reliability.record_tally(
        "poison: forged mail dated 31 Dec 9999 -1400", counts, note="notice dated when read; 3 notifiers flow"
    )
    notice, payment = alerts
    assert notice.kind == "bank.suspicious_email" and "out of range" in notice.details["Note"]
    assert abs(notice.occurred_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert payment.external_id == "after-the-forgery"
    assert len(telegram_api.wait_for_messages(2, 111, timeout=20)) == 2
    assert daemon.health().json()["deliveries"] == {"pending": 0, "failed": 0}
    assert "Traceback" not in daemon.output()
