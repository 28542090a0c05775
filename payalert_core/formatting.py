"""Plain-text rendering of a payment, shared by text notifiers."""

from __future__ import annotations

from datetime import tzinfo

from .model import Direction, Payment, format_amount

_ARROWS = {Direction.IN: "+", Direction.OUT: "-", Direction.NONE: ""}


def headline(payment: Payment) -> str:
    """``+1,250.00 INR  HDFC UPI credit`` or, for a notice, just its title."""
    if payment.amount is None or payment.currency is None:
        return payment.title
    return f"{_ARROWS[payment.direction]}{format_amount(payment.amount, payment.currency)}  {payment.title}"


def plain_lines(payment: Payment, timezone: tzinfo | None = None) -> list[tuple[str, str]]:
    """Labelled lines after the headline, in the order people read them."""
    shown = payment.occurred_at.astimezone(timezone) if timezone else payment.occurred_at
    lines = [("Source", payment.source)]
    if payment.counterparty:
        lines.append(
            (
                "From"
                if payment.direction is Direction.IN
                else "To"
                if payment.direction is Direction.OUT
                else "Who",
                payment.counterparty,
            )
        )
    if payment.reference:
        lines.append(("Ref", payment.reference))
    lines.append(("When", shown.strftime("%Y-%m-%d %H:%M %Z").strip()))
    lines.extend(payment.details.items())
    if payment.link:
        lines.append(("Link", payment.link))
    return lines


def format_plain(payment: Payment, timezone: tzinfo | None = None) -> str:
    """A multi-line plain-text alert."""
    text = [headline(payment)]
    if payment.summary:
        text.append(payment.summary)
    text.extend(f"  {label}: {value}" for label, value in plain_lines(payment, timezone))
    return "\n".join(text)
