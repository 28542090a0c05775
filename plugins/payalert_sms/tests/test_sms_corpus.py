"""The shared corpus's SMS, with their senders, through the sms source's verdict.

Only an SMS from a profile's DLT header may alert; of those, the payments must alert with all
fields right (as payalert-banktext's corpus test counts them), and no SMS that moves no money may
alert, whoever sent it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from payalert_banktext import make_chain
from payalert_sms.gateway import ForwardedSms
from payalert_sms.verdict import SmsSettings, classify_sms
from payalert_testing.banktext import read, records, wrong_fields

#: Of the payment SMS that come from a profile's header, the share that must alert all right.
TRUSTED_FLOOR = 0.97
RECEIVED = datetime(2026, 12, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def sms_records():
    return [record for record in records() if record.medium == "sms" and record.sender]


def test_trusted_payment_sms_alert_right_and_nothing_else_alerts(sms_records, capsys) -> None:
    chain = make_chain()
    trusted = right = negatives = false_alerts = 0
    for record in sms_records:
        verdict = classify_sms(ForwardedSms(record.sender, record.text, RECEIVED), chain, SmsSettings())
        if not record.is_payment:
            negatives += 1
            false_alerts += verdict.outcome == "payment"
            continue
        if verdict.issuer is None:
            assert verdict.outcome != "payment", record.sender
            continue
        trusted += 1
        right += verdict.outcome == "payment" and not wrong_fields(record, read(record))
    payments = sum(record.is_payment for record in sms_records)
    with capsys.disabled():
        print(
            f"\nSMS corpus: {payments} payment SMS with a sender, {trusted} from a profile's DLT header, "
            f"{right} alerted with all fields right; {false_alerts} of {negatives} others alerted"
        )
    assert false_alerts == 0
    assert right >= TRUSTED_FLOOR * trusted
