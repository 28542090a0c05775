"""How a payment looks in Telegram: the default HTML layout and per-source templates.

Every value taken from a payment is escaped with :func:`html.escape` before it meets markup, so a
sender name such as ``<script>&`` is shown as typed and can never open a tag; bidi override
characters are dropped so a value cannot reverse how the rest of its line reads.

Templates use ``str.format`` syntax restricted to plain field names: ``{amount}`` works,
``{amount.real}``, ``{details[0]}``, ``{title!r}`` and ``{title:>9}`` are refused when the config
is loaded, as is markup Telegram would reject. Write ``{{`` and ``}}`` for literal braces.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from .. import Direction, Payment, format_amount
from .telegram_html import MarkupError, check_markup, split_html, tokenize

#: The fields a template may use; each value is already HTML-escaped.
TEMPLATE_FIELDS: dict[str, str] = {
    "icon": "an emoji for the direction: 🟢 in, 🔴 out, ℹ️ notice",
    "money": "signed amount with currency, e.g. +1,234.50 INR (empty for a notice)",
    "amount": "the amount alone, e.g. 1,234.50",
    "currency": "currency code, e.g. INR",
    "direction": "in, out or none",
    "title": "one-line title",
    "summary": "longer description (may be empty)",
    "source": "the source's name in config",
    "kind": "dotted kind, e.g. github.sponsorship.created",
    "counterparty": "who paid or was paid",
    "reference": "transaction reference",
    "time": "when it happened, in the configured time zone",
    "link": "the link's URL",
    "link_html": 'a clickable "Open" link, or empty',
    "details": "extra fields, one 'Name: value' per line",
    "external_id": "the source's id of this payment",
}

_ICONS = {Direction.IN: "🟢", Direction.OUT: "🔴", Direction.NONE: "ℹ️"}
_SIGNS = {Direction.IN: "+", Direction.OUT: "−", Direction.NONE: ""}
_PARTY_LABELS = {Direction.IN: "From", Direction.OUT: "To", Direction.NONE: "Who"}
_LINK_SCHEMES = ("https://", "http://", "tg://")
#: Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): a sender name holding one
#: could visually reverse the rest of a line. Right-to-left letters themselves pass unchanged.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def escape(value: Any) -> str:
    """HTML-escape a value for Telegram, dropping bidi overrides (``None`` becomes "")."""
    return "" if value is None else html.escape(str(value).translate(_BIDI_CONTROLS), quote=True)


class _PlainFieldFormatter(string.Formatter):
    """``str.format`` without attribute access, indexing, conversions or format specs."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name not in TEMPLATE_FIELDS:
            raise KeyError(field_name)
        return kwargs[field_name], field_name


_FORMATTER = _PlainFieldFormatter()


