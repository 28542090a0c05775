"""How an alert looks in Telegram: default layout, escaping, templates and config checks."""

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from payalert_testing.telegram_api import TOKEN, parse_html
from pydantic import ValidationError

from payalert_core import Direction, Payment
from payalert_core.notifiers.telegram_config import Destination, RateLimits, TelegramConfig
from payalert_core.notifiers.telegram_format import TEMPLATE_FIELDS, AlertFormatter, check_template
from payalert_core.notifiers.telegram_html import check_markup, visible_len

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")
HOSTILE = '<script>alert("x")</script> & <b>bold</b> &amp; 💸 שלום עולם مرحبا'
OVERRIDE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: would flip the rest of the line


def payment(**changes):
    base = dict(
        source="my_bank",
        kind="bank.upi.credit",
        external_id="u-1",
        amount=Decimal("1234.50"),
        currency="INR",
        direction=Direction.IN,
        occurred_at=datetime(2025, 3, 5, 8, 33, tzinfo=UTC),
        title="UPI credit",
        summary="",
        counterparty="Ramesh Kumar",
        reference="412345678901",
        link="https://bank.example/tx?id=1&view=2",
        details={"Account": "XX1234", "Balance": "10,000.00 INR"},
    )
    base.update(changes)
    return Payment(**base)


def test_default_layout_puts_the_amount_first_and_bold_then_the_fields_in_order():
    html = AlertFormatter(KOLKATA).render(payment())
    check_markup(html)
    lines = html.split("\n")
    assert lines[0] == "🟢 <b>+1,234.50 INR</b>"
    text = parse_html(html)
    order = [
        "+1,234.50 INR",
        "UPI credit",
        "my_bank",
        "Ramesh Kumar",
        "412345678901",
        "Wed 5 Mar 2025, 14:03 IST",
    ]
    order += ["Open ↗", "Account: XX1234", "Balance: 10,000.00 INR"]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)
    assert '<a href="https://bank.example/tx?id=1&amp;view=2">' in html


def test_outgoing_money_and_notices():
    formatter = AlertFormatter(zoneinfo.ZoneInfo("UTC"))
    out = formatter.render(payment(direction=Direction.OUT))
    assert out.startswith("🔴 <b>−1,234.50 INR</b>") and "\nTo: Ramesh Kumar" in out
    notice = formatter.render(
        payment(amount=None, currency=None, direction=Direction.NONE, title="Sponsorship cancelled")
    )
    assert notice.startswith("ℹ️ <b>Sponsorship cancelled</b>")
    assert "Time: Wed 5 Mar 2025, 08:33 UTC" in notice


@pytest.mark.parametrize("field", ["title", "summary", "counterparty", "reference", "source"])
def test_every_inserted_value_is_escaped(field):
    html = AlertFormatter(KOLKATA).render(payment(**{field: HOSTILE}))
    check_markup(html)  # nothing the value contains can open or close a tag
    assert HOSTILE in parse_html(html)  # and the reader sees exactly what was sent


def test_every_template_field_is_escaped():
    formatter = AlertFormatter(KOLKATA, {"*": " | ".join(f"{{{name}}}" for name in TEMPLATE_FIELDS)})
    hostile = payment(**dict.fromkeys(["title", "summary", "counterparty", "reference", "kind"], HOSTILE))
    html = formatter.render(hostile.replace(external_id=HOSTILE, details={HOSTILE: HOSTILE}))
    check_markup(html)
    assert parse_html(html).count(HOSTILE) == 8  # 5 fields, external_id, a detail's name and value


def test_bidi_overrides_are_dropped_but_right_to_left_text_is_kept():
    html = AlertFormatter(KOLKATA).render(payment(counterparty=f"{OVERRIDE}שלום 05.432,1"))
    assert OVERRIDE not in html
    assert "From: שלום 05.432,1" in parse_html(html)


def test_hostile_details_and_links_are_escaped():
    hostile_link = 'https://x.example/"><b>x</b>?a=1&b=2'
    html = AlertFormatter(KOLKATA).render(payment(details={HOSTILE: HOSTILE}, link=hostile_link))
    check_markup(html)
    text = parse_html(html)
    assert f"{HOSTILE}: {HOSTILE}" in text
    assert 'href="https://x.example/&quot;&gt;&lt;b&gt;x&lt;/b&gt;?a=1&amp;b=2"' in html


