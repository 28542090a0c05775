"""One payment told by SMS (SMS Gateway for Android) and by e-mail (a real Dovecot): one alert.

Both sources run in one real daemon. Whichever telling arrives first alerts; the other is stored
as a repeat of it and sends nothing, whether the two share the bank's reference or, without
one, the issuer, account, amount and direction within the repeat window.
"""

from __future__ import annotations

import time
from datetime import datetime

from payalert_testing import DaemonFactory, DaemonProcess, DovecotFactory
from payalert_testing.imap import IST, imap_source, upi_credit_mail
from payalert_testing.sms import HOOK, SIGNING_KEY, gateway_body, signed_headers

SMS_CREDIT = "Rs.{amount} credited to HDFC Bank A/c {account} on 02-06-26 from VPA asha@okaxis{ref}"
#: The mails' Date (imap_testkit's default): a telling without the reference must be this close.
MAIL_SENT = datetime(2026, 6, 2, 10, 15, tzinfo=IST)


def _sms(
    daemon: DaemonProcess, amount: str, ref: str | None, received_at: datetime, account: str = "XX4477"
) -> str:
    text = SMS_CREDIT.format(amount=amount, account=account, ref=f" (UPI {ref})" if ref else "")
    body = gateway_body("VM-HDFCBK", text, received_at=received_at)
    answer = daemon.post(HOOK, body, signed_headers(body))
    assert answer.status in (200, 202), answer.body
    return answer.json()["status"]


def _repeats(daemon: DaemonProcess) -> int:
    return daemon.output().count("stored as a repeat of it, not alerted")


def _settle(daemon: DaemonProcess, expected: int, seconds: float = 1.5) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert len(daemon.alerts()) <= expected, [a.payment.external_id for a in daemon.alerts()]
        time.sleep(0.1)
    assert len(daemon.alerts()) == expected


def test_the_same_payment_by_sms_and_by_mail_alerts_once(
    payalert_daemon: DaemonFactory, dovecot_server: DovecotFactory
) -> None:
    mailbox = dovecot_server()
    daemon = payalert_daemon.start(
        sources={
            "bank": imap_source(mailbox, authserv_id="mx.google.com", reconnect_max="3s"),
            "phone": {"type": "sms", "signing_key": SIGNING_KEY},
        }
    )
    daemon.wait_for(lambda: daemon.health().json()["sources"]["bank"].get("connection") == "idle", timeout=20)

    # The mail first, then the SMS with the same reference.
    mailbox.append(upi_credit_mail(amount="1,250.00", ref="612300000501"))
    assert daemon.wait_for_alerts(1)[0].payment.source == "bank"
    assert _sms(daemon, "1,250.00", "612300000501", MAIL_SENT) == "repeat"

    # The SMS first, then the mail.
    assert _sms(daemon, "2,000.00", "612300000502", MAIL_SENT) == "stored"
    assert daemon.wait_for_alerts(2)[1].payment.source == "phone"
    mailbox.append(upi_credit_mail(amount="2,000.00", ref="612300000502"))
    daemon.wait_for(lambda: _repeats(daemon) == 2, timeout=20)

    # An SMS without the reference, four minutes after the mail: the same account, amount and way.
    mailbox.append(upi_credit_mail(amount="3,000.00", ref="612300000503"))
    daemon.wait_for_alerts(3)
    assert _sms(daemon, "3,000.00", None, MAIL_SENT.replace(minute=19)) == "repeat"
    # The same words twenty minutes later are another payment.
    assert _sms(daemon, "3,000.00", None, MAIL_SENT.replace(minute=35)) == "stored"

    # An SMS showing fewer of the account's digits (XX477) than the mail (**4477): the same account.
    mailbox.append(upi_credit_mail(amount="4,000.00", ref="612300000504"))
    daemon.wait_for_alerts(5)
    assert _sms(daemon, "4,000.00", None, MAIL_SENT.replace(minute=19), account="XX477") == "repeat"

    alerts = daemon.wait_for_alerts(5)
    _settle(daemon, 5)
    assert [(a.payment.source, str(a.payment.amount)) for a in alerts] == [
        ("bank", "1250.00"),
        ("phone", "2000.00"),
        ("bank", "3000.00"),
        ("phone", "3000.00"),
        ("bank", "4000.00"),
    ]
    assert _repeats(daemon) == 4
