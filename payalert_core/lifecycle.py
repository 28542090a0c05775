"""A payment's life: alerts sharing an ``identity`` are status changes of one payment, not new ones.

The first alert of an identity is sent as usual; each later one reaches the notifier as a
:class:`StatusUpdate` (:meth:`Notifier.send_update <payalert_core.Notifier.send_update>`), which
edits the first message where the notifier can, and sends a short follow-up line where it cannot.
Money is never counted twice: only the alert reporting a completed status carries an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from .model import Direction, Payment, format_amount

#: Status words after which a payment moved no money.
_ENDED_WITHOUT_MONEY = ("cancel", "fail", "reject", "expire", "refus")


@dataclass(frozen=True)
class StatusUpdate:
    """A later alert (``payment``) of the payment whose first alert was ``first``."""

    payment: Payment
    first: Payment

    @property
    def mark(self) -> str:
        """✔ for money received or sent, ✖ for a payment that ended without money, else ℹ."""
        if ended_without_money(self.payment.status):
            return "✖"
        return "✔" if self.payment.amount is not None else "ℹ"

    def follow_up_line(self, zone: tzinfo | None = None) -> str:
        """One line naming the first alert: ``✔ credited: +0.001 BNB deposit from 14:02``.

        The first alert's time is shown in ``zone`` (default: as the source gave it).
        """
        status = self.payment.status or "updated"
        amount = _signed_amount(self.payment) or _signed_amount(self.first)
        words = [f"{self.mark} {status}:"]
        if amount:
            words.append(amount)
        when = self.first.occurred_at if zone is None else self.first.occurred_at.astimezone(zone)
        words.append(f"{_subject(self.first)} from {when:%H:%M}")
        return " ".join(words)

    def follow_up(self, zone: tzinfo | None = None) -> Payment:
        """The follow-up as an alert of its own: the line as title, the first alert's title below it.

        It carries no amount: the alert it follows, or this status change, counted the money.
        """
        return self.payment.replace(
            amount=None,
            currency=None,
            direction=Direction.NONE,
            title=self.follow_up_line(zone),
            summary=self.payment.title,
            details={},
        )


def ended_without_money(status: str | None) -> bool:
    """True for a status after which a payment moved no money (cancelled, failed…)."""
    text = (status or "").lower()
    return any(word in text for word in _ENDED_WITHOUT_MONEY)


def _signed_amount(payment: Payment) -> str | None:
    if payment.amount is None or payment.currency is None:
        return payment.details.get("Amount")
    sign = {Direction.IN: "+", Direction.OUT: "−"}.get(payment.direction, "")
    return sign + format_amount(payment.amount, payment.currency)


def _subject(payment: Payment) -> str:
    """What the payment is, from its kind (``binance.p2p.sell.completed`` -> ``P2P sell``)."""
    middle = payment.kind.split(".")[1:-1]
    words = " ".join(middle).replace("_", " ") if middle else "payment"
    return words.replace("p2p", "P2P")
