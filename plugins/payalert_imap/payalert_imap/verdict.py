"""From one e-mail (or a bare alert text) to a verdict: payment, warning notice, or nothing, and why."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from payalert_banktext import (
    AlertParser,
    AlertText,
    NotATransaction,
    ParsedAlert,
    ParserChain,
    Refused,
    account_mismatch,
    alert_payment,
    issuer_of_sender,
    looks_transactional,
    payment_match,
    sender_matches,
)

from payalert_core import DEFAULT_MATCH_WINDOW, Direction, InvalidPayment, Payment

from .accounts import recipient_mismatch
from .banks import is_bank_domain
from .message import MailFacts
from .reading import reading_conflict
from .trust import TrustResult, check_trust, signed_recipients, to_addresses

Outcome = Literal["payment", "suspicious", "unparsed", "ignored", "not_bank", "filtered", "other_account"]

SUSPICIOUS_KIND = "bank.suspicious_email"
UNPARSED_KIND = "bank.unparsed_email"
OTHER_ACCOUNT_KIND = "bank.other_account_email"


@dataclass(frozen=True)
class ReadSettings:
    """How a source reads mail: filters, trust and which notices it raises."""

    require_authentication: bool = True
    authserv_ids: tuple[str, ...] = ("mx.google.com",)
    allow_empty_authserv_id: bool = False
    bank_domains: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    owner_addresses: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    subject_patterns: tuple[str, ...] = ()
    suspicious_notice: bool = True
    unparsed_notice: bool = True
    repeat_window: timedelta = DEFAULT_MATCH_WINDOW
    _subjects: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_subjects", tuple(re.compile(p, re.I) for p in self.subject_patterns))

    def filtered_out(self, facts: MailFacts) -> str | None:
        """Why the source's own filters skip this mail, or None when it passes them."""
        if self.senders and not any(sender_matches(s, list(self.senders)) for s in facts.senders):
            return "sender is not in senders"
        if self._subjects and not any(p.search(facts.subject) for p in self._subjects):
            return "subject matches none of subject_patterns"
        return None

    def is_bank_sender(self, facts: MailFacts) -> bool:
        """Mail from a bank domain, or from a sender the user listed."""
        domain = facts.sender.rpartition("@")[2]
        if self.senders and sender_matches(facts.sender, list(self.senders)):
            return True
        return is_bank_domain(domain, self.bank_domains)


@dataclass(frozen=True)
class Verdict:
    """What payalert makes of one message, with every field for ``imap explain``."""

    outcome: Outcome
    trust: TrustResult
    parser: str | None = None
    alert: ParsedAlert | None = None
    reason: str | None = None
    subject: str = ""
    sender: str = ""
    message_id: str | None = None
    sent_at: datetime | None = None
    digest: str | None = None
    #: What kind of message the parser saw (``transaction``, ``otp``, ``pending`` …), and whose.
    kind: str | None = None
    issuer: str | None = None
    date_note: str | None = None

    @property
    def is_payment(self) -> bool:
        """True when this verdict becomes a payment alert."""
        return self.outcome == "payment" and self.alert is not None

    def to_json(self) -> dict[str, Any]:
        """The explain document: fields of the payment (null when none), parser, trust, reason."""
        alert = self.alert if self.is_payment else None
        document: dict[str, Any] = {
            "outcome": self.outcome,
            "amount": None,
            "currency": None,
            "direction": None,
            "account_last4": None,
            "counterparty": None,
            "vpa": None,
            "reference": None,
            "occurred_at": None,
            "balance": None,
            "channel": None,
            "kind": self.kind,
            "issuer": self.issuer,
            "parser": self.parser,
            "trust": self.trust.to_json(),
            "reason": self.reason,
            "subject": self.subject or None,
            "from": self.sender or None,
        }
        if alert is not None:
            document.update(alert.to_json())
        elif self.alert is not None:
            document["parsed"] = self.alert.to_json()
        return document

    def to_payment(
        self, context: Mapping[str, Any] | None = None, repeat_window: timedelta = DEFAULT_MATCH_WINDOW
    ) -> Payment | None:
        """The payment or notice this verdict alerts as, or None when it alerts nothing.

        A payment carries its :class:`~payalert_core.PaymentMatch`, so the same payment told by
        SMS too (or by another mail) alerts once; ``repeat_window`` is the source's.
        """
        if self.is_payment and self.alert is not None:
            try:
                return _payment(self, self.alert, context or {}, repeat_window)
            except InvalidPayment as error:  # e.g. an amount of 10^15 or more: say a bank mail came
                unread = dataclasses.replace(self, outcome="unparsed", reason=f"the alert's {error}")
                return _notice(unread, context or {})
        if self.outcome in ("suspicious", "unparsed", "other_account"):
            return _notice(self, context or {})
        return None