def test_links_other_than_http_are_shown_not_linked():
    html = AlertFormatter(KOLKATA).render(payment(link="javascript:alert(1)"))
    assert "<a " not in html and "Link: javascript:alert(1)" in html


def test_huge_details_become_several_valid_messages():
    details = {f"line {index}": "x" * 256 for index in range(32)}  # as many as a payment holds
    messages = AlertFormatter(KOLKATA).messages(payment(details=details))
    assert len(messages) == 3
    for message in messages:
        check_markup(message)
        assert visible_len(message) <= 4096
    assert messages[0].startswith("🟢 <b>+1,234.50 INR</b>")
    seen = "\n".join(parse_html(message) for message in messages)
    assert all(f"line {index}: {'x' * 256}" in seen for index in range(32))


def test_a_template_per_source_with_escaped_fields():
    template = "{icon} <b>{money}</b> from <i>{counterparty}</i>\n{time}\n{link_html}"
    formatter = AlertFormatter(KOLKATA, {"my_bank": template})
    html = formatter.render(payment(counterparty=HOSTILE))
    check_markup(html)
    assert html.startswith("🟢 <b>+1,234.50 INR</b> from <i>")
    assert HOSTILE in parse_html(html)
    other = formatter.render(payment(source="github"))
    assert "Source: github" in other  # other sources keep the default layout


def test_a_wildcard_template_and_an_empty_result_falls_back():
    formatter = AlertFormatter(KOLKATA, {"*": "{reference}"})
    assert formatter.render(payment()) == "412345678901"
    assert formatter.render(payment(reference=None)).startswith("🟢 <b>+1,234.50 INR</b>")


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{amount.real}", "unknown field {amount.real}"),
        ("{details[0]}", "unknown field"),
        ("{title!r}", "conversions and format specs"),
        ("{title:>30}", "conversions and format specs"),
        ("{nope}", "unknown field {nope}"),
        ("{title", "literal braces"),
        ("<b>{title}", "never closed"),
        ("<script>{title}</script>", "unsupported tag"),
    ],
)
def test_unsafe_or_broken_templates_are_refused(template, problem):
    with pytest.raises(ValueError, match=problem.replace("{", r"\{").replace("[", r"\[")):
        check_template(template)


def test_literal_braces_are_allowed():
    check_template("{{not a field}} {title}")
    assert AlertFormatter(KOLKATA, {"*": "{{x}} {title}"}).render(payment()) == "{x} UPI credit"


def config(**changes):
    return TelegramConfig(type="telegram", **{"token": TOKEN, "destinations": [1], **changes})


def test_config_accepts_every_kind_of_destination():
    parsed = config(
        destinations=[
            123,
            "-1001234567890",
            "@payments_channel",
            {"chat_id": -100555, "message_thread_id": 7, "silent": True},
        ]
    )
    assert [d.target for d in parsed.destinations] == [
        "123",
        "-1001234567890",
        "@payments_channel",
        "-100555/7",
    ]
    assert parsed.destinations[1].chat_id == -1001234567890


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"destinations": []}, "at least 1"),
        ({"destinations": [1, "1"]}, "listed twice"),
        ({"destinations": ["not a chat"]}, "is not a chat id"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"token": "nope"}, "copy it from @BotFather"),
        ({"base_url": "127.0.0.1:8081"}, "root URL"),
        ({"templates": {"my_bank": "{bad}"}}, "template for 'my_bank': unknown field"),
        ({"timeout": 0}, "must be > 0"),
        ({"unknown_key": 1}, "Extra inputs are not permitted"),
    ],
)
def test_config_mistakes_get_one_clear_line(changes, problem):
    with pytest.raises(ValidationError, match=problem):
        config(**changes)


def test_config_errors_never_show_the_token():
    with pytest.raises(ValidationError) as caught:
        config(token="secret-looking-but-wrong")
    assert "secret-looking-but-wrong" not in str(caught.value.errors(include_input=False))


DOCS = (Path(__file__).resolve().parent.parent / "docs" / "telegram.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("model", [TelegramConfig, Destination, RateLimits], ids=lambda m: m.__name__)
def test_every_option_is_documented(model):
    missing = [name for name in model.model_fields if name != "type" and f"| `{name}` |" not in DOCS]
    assert not missing, f"docs/telegram.md does not describe {missing}"


def test_every_template_field_is_documented():
    assert [name for name in TEMPLATE_FIELDS if f"`{{{name}}}`" not in DOCS] == []
