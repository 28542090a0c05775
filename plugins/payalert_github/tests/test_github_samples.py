"""The built-in samples send-test posts are realistic: each one parses into the alert it stands for."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from payalert_github.config import SPONSORSHIP_ACTIONS
from payalert_github.samples import SAMPLE_EVENTS, sample_payload
from payalert_github.sponsorship import sponsorship_payment

from payalert_core import Direction

NOW = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
MONEY = {"created": Decimal("12.34")}  # an upgrade (tier_changed) is a notice of the new price


@pytest.mark.parametrize("action", SPONSORSHIP_ACTIONS)
def test_each_sample_is_the_action_it_names(action: str) -> None:
    event, payload = sample_payload(action, NOW)
    assert event == "sponsorship"
    payment = sponsorship_payment(payload, "sample", NOW)
    assert payment.kind == f"github.sponsorship.{action}"
    assert payment.amount == MONEY.get(action)
    assert payment.direction is (Direction.IN if action in MONEY else Direction.NONE)
    if action.startswith("pending_"):
        assert payment.details["Effective"] == "31 May 2024"


def test_ping_sample_and_unknown_names() -> None:
    assert "ping" in SAMPLE_EVENTS
    event, payload = sample_payload("ping", NOW)
    assert event == "ping" and payload["hook"]["events"] == ["sponsorship"]
    with pytest.raises(ValueError, match="no sample"):
        sample_payload("renewed", NOW)
