"""End to end through a real Dovecot and a real ``payalert run``: delivery, recovery, the mailbox left as it was."""

from __future__ import annotations

import re
import time

from payalert_testing import DaemonFactory
from payalert_testing.imap import SOURCE, alert_mail, imap_source, source_health, upi_credit_mail, wait_state


def _settle(daemon, expected: int, seconds: float = 1.5) -> None:
    """Give a wrongly repeated alert the chance to show up, then check the count (bounded wait)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert len(daemon.alerts()) <= expected, [a.payment.external_id for a in daemon.alerts()]
        time.sleep(0.1)


def test_idle_delivers_new_mail_and_leaves_old_mail_alone(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    old_uid = server.append(upi_credit_mail(amount="10.00", ref="600000000001"))
    daemon = watch_mailbox(server)
    assert source_health(daemon)["connection"] == "idle"
    new_uid = server.append(upi_credit_mail(amount="1,23,456.00", ref="600000000002"))
    alerts = daemon.wait_for_alerts(1)
    payment = alerts[0].payment
    assert str(payment.amount) == "123456.00" and payment.currency == "INR"
    assert payment.reference == "600000000002" and payment.kind == "bank.upi.credit"
    assert payment.raw["uid"] == new_uid
    _settle(daemon, 1)
    assert r"\Seen" not in server.flags(old_uid) and r"\Seen" not in server.flags(new_uid)


def test_polling_when_the_server_has_no_idle(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server(idle=False)
    daemon = watch_mailbox(server, wait_for="polling", poll_interval="1s")
    server.append(upi_credit_mail(ref="600000000011"))
    assert daemon.wait_for_alerts(1)[0].payment.reference == "600000000011"


def test_server_restart_mid_idle_misses_nothing_and_repeats_nothing(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    daemon = watch_mailbox(server, wait_for="idle")
    server.append(upi_credit_mail(ref="600000000021"))
    daemon.wait_for_alerts(1)
    server.stop()
    wait_state(daemon, "reconnecting")
    assert daemon.health().status == 503
    server.start()
    server.append(upi_credit_mail(ref="600000000022"))  # arrives while the source reconnects
    alerts = daemon.wait_for_alerts(2, timeout=30)
    wait_state(daemon, "idle")
    server.append(upi_credit_mail(ref="600000000023"))
    alerts = daemon.wait_for_alerts(3)
    _settle(daemon, 3)
    assert [a.payment.reference for a in alerts] == ["600000000021", "600000000022", "600000000023"]


def test_uidvalidity_change_resyncs_without_realerting(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    daemon = watch_mailbox(server, wait_for="idle")
    server.append(upi_credit_mail(ref="600000000031"))
    daemon.wait_for_alerts(1)
    daemon.stop()
    server.change_uidvalidity()
    daemon.start()
    wait_state(daemon, "idle")
    server.append(upi_credit_mail(ref="600000000032"))
    alerts = daemon.wait_for_alerts(2)
    _settle(daemon, 2)
    assert [a.payment.reference for a in alerts] == ["600000000031", "600000000032"]
    assert "UIDVALIDITY changed" in daemon.output()


def test_first_run_on_a_folder_of_10000_messages_fetches_none(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server(start=False)
    old = upi_credit_mail(ref="600000000040")
    assert server.write_maildir(old.replace(b"600000000040", b"6%09d" % i) for i in range(10_000)) == 10_000
    server.start()
    daemon = watch_mailbox(server, wait_for="idle", timeout="60s")
    assert "starting after UID 10000" in daemon.output()
    server.append(upi_credit_mail(ref="600000000041"))
    alerts = daemon.wait_for_alerts(1)
    _settle(daemon, 1)
    assert alerts[0].payment.reference == "600000000041"
    fetched = [int(n) for n in re.findall(r"read (\d+) messages", daemon.output())]
    assert fetched == [1], daemon.output()


def test_seen_is_set_only_with_mark_seen(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    daemon = watch_mailbox(server, mark_seen=True)
    uid = server.append(upi_credit_mail(ref="600000000051"))
    daemon.wait_for_alerts(1)
    daemon.wait_for(lambda: r"\Seen" in server.flags(uid))


def test_bad_credentials_report_once_and_do_not_crash_loop(
    dovecot_server, payalert_daemon: DaemonFactory
) -> None:
    server = dovecot_server()
    section = imap_source(server, authserv_id="mx.google.com", password="wrong-password", reconnect_max="10m")
    daemon = payalert_daemon.start(sources={SOURCE: section})
    health = wait_state(daemon, "login_failed")
    assert "refused the login of alerts@example.test" in health["last_error"]
    assert "wrong-password" not in daemon.output() and "wrong-password" not in str(health)
    time.sleep(1.5)
    assert daemon.output().count("refused the login") == 1, daemon.output()
    assert "Traceback" not in daemon.output()
    assert daemon.process is not None and daemon.process.poll() is None


def test_tls_certificate_that_cannot_be_verified_is_refused(dovecot_server, payalert_daemon) -> None:
    server = dovecot_server(tls=True)
    section = imap_source(server, authserv_id="mx.google.com", reconnect_max="10m")
    section.pop("ca_file")  # the test CA is not in the system's trust store
    daemon = payalert_daemon.start(sources={SOURCE: section})
    health = wait_state(daemon, "tls_failed")
    assert "could not be verified" in health["last_error"] and "ca_file" in health["last_error"]
    assert "Traceback" not in daemon.output()


def test_tls_with_the_right_ca_delivers(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server(tls=True)
    daemon = watch_mailbox(server, wait_for="idle")
    server.append(upi_credit_mail(ref="600000000061"))
    assert daemon.wait_for_alerts(1)[0].payment.reference == "600000000061"


def test_starttls_when_configured(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server(tls=True)
    daemon = watch_mailbox(server, wait_for="idle", security="starttls", port=server.starttls_port)
    server.append(upi_credit_mail(ref="600000000071"))
    assert daemon.wait_for_alerts(1)[0].payment.reference == "600000000071"


def test_several_folders_and_two_mailboxes(dovecot_server, payalert_daemon) -> None:
    first, second = dovecot_server(), dovecot_server()
    first.create_folder("Bank")
    sources = {
        "one": imap_source(first, authserv_id="mx.google.com", folders=["INBOX", "Bank"]),
        "two": imap_source(second, authserv_id="mx.google.com"),
    }
    daemon = payalert_daemon.start(sources=sources)
    wait_state(daemon, "idle", name="one")
    wait_state(daemon, "idle", name="two")
    first.append(upi_credit_mail(ref="600000000081"), folder="Bank")
    first.append(upi_credit_mail(ref="600000000082"))
    second.append(upi_credit_mail(ref="600000000083"))
    alerts = daemon.wait_for_alerts(3)
    assert sorted((a.payment.source, a.payment.reference) for a in alerts) == [
        ("one", "600000000081"),
        ("one", "600000000082"),
        ("two", "600000000083"),
    ]


def test_one_payment_told_by_two_mails_alerts_once(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    daemon = watch_mailbox(server, wait_for="idle")
    server.append(upi_credit_mail(ref="600000000091"))
    server.append(upi_credit_mail(ref="600000000091", subject="You have received money"))
    server.append(upi_credit_mail(ref="600000000092"))
    alerts = daemon.wait_for_alerts(2)
    _settle(daemon, 2)
    assert [a.payment.reference for a in alerts] == ["600000000091", "600000000092"]


def test_spoofed_mail_becomes_a_warning_and_backfill_reads_recent_mail(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    server.append(upi_credit_mail(ref="600000000101"))  # already there: read once through backfill
    daemon = watch_mailbox(server, wait_for="idle", backfill="3d")
    assert daemon.wait_for_alerts(1)[0].payment.reference == "600000000101"
    forged = upi_credit_mail(
        ref="600000000102", auth="mx.google.com; dkim=fail; dmarc=fail header.from=hdfcbank.bank.in"
    )
    server.append(forged)
    alerts = daemon.wait_for_alerts(2)
    notice = alerts[1].payment
    assert notice.kind == "bank.suspicious_email" and notice.amount is None
    assert "dmarc=fail" in notice.summary
    unparsed = alert_mail(
        "Dear Customer, Rs.99.00 moved in a FooPay wallet transaction of a kind no parser knows."
    )
    server.append(unparsed)
    alerts = daemon.wait_for_alerts(3)
    assert alerts[2].payment.kind == "bank.unparsed_email"
    assert alerts[2].payment.details["Subject"] == "View: Account update for your HDFC Bank A/c"


def test_uidvalidity_change_while_connected(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    daemon = watch_mailbox(server, wait_for="idle")
    server.append(upi_credit_mail(ref="600000000111"))
    daemon.wait_for_alerts(1)
    server.change_uidvalidity()
    server.append(upi_credit_mail(ref="600000000112"))
    alerts = daemon.wait_for_alerts(2, timeout=30)
    _settle(daemon, 2)
    assert [a.payment.reference for a in alerts] == ["600000000111", "600000000112"]
