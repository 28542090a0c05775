"""Message kinds, decided before any field is read: only a completed transaction is a payment."""

from __future__ import annotations

import pytest
from payalert_banktext import KIND_MEANINGS, read_alert
from payalert_banktext.kinds import CIRCUMSTANTIAL, DECISIVE, circumstantial_kind, decisive_kind

KIND_EXAMPLES = [
    ("otp", "482910 is your OTP for a txn of Rs.2,000.00 at SHOP on your card XX1234. Do not share it."),
    ("otp", "Your One Time Password for the payment of INR 350 is 9931."),
    ("promotion", "Flat Rs.500 off on your next order with your HDFC Bank card. Use code SAVE500."),
    ("promotion", "You've earned 250 reward points on your card XX1234!"),
    ("reminder", "Your card XX1234 bill of Rs 12,400 is due on 05-02-26. Minimum due Rs 620."),
    ("statement", "Your e-statement for card XX1234 has been sent. Total Amt Due Rs 4,500."),
    ("balance", "Your A/c XX1234 balance is Rs 8,912.40 as on 02-02-26."),
    ("declined", "Rs.1,200.00 txn at SHOP on your card XX1234 was declined: wrong PIN."),
    ("declined", "Payment of Rs 99 could not be processed. Please retry."),
    ("pending", "Rs.649 will be debited from your A/c XX1234 on 07-02-26 for an AutoPay."),
    ("pending", "NEFT txn initiated: Rs.5,000 from your A/c XX1234 to RAVI."),
    ("mandate", "Your AutoPay mandate of Rs 499.00 for MUSICAPP is successfully created on card XX1234."),
    ("mandate", "UPI AutoPay for MUSICAPP from a/c XX1234 for Rs. 199 is revoked."),
    ("collect_request", "RAVI has requested money from you. On approval Rs 300 will be debited."),
    ("collect_request", "You have a collect request of Rs. 250 from ravi@okaxis."),
    (
        "transaction",
        "Rs.640.00 debited from A/c XX1234 on 02-02-26 to VPA shop@okaxis. UPI Ref 604512345678.",
    ),
]


@pytest.mark.parametrize(("kind", "text"), KIND_EXAMPLES)
def test_every_kind_is_told_from_its_words(kind: str, text: str) -> None:
    reading = read_alert(text, sender="VM-HDFCBK", medium="sms")
    assert reading.kind == kind, (reading.kind, reading.reason)
    assert reading.is_payment == (kind == "transaction")
    if kind != "transaction":
        assert KIND_MEANINGS[kind] in (reading.reason or "")
        assert reading.cue and reading.cue.lower() in text.lower()


def test_a_footer_or_a_side_remark_does_not_make_a_payment_something_else() -> None:
    text = (
        "Rs.1,250.00 debited from your A/c XX1234 on 02-02-26 towards an AutoPay mandate of ACME. "
        "Avl bal Rs 10,000.00. Get exciting offers on our cards, T&C apply."
    )
    reading = read_alert(text, sender="alerts@hdfcbank.net")
    assert reading.kind == "transaction" and reading.is_payment


def test_the_cue_that_decided_is_named_as_a_rule() -> None:
    decided = decisive_kind("Rs.649 will be debited on 07-02-26")
    assert decided is not None and decided.kind == "pending" and decided.rule.startswith("kind:pending:c")
    assert circumstantial_kind("Your card statement is ready") is not None
    assert decisive_kind("Rs.640 debited from A/c XX1234") is None


def test_every_kind_has_a_meaning() -> None:
    kinds = {cue.kind for cue in (*DECISIVE, *CIRCUMSTANTIAL)} | {"transaction", "receipt", "other"}
    assert kinds <= set(KIND_MEANINGS)
