"""The ``type: sms`` section: what it needs and the one-line errors it gives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from payalert_sms.config import SmsSourceConfig
from payalert_testing.sms import SIGNING_KEY
from pydantic import ValidationError


def test_defaults() -> None:
    config = SmsSourceConfig(type="sms", signing_key=SIGNING_KEY)
    assert config.repeat_window == timedelta(minutes=10) and config.accounts == []
    assert (config.spoofed_notice, config.unparsed_notice) == (False, True)
    assert SIGNING_KEY not in repr(config)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "signing_key"),
        ({"signing_key": "short"}, "at least 16 characters"),
        ({"signing_key": SIGNING_KEY, "accounts": [4477, "12"]}, "last 4 digits"),
        ({"signing_key": SIGNING_KEY, "repeat_window": "2d"}, "between 0s and 1d"),
        ({"signing_key": SIGNING_KEY, "secret": "x"}, "secret"),
        ({"signing_key": SIGNING_KEY, "bank_headers": ["VM-XYZBNK"]}, "without the operator's prefix"),
        ({"signing_key": SIGNING_KEY, "bank_headers": ["XY"]}, "3 to 9 letters or digits"),
    ],
)
def test_mistakes_are_named(options: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SmsSourceConfig(type="sms", **options)


def test_bank_headers_are_kept_upper_case() -> None:
    config = SmsSourceConfig(type="sms", signing_key=SIGNING_KEY, bank_headers=["xyzbnk", "ABCB4K"])
    assert config.bank_headers == ["XYZBNK", "ABCB4K"]
