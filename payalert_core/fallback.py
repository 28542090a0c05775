"""The plain alert sent in place of a payment a notifier cannot show, so the user still hears of it."""

from __future__ import annotations

from datetime import UTC, datetime

from .bounds import one_line
from .model import Direction, Payment

#: The kind of the stand-in alert (``silent_kinds`` and templates can match it).
FALLBACK_KIND = "payalert.unshowable"
#: How much of the stored amount and of the error the stand-in repeats.
_AMOUNT_TEXT_LIMIT = 48
_PROBLEM_LIMIT = 300


def fallback_alert(payment: Payment, problem: str) -> Payment:
    """A minimal notice standing in for ``payment``: that it arrived, where from, and why it is not shown.

    Built only from short text (source, kind, id, the amount as stored and ``problem``, each cut
    short) with the time of sending, so every notifier can show it: it holds nothing that made the
    payment itself fail.
    """
    problem = one_line(problem, _PROBLEM_LIMIT)
    details = {"Source": payment.source, "Kind": payment.kind, "Id": payment.external_id}
    if payment.amount is not None:
        details["Amount as stored"] = one_line(f"{payment.amount} {payment.currency}", _AMOUNT_TEXT_LIMIT)
    details["Problem"] = problem
    return Payment(
        source=payment.source,
        kind=FALLBACK_KIND,
        external_id=payment.external_id,
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=datetime.now(UTC),
        title=f"A payment from {payment.source} arrived but cannot be shown",
        summary="payalert stored it; `payalert deliveries` lists it as failed, with the reason.",
        details=details,
    )
