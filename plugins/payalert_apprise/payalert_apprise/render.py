"""How a payment reads in Apprise: the headline as the title, the labelled lines as the body.

The title and the lines are the core's plain-text layout (the same ones the console notifier
prints), so an alert reads the same everywhere. ``markdown`` and ``html`` bodies escape every value
taken from the payment, so a sender named ``**<b>x</b>**`` is shown as typed and never formats or
opens a tag. Apprise converts the body to each service's own format.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import tzinfo

from payalert_core import Direction, Payment, headline, plain_lines

#: Apprise notification types: services colour or badge the alert by it.
NOTIFY_TYPES = {Direction.IN: "success", Direction.OUT: "info", Direction.NONE: "warning"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
_MARKDOWN_BULLET = re.compile(r"^(\s*)([-=])")
_MARKDOWN_NUMBERED = re.compile(r"^(\s*\d+)\.")
_LINK_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class Message:
    """One alert as Apprise takes it."""

    title: str
    body: str
    notify_type: str
    body_format: str


class MessageRenderer:
    """Turns a payment into a :class:`Message` in one body format (text, markdown or html)."""

    def __init__(self, body_format: str, zone: tzinfo) -> None:
        if body_format not in ("text", "markdown", "html"):
            raise ValueError(f"unknown body format {body_format!r}")
        self.body_format = body_format
        self.zone = zone

    def render(self, payment: Payment) -> Message:
        """The title, body and notification type for ``payment``."""
        summary = payment.summary if payment.summary and payment.summary != payment.title else ""
        lines = plain_lines(payment, self.zone)
        if self.body_format == "markdown":
            body = self._markdown(summary, lines, payment.link)
        elif self.body_format == "html":
            body = self._html(summary, lines, payment.link)
        else:
            body = "\n".join([*([summary] if summary else []), *(f"{k}: {v}" for k, v in lines)])
        return Message(headline(payment), body, NOTIFY_TYPES[payment.direction], self.body_format)

    @staticmethod
    def _markdown(summary: str, lines: list[tuple[str, str]], link: str | None) -> str:
        out = [escape_markdown(summary)] if summary else []
        for label, value in lines:
            if value == link and _is_web_link(value):
                shown = f"<{value}>"  # an autolink; _is_web_link refused spaces and angle brackets
            else:
                shown = escape_markdown(value)
            out.append(f"**{escape_markdown(label)}:** {shown}")
        return "\n".join(out)

    @staticmethod
    def _html(summary: str, lines: list[tuple[str, str]], link: str | None) -> str:
        out = [f"<i>{escape_html(summary)}</i>"] if summary else []
        for label, value in lines:
            if value == link and _is_web_link(value):
                shown = f'<a href="{escape_html(value)}">{escape_html(value)}</a>'
            else:
                shown = escape_html(value)
            out.append(f"<b>{escape_html(label)}:</b> {shown}")
        return "<br/>\n".join(out)


def escape_markdown(value: str) -> str:
    """``value`` with Markdown's inline syntax and line-start markers backslash-escaped."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", value)
    lines = (_MARKDOWN_BULLET.sub(r"\1\\\2", line) for line in escaped.split("\n"))
    return "\n".join(_MARKDOWN_NUMBERED.sub(r"\1\\.", line) for line in lines)


def escape_html(value: str) -> str:
    """``value`` HTML-escaped, quotes included."""
    return html.escape(value, quote=True)


def _is_web_link(value: str) -> bool:
    return value.startswith(_LINK_SCHEMES) and not re.search(r"[\s<>]", value)
