"""Any signed body, however odd, is an SMS, a 400 reason, or an ignored event: never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from payalert_banktext import make_chain
from payalert_sms.gateway import BadRequest, gateway_event, sms_from_gateway
from payalert_sms.verdict import SmsSettings, classify_sms
from payalert_testing.fuzzing import fuzz_settings

CHAIN = make_chain()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
PAYLOAD = st.fixed_dictionaries(
    {},
    optional={
        "message": st.text(max_size=300) | JSON,
        "phoneNumber": st.sampled_from(["VM-HDFCBK", "+919876543210", "AX-ICICIT-S", "HDFCBK"])
        | st.text(max_size=20),
        "receivedAt": st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)
        | st.text(max_size=30)
        | JSON,
        "simNumber": JSON,
        "messageId": JSON,
    },
)


@fuzz_settings(300)
@given(
    body=st.fixed_dictionaries(
        {"event": st.sampled_from(["sms:received", "system:ping", "x"]) | JSON},
        optional={"payload": PAYLOAD | JSON},
    )
)
def test_a_body_is_an_sms_or_a_named_refusal(body: dict) -> None:
    try:
        event, payload = gateway_event(body)
        if event != "sms:received":
            return
        sms = sms_from_gateway(payload)
    except BadRequest as error:
        assert str(error).split(":")[0] in {
            "event",
            "payload",
            "message",
            "phoneNumber",
            "receivedAt",
            "the body must be a JSON object",
        }
        return
    verdict = classify_sms(sms, CHAIN, SmsSettings(spoofed_notice=True))
    payment = verdict.to_payment("phone", SmsSettings())
    if verdict.issuer is None:
        assert payment is None or payment.amount is None