def classify_mail(facts: MailFacts, chain: ParserChain, settings: ReadSettings) -> Verdict:
    """The verdict on one parsed e-mail: filters, parsers, then the trust check."""
    base = {
        "subject": facts.subject,
        "sender": facts.sender or ", ".join(facts.senders),
        "message_id": facts.message_id,
        "sent_at": facts.sent_at,
        "digest": facts.digest,
        "date_note": facts.date_note,
    }
    skipped = settings.filtered_out(facts)
    if skipped:
        return Verdict(
            "filtered", TrustResult("not_checked", "filtered before the trust check"), reason=skipped, **base
        )
    parser, result = chain.run(facts.alert_text())
    base.update(kind_and_issuer(result))
    if isinstance(result, ParsedAlert) and (conflict := reading_conflict(facts, chain, result)):
        result = Refused(result.parser, conflict)
    bank_sender = settings.is_bank_sender(facts)
    if not settings.require_authentication:
        trust = TrustResult("not_checked", "require_authentication is off")
    elif result is None and not bank_sender:
        trust = TrustResult("not_checked", "not a bank's mail")
    else:
        trust = check_trust(
            facts,
            settings.authserv_ids,
            _trusted_domains(parser),
            _extra(settings),
            allow_empty_authserv_id=settings.allow_empty_authserv_id,
        )
    name = parser.name if parser else None
    verdict = _decide(result, name, trust, bank_sender, facts.text, settings, base)
    if (
        verdict.is_payment
        and verdict.alert is not None
        and (foreign := _not_the_users(verdict, facts, settings))
    ):
        return dataclasses.replace(verdict, outcome="other_account", reason=foreign)
    return verdict


def _not_the_users(verdict: Verdict, facts: MailFacts, settings: ReadSettings) -> str | None:
    """Why a trusted alert is not about the user's own accounts, or None when it is."""
    assert verdict.alert is not None
    recipients = (
        signed_recipients(facts, verdict.trust) if verdict.trust.status == "pass" else to_addresses(facts)
    )
    return account_mismatch(verdict.alert.account_last4, settings.accounts) or recipient_mismatch(
        recipients, settings.owner_addresses
    )


def kind_and_issuer(result: ParsedAlert | NotATransaction | Refused | None) -> dict[str, str | None]:
    """The message kind and issuer a parser's answer names (a payment is a ``transaction``)."""
    if result is None:
        return {"kind": None, "issuer": None}
    kind = "transaction" if isinstance(result, ParsedAlert) else getattr(result, "kind", None)
    return {"kind": kind, "issuer": getattr(result, "issuer", None)}


def _trusted_domains(parser: AlertParser | None) -> tuple[str, ...]:
    if parser is None or not parser.domains:
        return ()
    return tuple(parser.domains)


def _extra(settings: ReadSettings) -> tuple[str, ...]:
    sender_domains = tuple(s.rpartition("@")[2] for s in settings.senders)
    return (*settings.bank_domains, *sender_domains)


def _decide(
    result: ParsedAlert | NotATransaction | Refused | None,
    parser: str | None,
    trust: TrustResult,
    bank_sender: bool,
    text: str,
    settings: ReadSettings,
    base: dict[str, Any],
) -> Verdict:
    suspicious: Outcome = "suspicious" if settings.suspicious_notice else "ignored"
    if isinstance(result, ParsedAlert):
        if trust.trusted:
            return Verdict("payment", trust, parser, result, **base)
        return Verdict(
            suspicious, trust, parser, result, reason=f"looks like a bank alert but {trust.reason}", **base
        )
    if isinstance(result, NotATransaction):
        return Verdict("ignored", trust, parser, reason=result.reason, **base)
    if result is None and not bank_sender:
        return Verdict("not_bank", trust, reason="not from a bank and no parser recognised it", **base)
    if not trust.trusted:
        return Verdict(
            suspicious, trust, parser, reason=f"claims to be a bank's mail but {trust.reason}", **base
        )
    why = result.reason if isinstance(result, Refused) else "no parser understood this bank mail"
    if result is None and not looks_transactional(text):
        return Verdict(
            "ignored", trust, reason="a bank mail without an amount that moved: not an alert", **base
        )
    outcome: Outcome = "unparsed" if settings.unparsed_notice else "ignored"
    return Verdict(outcome, trust, parser, reason=why, **base)