def check_template(template: str) -> None:
    """Raise ValueError with one clear line when ``template`` cannot be used."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as error:
        raise ValueError(f"{error} (write {{{{ and }}}} for literal braces)") from None
    for _, field, conversion, spec in parsed:
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS:
            raise ValueError(f"unknown field {{{field}}}; use one of {', '.join(TEMPLATE_FIELDS)}")
        if conversion or spec:
            raise ValueError(f"{{{field}}}: conversions and format specs are not supported")
    sample = _FORMATTER.format(template, **dict.fromkeys(TEMPLATE_FIELDS, "x"))
    try:
        check_markup(sample)
    except MarkupError as error:
        raise ValueError(f"Telegram would refuse this HTML: {error}") from None


class AlertFormatter:
    """Turns a payment into Telegram HTML messages, each within Telegram's length limit."""

    def __init__(self, zone: tzinfo, templates: Mapping[str, str] | None = None) -> None:
        self.zone = zone
        self.templates = dict(templates or {})

    def messages(self, payment: Payment) -> list[str]:
        """The message texts for one payment (one, or several when it is very long)."""
        chunks = split_html(self.render(payment))
        return chunks or split_html(self.default_layout(payment))

    def render(self, payment: Payment) -> str:
        """The whole alert as HTML: the source's template if there is one, else the default layout."""
        template = self.templates.get(payment.source, self.templates.get("*"))
        if template is None:
            return self.default_layout(payment)
        text = _FORMATTER.format(template, **self.fields(payment)).strip()
        if not any(token.kind == "text" and not token.raw.isspace() for token in tokenize(text)):
            return self.default_layout(payment)  # every field the template uses was empty
        return text

    def time(self, moment: datetime) -> str:
        """``Wed 5 Mar 2025, 14:03 IST``: short, unambiguous, in the configured zone."""
        local = moment.astimezone(self.zone)
        return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or ''}".rstrip()

    def short_time(self, moment: datetime) -> str:
        """``5 Mar 14:03``, for lists."""
        local = moment.astimezone(self.zone)
        return f"{local.day} {local:%b %H:%M}"

    def fields(self, payment: Payment) -> dict[str, str]:
        """Every template field for ``payment``, HTML-escaped."""
        amount = currency = money = ""
        if payment.amount is not None and payment.currency is not None:
            text = format_amount(payment.amount, payment.currency)
            amount, currency = text.rsplit(" ", 1)
            money = f"{_SIGNS[payment.direction]}{text}"
        link = payment.link or ""
        link_html = f'<a href="{escape(link)}">Open ↗</a>' if link.startswith(_LINK_SCHEMES) else ""
        details = "\n".join(f"{escape(key)}: {escape(value)}" for key, value in payment.details.items())
        return {
            "icon": _ICONS[payment.direction],
            "money": escape(money),
            "amount": escape(amount),
            "currency": escape(currency),
            "direction": payment.direction.value,
            "title": escape(payment.title),
            "summary": escape(payment.summary),
            "source": escape(payment.source),
            "kind": escape(payment.kind),
            "counterparty": escape(payment.counterparty),
            "reference": escape(payment.reference),
            "time": escape(self.time(payment.occurred_at)),
            "link": escape(link),
            "link_html": link_html,
            "details": details,
            "external_id": escape(payment.external_id),
        }

    def default_layout(self, payment: Payment) -> str:
        """Amount first and bold, then title, source, counterparty, reference, time, link, details."""
        f = self.fields(payment)
        headline = f["money"] if payment.amount is not None else f["title"]
        lines = [f"{f['icon']} <b>{headline}</b>"]
        if payment.amount is not None and f["title"]:
            lines.append(f["title"])
        if f["summary"] and payment.summary != payment.title:
            lines.append(f"<i>{f['summary']}</i>")
        lines.append("")
        lines.append(f"Source: {f['source']}")
        if f["counterparty"]:
            lines.append(f"{_PARTY_LABELS[payment.direction]}: {f['counterparty']}")
        if f["reference"]:
            lines.append(f"Ref: <code>{f['reference']}</code>")
        lines.append(f"Time: {f['time']}")
        if f["link_html"]:
            lines.append(f["link_html"])
        elif f["link"]:
            lines.append(f"Link: {f['link']}")
        if f["details"]:
            lines.append("")
            lines.append(f["details"])
        return "\n".join(lines)

    def compact(self, payment: Payment) -> str:
        """One line for lists: ``• 5 Mar 14:03 · +1,234.50 INR · my_bank — title``.

        A stored payment that cannot be formatted (one from before today's bounds) gets a line
        saying so, so one old row never breaks ``/last`` or ``/status``.
        """
        try:
            f = self.fields(payment)
            when = self.short_time(payment.occurred_at)
        except (ArithmeticError, ValueError):  # an amount or time out of range: what formatting raises
            return (
                f"• {escape(payment.source)} — a payment that cannot be shown ({escape(payment.external_id)})"
            )
        money = f"<b>{f['money']}</b> · " if f["money"] else ""
        return f"• {escape(when)} · {money}{f['source']} — {f['title']}"
