"""The ``type: sms`` source section of ``config.yaml``."""

from __future__ import annotations

import re

from payalert_banktext import RepeatWindow, RuleConfig, account_digits
from pydantic import Field, field_validator

from payalert_core import DEFAULT_MATCH_WINDOW, SourceConfig, WebhookSecret

#: A DLT header as the user writes it in ``bank_headers``.
DLT_HEADER = re.compile(r"[A-Za-z0-9]{3,9}")


class SmsSourceConfig(SourceConfig):
    """One phone forwarding its SMS: the signing key, whose SMS count, and which notices to raise."""

    signing_key: WebhookSecret = Field(
        description="The app's Settings > Webhooks > Signing Key (16+ characters); other forwarders sign with it too."
    )
    accounts: list[str] = Field(
        default_factory=list,
        description="Last 4 digits of your accounts and cards; alerts for any other are not payments.",
    )
    bank_headers: list[str] = Field(
        default_factory=list,
        description="More DLT headers whose SMS is a bank's (e.g. XYZBNK, for a bank payalert does not know yet).",
    )
    spoofed_notice: bool = Field(
        default=False,
        description="Tell a bank-like SMS from a phone number or an unknown sender as a possible spoofed bank SMS.",
    )
    unparsed_notice: bool = Field(
        default=True, description="Notice for a bank's SMS about money that no parser read."
    )
    repeat_window: RepeatWindow = Field(
        default=DEFAULT_MATCH_WINDOW,
        description="Two alerts of one issuer without a common reference, this close, are one payment.",
    )
    rules: list[RuleConfig] = Field(default_factory=list, description="Your own regex rules, tried first.")

    @field_validator("bank_headers")
    @classmethod
    def _dlt_headers(cls, value: list[str]) -> list[str]:
        for header in value:
            if not DLT_HEADER.fullmatch(header):
                raise ValueError(
                    f"{header[:20]!r} is not a DLT header: 3 to 9 letters or digits, without the operator's"
                    " prefix (XYZBNK for VM-XYZBNK)"
                )
        return [header.upper() for header in value]

    @field_validator("accounts", mode="before")
    @classmethod
    def _account_digits(cls, value: object) -> object:
        return account_digits(value)
