"""Alert wordings of many issuers (``payalert_testing.banktext_wordings``), read by the grammar.

None of these texts is a corpus text: they check that the grammar reads the forms they name, across
issuers, SMS and mail alike, and sets aside what is no payment.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from payalert_banktext import read_alert
from payalert_testing.banktext_wordings import NOT_PAYMENTS, PAYMENTS


@pytest.mark.parametrize(
    ("sender", "text", "expected"), PAYMENTS, ids=lambda v: v if isinstance(v, str) else None
)
def test_payments_of_many_issuers_are_read_with_every_field(sender: str, text: str, expected: tuple) -> None:
    reading = read_alert(text, sender=sender, medium="sms")
    assert reading.alert is not None, (reading.kind, reading.reason)
    alert = reading.alert
    amount, direction, last4, reference = expected
    assert (alert.amount, alert.direction) == (Decimal(amount), direction)
    assert (alert.account_last4, alert.reference) == (last4, reference)


@pytest.mark.parametrize(
    ("sender", "text", "kind"), NOT_PAYMENTS, ids=lambda v: v[:40] if isinstance(v, str) else None
)
def test_messages_that_move_no_money_are_not_payments_and_say_what_they_are(
    sender: str, text: str, kind: str
) -> None:
    reading = read_alert(text, sender=sender, medium="sms")
    assert reading.alert is None and reading.kind == kind and reading.reason, reading
