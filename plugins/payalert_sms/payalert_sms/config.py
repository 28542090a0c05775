"""The ``type: sms`` source section of ``config.yaml``."""

from __future__ import annotations

from payalert_banktext import RepeatWindow, RuleConfig, account_digits
from pydantic import Field, field_validator

from payalert_core import DEFAULT_MATCH_WINDOW, SourceConfig, WebhookSecret


class SmsSourceConfig(SourceConfig):
    """One phone forwarding its SMS: the signing key, whose SMS count, and which notices to raise."""

    signing_key: WebhookSecret = Field(
        description="The app's Settings > Webhooks > Signing Key (16+ characters); other forwarders sign with it too."
    )
    accounts: list[str] = Field(
        default_factory=list,
        description="Last 4 digits of your accounts and cards; alerts for any other are not payments.",
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

    @field_validator("accounts", mode="before")
    @classmethod
    def _account_digits(cls, value: object) -> object:
        return account_digits(value)
