"""Fault scenario: the IMAP server goes away mid-IDLE, and a mailbox comes back with a new UIDVALIDITY.

A real Dovecot, a real ``payalert run`` watching it with the ``imap`` source, and alerts going to
the local Bot API through the telegram notifier. Mail keeps arriving while Dovecot is stopped
(dropped into the Maildir, as the mail delivery agent does). After a UIDVALIDITY change the source
re-reads what arrived since its last sync and the store drops what it already has, by the stable
key: the bank's reference (or the Message-ID when there is none).

When a folder is deleted and created again under a session idling in it, Dovecot 2.3 answers
``* NO Internal error occurred`` and then only ``* OK Still here``: no EXISTS, no BYE. The source
ends IDLE on that complaint and selects the folder again, which shows the new UIDVALIDITY; the
recreate scenario runs with the default ``idle_renew`` (10 minutes), so a renewal cannot be what
finds the new mail.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest
from payalert_testing import DaemonProcess, DovecotServer, TelegramAPI
from payalert_testing.imap import imap_source

from .tallying import tally
from .telegram_sink import FAST_RETRY, QUICK_LIMITS, QUICK_PACE, received_ids, telegram_section

IST = timezone(timedelta(hours=5, minutes=30))
BANK = "hdfcbank.bank.in"
AUTHSERV = "mx.google.com"
CHAT = 111
FOLDER = "Alerts"


@pytest.fixture
def bot_api() -> Iterator[TelegramAPI]:
    """The local Bot API, pacing each chat at 0.2 s (Telegram is not what fails here)."""
    with TelegramAPI(limits=QUICK_LIMITS) as api:
        yield api


def credit_mail(reference: str) -> bytes:
    """An HDFC UPI credit alert as the bank sends it, signed for (DKIM, DMARC) by the receiving server."""
    message = EmailMessage()
    message["Authentication-Results"] = (
        f"{AUTHSERV}; dkim=pass header.i=@{BANK} header.s=s1 header.b=abc; "
        f"spf=pass smtp.mailfrom=bounce@{BANK}; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from={BANK}"
    )
    message["From"] = f"HDFC Bank InstaAlerts <alerts@{BANK}>"
    message["To"] = "me@example.test"
    message["Subject"] = "View: Account update for your HDFC Bank A/c"
    message["Date"] = format_datetime(datetime.now(IST))
    message["Message-ID"] = f"<{reference}.upi@{BANK}>"
    amount = f"{int(reference[-4:]):,}.00"
    message.set_content(
        f"Dear Customer, Rs.{amount} has been successfully credited to your HDFC Bank account ending in "
        f"4477. Transaction Details: a. Date: 02-06-26 b. Sender: ASHA VERMA (VPA: asha@okaxis) "
        f"c. UPI Reference No.: {reference}"
    )
    return message.as_bytes()


def alert_id(reference: str) -> str:
    """The id payalert gives the alert of :func:`credit_mail`."""
    return f"ref:{reference}:credit"


class Watch:
    """A daemon watching one folder of ``server``, alerting through the recorder and Telegram."""

    def __init__(
        self, factory: Any, server: DovecotServer, api: TelegramAPI, folder: str, **options: Any
    ) -> None:
        self.server, self.api, self.folder = server, api, folder
        section = imap_source(server, authserv_id=AUTHSERV, reconnect_max="2s", folders=[folder], **options)
        self.daemon: DaemonProcess = factory.start(
            sources={"bank": section},
            notifiers={"tg": telegram_section(api, [CHAT], rate_limits=QUICK_PACE)},
            settings=FAST_RETRY,
        )
        self.sent: list[str] = []

    def source(self) -> dict[str, Any]:
        """The source's /health entry."""
        return self.daemon.health().json()["sources"]["bank"]

    def wait_connection(self, state: str, timeout: float = 30) -> dict[str, Any]:
        """Wait until the source reports ``state`` (idle, reconnecting…)."""
        return self.daemon.wait_for(lambda: (e := self.source())["connection"] == state and e, timeout)

    def mail(self, reference: str, deliver: bool = False) -> None:
        """A new alert mail: APPEND over IMAP, or ``deliver`` into the Maildir (server stopped)."""
        raw = credit_mail(reference)
        if deliver:
            self.server.deliver(raw, self.folder)
        else:
            self.server.append(raw, self.folder)
        self.sent.append(alert_id(reference))

    def wait_all(self, timeout: float = 40) -> None:
        """Wait until the recorder and the chat have every alert sent so far."""
        wanted = set(self.sent)
        self.daemon.wait_for(
            lambda: (
                wanted <= {a.payment.external_id for a in self.daemon.alerts()}
                and wanted <= set(received_ids(self.api, CHAT))
            ),
            timeout=timeout,
        )

    def counts(self) -> tuple[Counter[str], Counter[str]]:
        """How often each alert id reached the recorder and the chat."""
        recorded = Counter(alert.payment.external_id for alert in self.daemon.alerts())
        return recorded, Counter(received_ids(self.api, CHAT))


