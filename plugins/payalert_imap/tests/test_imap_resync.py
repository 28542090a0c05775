"""Finding mail again after a folder changes: a recreated folder under IDLE, other time zones, slow clocks."""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from payalert_imap.config import ImapSourceConfig
from payalert_imap.connection import ConnectionLost, IdleOutcome, MailboxConnection, idle_outcome, search_date
from payalert_testing import DaemonFactory, DaemonProcess, DovecotServer
from payalert_testing.imap import (
    SOURCE,
    imap_source,
    scripted_imap_server,
    source_health,
    upi_credit_mail,
    wait_state,
)

FOLDER = "Alerts"
#: Server time zones at the ends of the range: a day behind UTC almost all day, and 14 hours ahead.
ZONES = {"utc-23:59": "<-2359>+23:59", "utc+14": "<+14>-14"}


def append_stamped(server: DovecotServer, raw: bytes, arrived: datetime, folder: str = "INBOX") -> int:
    """APPEND ``raw`` with the INTERNALDATE ``arrived`` (as a server whose clock says so would stamp it)."""
    with server.imap() as client:
        typ, data = client.append(folder, None, arrived, raw)
        assert typ == "OK", data
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        assert match, data
        return int(match.group(1))


class _ComplainingImap(socketserver.StreamRequestHandler):
    """Just enough IMAP for a watcher on an empty INBOX, answering every IDLE with ``* NO`` alone."""

    idles: list[bytes] = []

    def handle(self) -> None:
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
        for _ in range(10_000):
            line = self.rfile.readline()
            if not line:
                return
            tag, command = [*line.split(), b"", b""][:2]
            command = command.upper()
            if command in (b"LOGIN", b"NOOP"):
                answer = b""
            elif command == b"CAPABILITY":
                answer = b"* CAPABILITY IMAP4rev1 IDLE\r\n"
            elif command in (b"SELECT", b"EXAMINE"):
                answer = b"* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n"
            elif command == b"STATUS":
                answer = b"* STATUS INBOX (UIDVALIDITY 7 UIDNEXT 1 MESSAGES 0)\r\n"
            elif command == b"UID":
                answer = b"* SEARCH\r\n"
            elif command == b"IDLE":
                self.idles.append(tag)
                self.wfile.write(b"+ idling\r\n* NO Mailbox is being repaired\r\n")
                if self.rfile.readline().strip().upper() != b"DONE":
                    return
                answer = b""
            elif command == b"LOGOUT":
                self.wfile.write(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                return
            else:
                self.wfile.write(tag + b" BAD unexpected\r\n")
                continue
            self.wfile.write(answer + tag + b" OK done\r\n")


@pytest.fixture
def complaining_server() -> Iterator[int]:
    """A server whose every IDLE ends in ``* NO``; yields its port."""
    _ComplainingImap.idles = []
    with scripted_imap_server(_ComplainingImap) as port:
        yield port


@pytest.fixture
def connect() -> Iterator[object]:
    """Log a :class:`MailboxConnection` in to a server; every one is closed after the test."""
    opened: list[MailboxConnection] = []

    def make(server: DovecotServer) -> MailboxConnection:
        connection = MailboxConnection(ImapSourceConfig(**imap_source(server, authserv_id="mx.google.com")))
        connection.connect()
        opened.append(connection)
        return connection

    yield make
    for connection in opened:
        connection.interrupt()
        connection.close()


def references(daemon: DaemonProcess) -> list[str | None]:
    """The references of the alerts recorded so far, in order."""
    return [alert.payment.reference for alert in daemon.alerts()]


def wait_for_reference(daemon: DaemonProcess, reference: str, timeout: float = 30) -> list[str | None]:
    """Wait until the alert of ``reference`` is recorded; return every reference so far."""
    return daemon.wait_for(lambda: reference in (found := references(daemon)) and found, timeout=timeout)


# -- the connection on its own --------------------------------------------------------------------
@pytest.mark.parametrize("zone", list(ZONES.values()), ids=list(ZONES))
def test_mail_that_just_arrived_is_found_whatever_the_servers_time_zone(
    dovecot_server, connect, zone
) -> None:
    server = dovecot_server(timezone=zone)
    now = datetime.now(UTC).replace(microsecond=0)
    old = append_stamped(server, upi_credit_mail(ref="600000000501"), now - timedelta(days=2))
    earlier = append_stamped(server, upi_credit_mail(ref="600000000502"), now - timedelta(minutes=30))
    fresh = server.append(upi_credit_mail(ref="600000000503"))  # stamped by the server's own clock
    connection = connect(server)
    connection.open_folder("INBOX")
    assert connection.uids_arrived_since(now - timedelta(minutes=1)) == [fresh]
    assert connection.uids_arrived_since(now - timedelta(hours=1)) == [earlier, fresh]
    assert old not in connection.uids_arrived_since(now - timedelta(days=1))


def test_idle_ends_when_its_folder_is_deleted_and_created_again(dovecot_server, connect) -> None:
    server = dovecot_server()
    server.create_folder(FOLDER)
    connection = connect(server)
    before = connection.open_folder(FOLDER)
    renewed: list[int] = []
    # From another session, once this one idles in the folder (it cannot be seen from here).
    threading.Timer(0.5, lambda: renewed.append(server.recreate_folder(FOLDER))).start()
    outcome = connection.idle(30)  # without the complaint it would run to its end, with no news
    assert outcome.complaint is not None and outcome.complaint.startswith("* NO"), outcome
    assert not outcome.news
    after = connection.open_folder(FOLDER)  # the same session, selecting again
    assert [after.uidvalidity] == renewed and after.uidvalidity != before.uidvalidity
    uid = server.append(upi_credit_mail(ref="600000000511"), FOLDER)
    assert connection.idle(30) == IdleOutcome(news=True)  # and it watches the new folder
    assert connection.uids_after(0) == [uid]


def test_idle_outcome_of_each_kind_of_untagged_line() -> None:
    quiet = IdleOutcome()
    assert idle_outcome(b"* OK Still here", quiet, "imap:993") == quiet
    assert idle_outcome(b"* 4 EXPUNGE", quiet, "imap:993") == quiet
    assert idle_outcome(b"* 7 EXISTS", quiet, "imap:993") == IdleOutcome(news=True)
    assert idle_outcome(b"* 2 RECENT", quiet, "imap:993") == IdleOutcome(news=True)
    complained = idle_outcome(b"* BAD  [SERVERBUG] lost\ttrack", quiet, "imap:993")
    assert complained == IdleOutcome(complaint="* BAD [SERVERBUG] lost track")
    assert idle_outcome(b"* no Mailbox gone", quiet, "imap:993").complaint == "* no Mailbox gone"
    assert idle_outcome(b"* 8 EXISTS", complained, "imap:993") == IdleOutcome(True, complained.complaint)
    with pytest.raises(ConnectionLost, match="imap:993 closed the connection: \\* BYE shutting down"):
        idle_outcome(b"* BYE shutting down", quiet, "imap:993")


def test_a_server_that_complains_at_every_idle_is_not_asked_again_at_once(
    complaining_server: int, payalert_daemon: DaemonFactory
) -> None:
    section = {
        "type": "imap",
        "host": "127.0.0.1",
        "port": complaining_server,
        "security": "plain",
        "username": "alerts@example.test",
        "password": "secret",
        "authserv_id": "mx.google.com",
        "reconnect_max": "3s",
    }
    daemon = payalert_daemon.start(sources={SOURCE: section})
    marker = "said '* NO Mailbox is being repaired' again while idling; selecting the folder again in"
    daemon.wait_for(lambda: marker in daemon.output(), timeout=20)
    assert len(_ComplainingImap.idles) >= 2
    assert source_health(daemon)["connection"] == "idle"  # still watching, never a reconnect
    assert "reconnecting" not in daemon.output()


def test_search_dates_are_utc_dates_in_english_whatever_the_zone() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    assert search_date(datetime(2026, 12, 1, 3, 0, tzinfo=ist)) == "30-Nov-2026"
    assert search_date(datetime(2026, 5, 2, 9, 0, tzinfo=UTC)) == "02-May-2026"


# -- a real daemon --------------------------------------------------------------------------------
def test_folder_recreated_under_idle_is_read_again_at_once(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    server.create_folder(FOLDER)
    daemon = watch_mailbox(server, wait_for="idle", folders=[FOLDER])  # idle_renew: the 10m default
    server.append(upi_credit_mail(ref="600000000521"), FOLDER)
    daemon.wait_for_alerts(1)
    server.recreate_folder(FOLDER)
    server.append(upi_credit_mail(ref="600000000521"), FOLDER)  # alerted before: must not alert again
    server.append(upi_credit_mail(ref="600000000522"), FOLDER)
    wait_for_reference(daemon, "600000000522")
    wait_state(daemon, "idle")
    server.append(upi_credit_mail(ref="600000000523"), FOLDER)  # any repeat would have come before it
    assert wait_for_reference(daemon, "600000000523") == ["600000000521", "600000000522", "600000000523"]
    assert "UIDVALIDITY changed" in daemon.output()
    assert re.search(r'event="idle_complaint"[^\n]* [1-9]', daemon.metrics()), daemon.metrics()


def test_uidvalidity_change_reads_mail_stamped_by_a_server_clock_behind_ours(
    dovecot_server, watch_mailbox
) -> None:
    server = dovecot_server()
    daemon = watch_mailbox(server, wait_for="idle")
    server.append(upi_credit_mail(ref="600000000531"))
    daemon.wait_for_alerts(1)  # the cursor's "since" is now the start of that sync
    daemon.stop()
    server.change_uidvalidity()
    now = datetime.now(UTC)
    # Arrived after the last sync, stamped 5 minutes earlier by a mail server whose clock is slow.
    append_stamped(server, upi_credit_mail(ref="600000000532"), now - timedelta(minutes=5))
    # Old mail (copied in when the folder was restored): stays alone, as on a first run.
    append_stamped(server, upi_credit_mail(ref="600000000533"), now - timedelta(hours=2))
    daemon.start()
    wait_state(daemon, "idle")
    server.append(upi_credit_mail(ref="600000000534"))  # any repeat or old mail would have come before it
    assert wait_for_reference(daemon, "600000000534") == ["600000000531", "600000000532", "600000000534"]
    assert "UIDVALIDITY changed" in daemon.output()
