"""Reading raw mail: plain, HTML-only, quoted-printable, base64, odd charsets and broken headers."""

from __future__ import annotations

from imap_testkit import UPI_CREDIT, alert_mail
from payalert_imap.htmltext import html_to_text
from payalert_imap.message import read_message

BODY = UPI_CREDIT.format(amount="1,250.00", ref="612345678901")


def test_plain_text_body() -> None:
    facts = read_message(alert_mail(BODY))
    assert "Rs.1,250.00 has been successfully credited" in facts.text
    assert facts.sender == "alerts@hdfcbank.bank.in" and facts.message_id


def test_html_only_quoted_printable_body() -> None:
    raw = alert_mail(BODY.replace("Rs.", "Rs.&nbsp;"), html=True, cte="quoted-printable")
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    facts = read_message(raw)
    assert "Rs. 1,250.00 has been successfully credited" in facts.text
    assert "<p>" not in facts.text


def test_base64_body_and_encoded_subject() -> None:
    raw = alert_mail(BODY, cte="base64", subject="₹ credited — check details")
    facts = read_message(raw)
    assert "credited" in facts.text and facts.subject == "₹ credited — check details"


def test_html_to_text_skips_style_and_script() -> None:
    text = html_to_text(
        "<html><head><style>p{}</style></head><body><p>a&amp;b</p><script>x()</script><td>c</td></body></html>"
    )
    assert text.split("\n") == ["a&b", "c"]


def test_unknown_charset_and_garbage_never_raise() -> None:
    raw = (
        b"From: =?x-unknown?q?bad?= <alerts@hdfcbank.net>\r\nSubject: hi\r\nDate: not a date\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\nRs.5 debited\r\n"
    )
    facts = read_message(raw)
    assert facts.sender == "alerts@hdfcbank.net" and facts.sent_at is None and "Rs.5" in facts.text
    assert read_message(b"").senders == ()
    assert read_message(b"\xff\xfe garbage").text is not None


def test_a_date_out_of_range_is_dropped_with_a_note() -> None:
    for date in (
        b"Fri, 31 Dec 9999 23:59:59 -1400",
        b"Sat, 1 Jan 2101 0:0 +0000",
        b"Thu, 1 Jan 1920 0:0 +0000",
    ):
        facts = read_message(b"From: alerts@hdfcbank.net\r\nDate: " + date + b"\r\n\r\nRs.5 debited\r\n")
        assert facts.sent_at is None and facts.date_note and "out of range" in facts.date_note, date
    facts = read_message(alert_mail(BODY))
    assert facts.sent_at is not None and facts.date_note is None
