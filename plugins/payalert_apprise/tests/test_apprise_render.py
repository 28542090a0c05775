"""The title and body of an alert in each body format, with hostile values shown as typed."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from payalert_apprise.render import MessageRenderer, escape_markdown
from payalert_testing.apprise import payment
from payalert_testing.fuzzing import fuzz_settings
from payalert_testing.payments import accepted_payments, render_or_fallback, stored_payments

from payalert_core import Direction

KOLKATA = ZoneInfo("Asia/Kolkata")
HOSTILE = "<b>x</b> **y** _z_ [l](https://evil.example) & `c`"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def test_text_layout_is_the_core_layout_split_into_title_and_body():
    message = MessageRenderer("text", KOLKATA).render(payment())
    assert message.title == "+1,250.00 INR  UPI credit"
    assert message.body == (
        "Received via Google Pay\n"
        "Source: bank\n"
        "From: Asha Rao\n"
        "Ref: 405912345678\n"
        "When: 2026-01-31 10:00 IST\n"
        "Account: XX1234\n"
        "Link: https://bank.example/txn/405912345678"
    )
    assert (message.notify_type, message.body_format) == ("success", "text")


def test_outgoing_payment_and_notice():
    out = MessageRenderer("text", ZoneInfo("UTC")).render(
        payment(direction=Direction.OUT, amount=payment().amount, summary="", link=None, details={})
    )
    assert out.title == "-1,250.00 INR  UPI credit"
    assert out.body == "Source: bank\nTo: Asha Rao\nRef: 405912345678\nWhen: 2026-01-31 04:30 UTC"
    assert out.notify_type == "info"

    notice = MessageRenderer("text", ZoneInfo("UTC")).render(
        payment(
            amount=None,
            currency=None,
            direction=Direction.NONE,
            title="Sponsorship cancelled",
            summary="Sponsorship cancelled",
            reference=None,
            link=None,
            details={},
        )
    )
    assert notice.title == "Sponsorship cancelled"
    assert notice.body == "Source: bank\nWho: Asha Rao\nWhen: 2026-01-31 04:30 UTC"  # summary == title: once
    assert notice.notify_type == "warning"


def test_markdown_escapes_every_payment_value():
    message = MessageRenderer("markdown", ZoneInfo("UTC")).render(
        payment(counterparty=HOSTILE, summary="- 1. not a list", details={"Note_1": "#tag"})
    )
    assert message.body == (
        "\\- 1. not a list\n"
        "**Source:** bank\n"
        "**From:** \\<b\\>x\\</b\\> \\*\\*y\\*\\* \\_z\\_ \\[l\\]\\(https://evil.example\\) & \\`c\\`\n"
        "**Ref:** 405912345678\n"
        "**When:** 2026-01-31 04:30 UTC\n"
        "**Note\\_1:** \\#tag\n"
        "**Link:** <https://bank.example/txn/405912345678>"
    )
    assert message.body_format == "markdown"


def test_markdown_link_with_odd_characters_is_plain_text():
    message = MessageRenderer("markdown", ZoneInfo("UTC")).render(payment(link="https://x.example/a b>"))
    assert message.body.endswith("**Link:** https://x.example/a b\\>")


@pytest.mark.parametrize(
    ("value", "escaped"),
    [("1. first", "1\\. first"), ("  - item", "  \\- item"), ("a\n= b", "a\n\\= b"), ("plain", "plain")],
)
def test_markdown_line_starts(value, escaped):
    assert escape_markdown(value) == escaped


def test_html_escapes_every_payment_value():
    message = MessageRenderer("html", ZoneInfo("UTC")).render(
        payment(counterparty=HOSTILE, link='https://bank.example/t?a=1&b="2"')
    )
    assert message.body == (
        "<i>Received via Google Pay</i><br/>\n"
        "<b>Source:</b> bank<br/>\n"
        "<b>From:</b> &lt;b&gt;x&lt;/b&gt; **y** _z_ [l](https://evil.example) &amp; `c`<br/>\n"
        "<b>Ref:</b> 405912345678<br/>\n"
        "<b>When:</b> 2026-01-31 04:30 UTC<br/>\n"
        "<b>Account:</b> XX1234<br/>\n"
        '<b>Link:</b> <a href="https://bank.example/t?a=1&amp;b=&quot;2&quot;">'
        "https://bank.example/t?a=1&amp;b=&quot;2&quot;</a>"
    )


def test_a_javascript_link_is_never_a_link():
    message = MessageRenderer("html", ZoneInfo("UTC")).render(payment(link="javascript:alert(1)"))
    assert message.body.endswith("<b>Link:</b> javascript:alert(1)")
    assert "href" not in message.body


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="rtf"):
        MessageRenderer("rtf", ZoneInfo("UTC"))


@pytest.mark.parametrize("body_format", ["text", "markdown", "html"])
def test_every_payment_renders_or_falls_back_and_no_title_holds_a_line_break(make_notifier, body_format):
    """Any payment the model accepts renders as itself; a stored one out of bounds as the fallback."""
    notifier = make_notifier(urls=["json://127.0.0.1:9/"], format=body_format, timezone="Pacific/Kiritimati")
    (target,) = notifier.targets()

    @fuzz_settings(200)
    @given(payment=accepted_payments())
    def accepted(payment):
        message, fell_back = render_or_fallback(notifier, payment, target)
        assert not fell_back and "\n" not in message.title and _CONTROL.search(message.title) is None

    @fuzz_settings(200)
    @given(payment=stored_payments())
    def stored(payment):
        message, fell_back = render_or_fallback(notifier, payment, target)
        if fell_back:
            assert "cannot be shown" in message.title
        assert "\n" not in message.title and _CONTROL.search(message.body.replace("\n", "")) is None

    accepted()
    stored()
