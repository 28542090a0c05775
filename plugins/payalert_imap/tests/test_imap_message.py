"""Reading raw mail: plain, HTML-only, quoted-printable, base64, odd charsets and broken headers."""

from __future__ import annotations

from payalert_imap.htmltext import html_to_text
from payalert_imap.message import read_message
from payalert_testing.imap import UPI_CREDIT, alert_mail

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


def test_hidden_text_is_not_read() -> None:
    html = (
        "<html><head><style>.gone{display:none} @media (max-width:600px){.tiny{font-size:0}}</style></head>"
        "<body><p>shown</p>"
        '<div style="display:none">A</div><div style="visibility:hidden">B</div><div hidden>C</div>'
        '<div style="font-size:0">D</div><div style="font-size:1px">E</div><div style="opacity:0">F</div>'
        '<div style="max-height:0;overflow:hidden">G</div><div style="text-indent:-9999px">H</div>'
        '<div style="color:#ffffff">I</div><div style="color:#fefefe;background:#fff">J</div>'
        '<table bgcolor="#dcddde"><tr><td><font color="#dcddde">K</font></td></tr></table>'
        '<div class="gone">L</div><span class="tiny">M</span><div style="color:transparent">N</div>'
        "<!-- O --><p>also shown</p></body></html>"
    )
    assert html_to_text(html).split("\n") == ["shown", "also shown"]


def test_what_shows_through_stays_text() -> None:
    html = (
        '<div style="visibility:hidden"><span style="visibility:visible">a</span></div>'
        '<div style="font-size:0"><span style="font-size:14px">b</span></div>'
        '<div style="background-color:#003366;color:#fff">c</div><div style="height:0">d</div>'
        '<div style="font-family:&quot;x;display:none&quot;">e</div><p>de\u200bbi\u00adted</p>'
    )
    assert html_to_text(html).split("\n") == ["a", "b", "c", "d", "e", "debited"]


def test_important_and_unmatched_selectors_can_only_hide() -> None:
    html = (
        "<style>.w{color:#fff !important} div.box > span.x:hover{display:none} td p{color:#000}</style>"
        '<p class="w" style="color:#000">white after all</p><span class="x">hover-hidden</span>'
        '<div style="background:#fff"><p style="color:#fff">white on white</p></div><p>kept</p>'
    )
    assert html_to_text(html) == "kept"


def test_plain_and_html_parts_are_both_kept() -> None:
    raw = alert_mail(BODY)
    facts = read_message(raw)
    assert facts.plain_text.startswith("Dear Customer") and facts.html_text == ""
    assert facts.to_headers == ("me@example.test",)


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
