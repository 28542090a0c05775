"""Scenario 1: ``kill -9`` in the middle of a mixed burst (webhooks, bank mail over IMAP, Binance).

1,000 signed webhooks from four client threads, 200 HDFC UPI alert mails appended to a real
Dovecot mailbox and 150 Binance records (deposits, P2P orders, Pay transactions) flow at once;
the daemon is killed with SIGKILL while hundreds of alerts still wait for delivery, then started
again. Webhooks that got no answer are sent again, as GitHub would. Every payment must then be
alerted exactly once, except at most one alert that was sent but not yet recorded as sent when
the process died (one notifier, one lane): the test measures that count and reports it.
"""

from __future__ import annotations

import time

from payalert_testing import DaemonFactory, DovecotFactory
from payalert_testing.binance import BinanceTestServer, deposit_record, p2p_record, pay_record
from payalert_testing.imap import imap_source, upi_credit_mail

from ..webhook_client import webhook_source
from .mixed_sources import (
    FeedThread,
    MailAppender,
    Pacer,
    WebhookBurst,
    alert_keys,
    is_2xx,
    wait_delivered,
    wait_outbox_empty,
)
from .tallying import tally

WEBHOOKS = 1000
MAILS = 200
BINANCE = 150
#: The kill happens once this share of the webhooks was acknowledged (the feeds keep pace with it).
KILL_AT = 0.5
#: One recording notifier with one target: one lane, so at most one alert in the sent-not-recorded window.
LANES = 1


def _binance_items() -> list[tuple[str, str]]:
    """The Binance payments, feeds interleaved: (feed, id)."""
    items = []
    for number in range(BINANCE):
        feed = ("deposit", "deposit", "p2p", "pay")[number % 4]
        items.append((feed, f"{number:04d}"))
    return items


def _add_binance(server: BinanceTestServer, item: tuple[str, str]) -> None:
    feed, ident = item
    now = server.now_ms()
    if feed == "deposit":
        server.add_deposits(deposit_record(f"crash-{ident}", insert_time=now))
    elif feed == "p2p":
        server.add_p2p_orders(p2p_record(f"8{int(ident):019d}", create_time=now))
    else:
        server.add_pay_transactions(pay_record(f"P-crash-{ident}", transaction_time=now))


def _binance_id(item: tuple[str, str]) -> str:
    feed, ident = item
    if feed == "deposit":
        return f"deposit:crash-{ident}"
    if feed == "p2p":
        return f"p2p:8{int(ident):019d}"
    return f"pay:P-crash-{ident}"


def _wait_watching(daemon, source: str, timeout: float = 20) -> None:
    daemon.wait_for(
        lambda: daemon.health().json()["sources"][source].get("connection") in ("idle", "polling"),
        timeout=timeout,
    )


def test_kill_9_during_a_mixed_burst_alerts_every_payment_once(
    payalert_daemon: DaemonFactory, dovecot_server: DovecotFactory, reliability
) -> None:
    started = time.monotonic()
    mailbox = dovecot_server()
    binance = BinanceTestServer().start()
    try:
        daemon = payalert_daemon.start(
            sources={
                "shop": webhook_source(),
                "bank": imap_source(mailbox, authserv_id="mx.google.com", reconnect_max="2s"),
                "bn": binance.source_config(backfill="1h"),
            }
        )
        _wait_watching(daemon, "bank")
        webhook_keys = [f"w-{number:04d}" for number in range(WEBHOOKS)]
        mail_refs = [f"7{number:011d}" for number in range(MAILS)]
        binance_items = _binance_items()
        expected = (
            {("shop", key) for key in webhook_keys}
            | {("bank", f"ref:{ref}:credit") for ref in mail_refs}
            | {("bn", _binance_id(item)) for item in binance_items}
        )

        burst = WebhookBurst(daemon, "shop", webhook_keys)
        pacer = Pacer(burst.progress)
        appender = MailAppender(mailbox)
        mails = FeedThread(
            "mails", mail_refs, lambda ref: appender.append(upi_credit_mail(amount="1.00", ref=ref)), pacer
        )
        records = FeedThread("binance", binance_items, lambda item: _add_binance(binance, item), pacer)
        burst.start()
        mails.start()
        records.start()

        daemon.wait_for(lambda: burst.progress() >= KILL_AT, timeout=60, interval=0.01)
        pending_at_kill = daemon.health().json()["deliveries"]["pending"]
        alerted_at_kill = len(daemon.alerts())
        mails_at_kill, records_at_kill = mails.added, records.added
        daemon.kill()
        burst.stop.set()
        pacer.release()  # the mailbox and Binance do not stop when payalert dies
        burst.join()
        mails.join()
        records.join()
        appender.close()
        unanswered = burst.unacknowledged()

        restart_at = time.monotonic()
        daemon.start()
        resent = burst.resend(unanswered)
        wait_delivered(daemon, expected, timeout=90)
        wait_outbox_empty(daemon)
        polls = len(binance.requests)  # a few more polls after the last alert: late copies would show
        daemon.wait_for(lambda: len(binance.requests) >= polls + 6, timeout=20)
        result = tally(expected, alert_keys(daemon.alerts()))
    finally:
        binance.stop()
    elapsed = time.monotonic() - started
    stored_unanswered = resent.get(200, 0)  # stored before the kill, answer lost: 200 "duplicate"
    reliability.record_tally(
        "1 kill -9 during mixed burst",
        result,
        note=(
            f"{WEBHOOKS} webhooks + {MAILS} mails + {BINANCE} binance; at kill: {pending_at_kill} pending, "
            f"{alerted_at_kill} alerted, {mails_at_kill} mails and {records_at_kill} records in; "
            f"{len(unanswered)} webhooks resent ({stored_unanswered} already stored); "
            f"sent-not-recorded {result.extra_copies}; restart-to-done {elapsed - (restart_at - started):.1f}s; "
            f"wall {elapsed:.1f}s"
        ),
    )
    assert pending_at_kill > 0, "the kill came after every delivery was done: nothing was tested"
    assert 0 < len(unanswered) < WEBHOOKS, "the kill did not land in the middle of the webhook burst"
    assert all(is_2xx(status) for status in resent), f"resent webhooks were refused: {resent}"
    assert result.unexpected == []
    assert result.lost == [], f"lost {len(result.lost)}: {result.lost[:10]}"
    assert result.extra_copies <= LANES, f"repeated beyond the sent-not-recorded window: {result.duplicated}"