def classify_text(message: AlertText, chain: ParserChain) -> Verdict:
    """The verdict on a bare alert text (``explain --text``/``--jsonl``): parsers only, trust not checked."""
    parser, result = chain.run(message)
    trust = TrustResult("not_checked", "a bare text has no headers to check")
    base: dict[str, Any] = {"subject": message.subject, "sender": message.sender, "sent_at": message.sent_at}
    base.update(kind_and_issuer(result))
    name = parser.name if parser else None
    if isinstance(result, ParsedAlert):
        return Verdict("payment", trust, name, result, **base)
    if isinstance(result, NotATransaction):
        return Verdict("ignored", trust, name, reason=result.reason, **base)
    if isinstance(result, Refused):
        return Verdict("unparsed", trust, name, reason=result.reason, **base)
    return Verdict(
        "unparsed", trust, reason=f"no parser recognised the text (tried {', '.join(chain.names)})", **base
    )


def external_id(verdict: Verdict, alert: ParsedAlert | None) -> str:
    """The dedupe key: the bank's reference when there is one, so two mails about one payment alert once."""
    if alert is not None and alert.reference:
        return f"ref:{alert.reference}:{alert.direction}"
    if verdict.message_id:
        return f"msg:{verdict.message_id}"
    return f"sha256:{verdict.digest or 'none'}"


def _payment(
    verdict: Verdict, alert: ParsedAlert, context: Mapping[str, Any], repeat_window: timedelta
) -> Payment:
    sender = issuer_of_sender(verdict.sender, "email") if verdict.sender else None
    told_at = verdict.sent_at or datetime.now(UTC)
    return alert_payment(
        alert,
        source=str(context.get("source", "")),
        external_id=external_id(verdict, alert),
        note=verdict.date_note,
        raw=_raw(verdict, context),
        match=payment_match(alert, told_at, repeat_window, sender.profile if sender else None),
    )


_NOTICES = {
    "suspicious": (SUSPICIOUS_KIND, "Suspicious e-mail claiming to be from {sender}"),
    "unparsed": (UNPARSED_KIND, "Unread bank e-mail from {sender}"),
    "other_account": (OTHER_ACCOUNT_KIND, "Bank alert for another account from {sender}"),
}


def _notice(verdict: Verdict, context: Mapping[str, Any]) -> Payment:
    kind, wording = _NOTICES[verdict.outcome]
    sender = verdict.sender or "an unknown sender"
    title = wording.format(sender=sender)
    details = {"Subject": verdict.subject or "(no subject)", "From": sender, "Reason": verdict.reason or ""}
    if verdict.outcome == "other_account" and verdict.alert is not None and verdict.alert.account_last4:
        details["Account"] = f"••{verdict.alert.account_last4}"
    if verdict.date_note:
        details["Note"] = verdict.date_note
    return Payment(
        source=str(context.get("source", "")),
        kind=kind,
        external_id=f"{kind.rsplit('.', 1)[1]}:{verdict.message_id or verdict.digest}",
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=verdict.sent_at or datetime.now(UTC),
        title=title,
        summary=verdict.reason or "",
        details=details,
        raw=_raw(verdict, context),
    )


def _raw(verdict: Verdict, context: Mapping[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "outcome": verdict.outcome,
        "kind": verdict.kind,
        "issuer": verdict.issuer,
        "parser": verdict.parser,
        "trust": verdict.trust.to_json(),
        "message_id": verdict.message_id,
        "subject": verdict.subject,
        "from": verdict.sender,
    }
    raw.update({k: v for k, v in context.items() if k != "source"})
    return raw
