"""From one forwarded SMS to a verdict: payment, notice, or nothing, and why.

Only an SMS from an issuer's DLT header (``VM-HDFCBK``) can be a payment: anyone can send any
text from a phone number, and a sender id without an operator's prefix, or one no issuer
registered, is not a bank's. Such an SMS is dropped however bank-like it reads (and, when
``spoofed_notice`` is on, told as a possible spoofed bank SMS).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from payalert_banktext import (
    AlertText,
    IssuerProfile,
    NotATransaction,
    ParsedAlert,
    ParserChain,
    Refused,
    account_mismatch,
    alert_payment,
    issuer_of_sms_sender,
    looks_transactional,
    payment_match,
)

from payalert_core import DEFAULT_MATCH_WINDOW, Direction, InvalidPayment, Payment, one_line

from .config import SmsSourceConfig
from .gateway import ForwardedSms

Outcome = Literal["payment", "spoofed", "untrusted", "unparsed", "ignored", "not_bank", "other_account"]

SPOOFED_KIND = "bank.spoofed_sms"
UNPARSED_KIND = "bank.unparsed_sms"


@dataclass(frozen=True)
class SmsSettings:
    """How a source reads SMS: whose accounts count, and which notices it raises."""

    accounts: tuple[str, ...] = ()
    spoofed_notice: bool = False
    unparsed_notice: bool = True
    repeat_window: timedelta = DEFAULT_MATCH_WINDOW
    bank_headers: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: SmsSourceConfig) -> SmsSettings:
        """The settings of one ``type: sms`` section."""
        return cls(
            accounts=tuple(config.accounts),
            spoofed_notice=config.spoofed_notice,
            unparsed_notice=config.unparsed_notice,
            repeat_window=config.repeat_window,
            bank_headers=frozenset(config.bank_headers),
        )


@dataclass(frozen=True)
class SmsVerdict:
    """What payalert makes of one SMS, with every field ``sms explain`` shows."""

    outcome: Outcome
    sms: ForwardedSms
    issuer: IssuerProfile | None = None
    parser: str | None = None
    alert: ParsedAlert | None = None
    reason: str | None = None
    kind: str | None = None

    @property
    def external_id(self) -> str:
        """This SMS's dedupe key (the gateway's ``messageId`` is not unique, so not that)."""
        return f"sms:{self.sms.digest}"

    def to_json(self) -> dict[str, Any]:
        """The explain document: the sender's issuer, the outcome and why, the payment's fields."""
        document: dict[str, Any] = {
            "outcome": self.outcome,
            "from": self.sms.sender,
            "issuer": self.issuer.name if self.issuer else None,
            "trusted_sender": self.issuer is not None,
            "kind": self.kind,
            "parser": self.parser,
            "reason": self.reason,
        }
        if self.alert is not None:
            document.update(self.alert.to_json())
        return document

    def to_payment(self, source: str, settings: SmsSettings) -> Payment | None:
        """The payment or notice this SMS alerts as, or None when it alerts nothing."""
        if self.outcome == "payment" and self.alert is not None:
            alert = self.alert
            if alert.issuer is None and self.issuer is not None:  # the text names no bank: its sender did
                alert = dataclasses.replace(alert, issuer=self.issuer.name)
            match = payment_match(alert, self.sms.received_at, settings.repeat_window, self.issuer)
            try:
                return alert_payment(
                    alert, source=source, external_id=self.external_id, raw=self.raw(), match=match
                )
            except InvalidPayment as error:  # e.g. an amount of 10^15 or more: say a bank SMS came
                return _notice(self, source, UNPARSED_KIND, f"the alert's {error}")
        if self.outcome == "spoofed":
            return _notice(self, source, SPOOFED_KIND, self.reason or "")
        if self.outcome == "unparsed":
            return _notice(self, source, UNPARSED_KIND, self.reason or "")
        return None

    def raw(self) -> dict[str, Any]:
        """What a payment or notice keeps of the SMS (never its text: an OTP is a secret)."""
        return {
            "outcome": self.outcome,
            "from": self.sms.sender,
            "received_at": self.sms.received_at.isoformat(),
            "sim": self.sms.sim,
            "message_id": self.sms.message_id,
            "issuer": self.issuer.id if self.issuer else None,
            "kind": self.kind,
            "parser": self.parser,
        }


_NOTICE_TITLES = {
    SPOOFED_KIND: "Possible spoofed bank SMS from {sender}",
    UNPARSED_KIND: "Unread bank SMS from {sender}",
}
_NEXT_STEPS = {
    SPOOFED_KIND: (
        "Banks send alerts only from their registered sender ids (e.g. VM-HDFCBK), never from a phone "
        "number: do not act on it; check your balance in the bank's own app"
    ),
    UNPARSED_KIND: (
        "Run `payalert sms explain --text - --from <sender>` with this SMS to see why, "
        "then add a rule under this source's rules or report the wording"
    ),
}


def _notice(verdict: SmsVerdict, source: str, kind: str, reason: str) -> Payment:
    sender = one_line(verdict.sms.sender, 64)
    return Payment(
        source=source,
        kind=kind,
        external_id=f"{kind.rsplit('.', 1)[1]}:{verdict.sms.digest}",
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=verdict.sms.received_at,
        title=_NOTICE_TITLES[kind].format(sender=sender),
        summary=reason,
        details={
            "From": sender,
            "Text": one_line(verdict.sms.text, 300),
            "Reason": reason,
            "What to do": _NEXT_STEPS[kind],
        },
        raw=verdict.raw(),
    )


def classify_sms(sms: ForwardedSms, chain: ParserChain, settings: SmsSettings) -> SmsVerdict:
    """The verdict on one SMS: the sender's DLT header first, then the parsers, then the accounts."""
    issuer = issuer_of_sms_sender(sms.sender, settings.bank_headers)
    parser, result = chain.run(
        AlertText(text=sms.text, sender=sms.sender, sent_at=sms.received_at, medium="sms")
    )
    name = parser.name if parser else None
    kind = "transaction" if isinstance(result, ParsedAlert) else getattr(result, "kind", None)
    base: dict[str, Any] = {"sms": sms, "issuer": issuer, "parser": name, "kind": kind}
    if issuer is None:
        return _untrusted(result, sms, settings, base)
    if isinstance(result, ParsedAlert):
        foreign = account_mismatch(result.account_last4, settings.accounts)
        if foreign:
            return SmsVerdict("other_account", alert=result, reason=foreign, **base)
        return SmsVerdict("payment", alert=result, **base)
    if isinstance(result, NotATransaction):
        return SmsVerdict("ignored", reason=result.reason, **base)
    if not looks_transactional(sms.text):
        return SmsVerdict(
            "ignored", reason=f"{issuer.name}'s SMS without an amount that moved: not an alert", **base
        )
    why = (
        result.reason
        if isinstance(result, Refused)
        else f"no parser recognised it (tried {', '.join(chain.names)})"
    )
    return SmsVerdict("unparsed" if settings.unparsed_notice else "ignored", reason=why, **base)


def _untrusted(
    result: ParsedAlert | NotATransaction | Refused | None,
    sms: ForwardedSms,
    settings: SmsSettings,
    base: dict[str, Any],
) -> SmsVerdict:
    """An SMS from no issuer's DLT header: never a payment; bank-like ones are counted and may be told."""
    if isinstance(result, NotATransaction):  # an OTP, an offer …: nothing to warn about, nothing kept
        return SmsVerdict(
            "not_bank", reason=f"not from a bank's sender id, and no payment: {result.reason}", **base
        )
    if not isinstance(result, ParsedAlert) and not looks_transactional(sms.text):
        return SmsVerdict("not_bank", reason="not from a bank's sender id and not about money", **base)
    reason = (
        f"reads like a bank's payment SMS, but {one_line(sms.sender, 64)} is no bank's registered sender id "
        "(banks send alerts from ids such as VM-HDFCBK, never from a phone number)"
    )
    return SmsVerdict("spoofed" if settings.spoofed_notice else "untrusted", reason=reason, **base)