def test_dovecot_restarts_mid_idle_lose_and_repeat_nothing(
    payalert_daemon, dovecot_server, bot_api, reliability
) -> None:
    started = time.monotonic()
    server = dovecot_server()
    run = Watch(payalert_daemon, server, bot_api, "INBOX")
    run.wait_connection("idle")
    run.mail("600000100001")
    run.wait_all()
    server.stop()  # SIGTERM to Dovecot while the source idles
    run.wait_connection("reconnecting")
    status_while_down = run.daemon.health().status
    for reference in ("600000100002", "600000100003", "600000100004"):
        run.mail(reference, deliver=True)  # arrive while Dovecot is down
    server.start()
    run.mail("600000100005")  # arrives while the source reconnects
    run.wait_connection("idle")
    run.mail("600000100006")  # arrives during IDLE again
    run.wait_all()
    final = run.daemon.health()
    recorded, chat = run.counts()
    wall = time.monotonic() - started
    counts = tally(run.sent, recorded.elements())
    reliability.record_tally(
        "dovecot stopped and started mid-IDLE",
        counts,
        note=(
            f"3 mails delivered while Dovecot was down; telegram got {sum(chat.values())} messages for "
            f"{len(chat)} alerts; /health while down: HTTP {status_while_down}; wall {wall:.1f}s"
        ),
    )

    assert counts.lost == [] and counts.duplicated == {}, recorded
    assert chat == Counter(run.sent)  # the chat too: each alert once
    assert status_while_down == 503
    assert final.status == 200 and final.json()["sources"]["bank"]["connection"] == "idle"


def test_recreated_mailbox_with_new_uidvalidity_alerts_only_new_mail(
    payalert_daemon, dovecot_server, bot_api, reliability
) -> None:
    started = time.monotonic()
    server = dovecot_server()
    server.create_folder(FOLDER)
    run = Watch(payalert_daemon, server, bot_api, FOLDER)  # idle_renew: the 10m default
    run.wait_connection("idle")
    for reference in ("600000200001", "600000200002", "600000200003"):
        run.mail(reference)
    run.wait_all()
    old_validity = server.status(FOLDER)["UIDVALIDITY"]
    new_validity = server.recreate_folder(FOLDER)  # while the source idles in it
    for reference in ("600000200002", "600000200003"):  # alerted before: must not alert again
        server.append(credit_mail(reference), FOLDER)
    run.mail("600000200004")
    run.mail("600000200005")
    run.wait_all()
    run.wait_connection("idle")
    run.mail("600000200006")  # the last: any repeat from the re-read would have come before it
    run.wait_all()
    output = run.daemon.output()
    dropped = sum(int(n) for n in re.findall(r"read \d+ messages up to UID \d+: .*?duplicates (\d+)", output))
    recorded, chat = run.counts()
    wall = time.monotonic() - started
    counts = tally(run.sent, recorded.elements())
    reliability.record_tally(
        "imap mailbox recreated, new UIDVALIDITY",
        counts,
        note=(
            f"UIDVALIDITY {old_validity} -> {new_validity} while idling (idle_renew 10m); 2 alerted "
            f"mails appended again, read and dropped as duplicates: {dropped}; telegram messages "
            f"{sum(chat.values())}; wall {wall:.1f}s"
        ),
    )

    assert counts.lost == [] and counts.duplicated == {}, recorded
    assert chat == Counter(run.sent)
    assert "UIDVALIDITY changed" in output
    assert dropped == 2  # the re-added mails were read and recognised, not skipped unread


def test_uidvalidity_change_on_a_server_west_of_utc_misses_nothing(
    payalert_daemon, dovecot_server, bot_api
) -> None:
    # IMAP SEARCH SINCE compares dates in the server's time zone. A zone 23:59 behind UTC keeps the
    # server's date at "yesterday" nearly all day, as America/Los_Angeles is from 00:00 to 08:00 UTC.
    server = dovecot_server(timezone="<-2359>+23:59")
    server.create_folder(FOLDER)
    run = Watch(payalert_daemon, server, bot_api, FOLDER)
    run.wait_connection("idle")
    run.mail("600000300001")
    run.wait_all()
    run.daemon.stop()
    server.recreate_folder(FOLDER)
    run.mail("600000300002")  # arrives while payalert is stopped, after the change
    run.daemon.start()
    run.wait_connection("idle")
    run.mail("600000300003")
    run.daemon.wait_for(lambda: alert_id("600000300003") in run.counts()[0], timeout=30)
    assert "UIDVALIDITY changed" in run.daemon.output()
    assert alert_id("600000300002") in run.counts()[0]
