"""Reading one alert text: its issuer, its kind, then its fields — or why it is no payment.

:func:`read_alert` is the entry point for any source, mail or SMS. :class:`GrammarParser` is the
same reader as a parser in the chain, after the user's rules and plugin parsers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .grammar.accounts import Mention, holder_account_and_rules, mentions, names_holder_instrument
from .grammar.amounts import Amount, canonical, find_amounts
from .grammar.dates import transaction_time
from .grammar.directions import Binding, bindings
from .grammar.parties import find_party
from .grammar.references import reference_and_rule
from .grammar.text import normalise
from .issuers import IssuerMatch, match_issuer
from .kinds import KIND_MEANINGS, Kind, KindCue, circumstantial_kind, decisive_kind
from .lazyre import LazyPattern
from .model import AlertText, Direction, Medium, NotATransaction, ParsedAlert, ParseResult, Refused

#: Words that a debit in the same text was undone.
_REVERSED = LazyPattern(r"\b(?:was|has been|got|been) reversed\b|\bcredited back\b|\brefunded back\b", re.I)
#: The name the grammar answers under in the parser chain and in ``explain``.
PARSER_NAME = "banktext"
_MONEY_WORDS = LazyPattern(
    r"\b(?:debit|credit|spent|paid|received|sent|deposit|withdr[ae]wn?|transferr?ed|deducted|refund|revers|purchase"
    r"|txn|transaction|payment|dr|cr)",
    re.I,
)


@dataclass(frozen=True)
class Reading:
    """What one alert text is: its kind, its issuer, the payment when it is one, else the reason."""

    kind: Kind
    issuer: IssuerMatch | None = None
    alert: ParsedAlert | None = None
    reason: str | None = None
    #: The words that decided the kind (``"will be debited"``), when some did.
    cue: str | None = None
    #: The grammar's forms this reading rests on, one entry per need (``"a|b"``: either form would do).
    rules: tuple[str, ...] = ()

    @property
    def is_payment(self) -> bool:
        """True when this text is a completed transaction read in full."""
        return self.alert is not None

    def to_result(self, parser: str = PARSER_NAME) -> ParseResult | None:
        """The answer a parser in the chain gives: a payment, not a transaction, refused, or not ours."""
        issuer = self.issuer.profile.name if self.issuer else None
        if self.alert is not None:
            return self.alert
        if self.kind == "other":
            return None
        if self.kind == "transaction":
            return Refused(parser, self.reason or "", kind=self.kind, issuer=issuer)
        return NotATransaction(parser, self.reason or "", kind=self.kind, issuer=issuer)


@dataclass(frozen=True)
class _Resolved:
    amount: Decimal
    currency: str
    direction: Direction
    start: int
    end: int
    names_holder: bool
    forms: str  # the forms that bound the amount, "a|b"


def _resolve(found: Iterable[Binding]) -> _Resolved | str | None:
    """The one amount and direction the bindings agree on, the reason they do not, or None for none."""
    chosen: dict[tuple[Decimal, str], list[Binding]] = {}
    for binding in found:
        if binding.role == "amount" and binding.value > 0:
            chosen.setdefault((binding.value, binding.currency), []).append(binding)
    if not chosen:
        return None
    if len(chosen) > 1:
        listed = ", ".join(f"{currency} {value}" for value, currency in chosen)
        return f"the text describes more than one transaction ({listed}); which one moved is not clear"
    (value, currency), matched = next(iter(chosen.items()))
    directions = {binding.direction for binding in matched}
    if len(directions) > 1:
        return f"{currency} {value} is said to be both debited and credited"
    first = min(matched, key=lambda binding: binding.start)
    return _Resolved(
        value,
        currency,
        first.direction,
        first.start,
        first.end,
        any(b.names_holder for b in matched),
        "|".join(sorted({f"direction:{b.form}" for b in matched})),
    )


_CHANNELS = (
    ("refund", LazyPattern(r"\b(?:refund(?:ed)?|revers(?:al|ed))\b", re.I)),
    ("upi", LazyPattern(r"\bUPI\b|\bVPA\b|@[a-z]", re.I)),
    ("imps", LazyPattern(r"\bIMPS\b", re.I)),
    ("neft", LazyPattern(r"\bNEFT\b", re.I)),
    ("rtgs", LazyPattern(r"\bRTGS\b", re.I)),
    ("card", LazyPattern(r"\bcard\b", re.I)),
)


def _channel(text: str, direction: Direction) -> str:
    for name, pattern in _CHANNELS:
        if pattern.search(text) and (name != "refund" or direction == "credit"):
            return name
    return "account"


def _balance(amounts: list[Amount], after: int) -> Decimal | None:
    for amount in amounts:
        if amount.role == "balance" and amount.start >= after:
            return amount.value
    return None


def read_alert(
    text: str,
    *,
    sender: str = "",
    subject: str = "",
    sent_at: datetime | None = None,
    medium: Medium = "email",
) -> Reading:
    """Read one alert text (an e-mail body or an SMS) into a :class:`Reading`.

    ``sender`` is the mail address (``medium="email"``) or the SMS sender id (``VM-HDFCBK``,
    ``medium="sms"``); ``sent_at`` completes a date written without a year or a time. The issuer
    is matched by sender, else by the text; the kind is decided before any field is read; a field
    the grammar cannot pin down stays None. A mail whose body tells nothing of money is read from
    its ``subject`` instead (``Rs.537.00 debited via Debit Card **5610``).
    """
    reading = _read(text, sender, sent_at, medium)
    if reading.kind == "other" and subject:
        from_subject = _read(subject, sender, sent_at, medium)
        if from_subject.kind != "other":
            return from_subject
    return reading


def _read(text: str, sender: str, sent_at: datetime | None, medium: Medium) -> Reading:
    flat = canonical(normalise(text))
    issuer = match_issuer(sender, flat, medium)
    decided = decisive_kind(flat)
    if decided is not None:
        return _not_a_payment(decided, issuer)
    amounts = find_amounts(flat)
    resolved = _resolve(bindings(flat, amounts))
    if resolved is None:
        return _without_transaction(flat, issuer, amounts)
    if isinstance(resolved, str):
        return Reading("transaction", issuer, reason=resolved)
    if resolved.direction == "debit" and _REVERSED.search(flat):
        return Reading(
            "transaction", issuer, reason="a debit and its reversal in one text: no money moved in the end"
        )
    numbers = mentions(flat)
    if resolved.names_holder:
        tie = "tie:you"
    elif issuer is not None:
        tie = f"tie:issuer-{issuer.matched_by}"
    elif names_holder_instrument(flat, numbers):
        tie = "tie:instrument"
    else:
        found = circumstantial_kind(flat)
        if found is not None:
            return _not_a_payment(found, issuer)
        return Reading(
            "receipt", issuer, reason=f"{KIND_MEANINGS['receipt']}, not a payment", rules=("receipt",)
        )
    return _transaction(flat, issuer, resolved, sent_at, amounts, numbers, (resolved.forms, tie))


def _not_a_payment(found: KindCue, issuer: IssuerMatch | None) -> Reading:
    reason = f"{KIND_MEANINGS[found.kind]} (“{found.cue}”), not a payment"
    return Reading(found.kind, issuer, reason=reason, cue=found.cue, rules=(found.rule,))


def _without_transaction(flat: str, issuer: IssuerMatch | None, amounts: list[Amount]) -> Reading:
    found = circumstantial_kind(flat)
    if found is not None:
        return _not_a_payment(found, issuer)
    moving = [a for a in amounts if a.role == "amount" and a.value > 0]
    if moving and _MONEY_WORDS.search(flat):
        first = moving[0]
        return Reading(
            "transaction",
            issuer,
            reason=f"{first.currency} {first.value} with no phrase saying whether it left or reached the account",
        )
    return Reading("other", issuer, reason="no amount that moved")


def _transaction(
    flat: str,
    issuer: IssuerMatch | None,
    resolved: _Resolved,
    sent_at: datetime | None,
    amounts: list[Amount],
    numbers: list[Mention],
    rules: tuple[str, ...],
) -> Reading:
    account, account_rules = holder_account_and_rules(flat, resolved.direction, numbers)
    reference, reference_rule = reference_and_rule(flat)
    counterparty, vpa = find_party(flat, resolved.direction, resolved.start)
    when, date_note = transaction_time(flat, resolved.end, sent_at)
    alert = ParsedAlert(
        parser=PARSER_NAME,
        amount=resolved.amount,
        currency=resolved.currency,
        direction=resolved.direction,
        occurred_at=when,
        channel=_channel(flat, resolved.direction),
        account_last4=account.last4 if account else None,
        counterparty=counterparty,
        vpa=vpa,
        reference=reference,
        balance=_balance(amounts, resolved.end),
        details={"date": date_note} if date_note else {},
        issuer=issuer.profile.name if issuer else None,
    )
    found_rules = (*rules, *account_rules, *((f"reference:{reference_rule}",) if reference_rule else ()))
    return Reading("transaction", issuer, alert, rules=found_rules)


@dataclass
class GrammarParser:
    """The built-in parser: :func:`read_alert` as a member of the parser chain (name ``banktext``)."""

    name: str = PARSER_NAME
    domains: tuple[str, ...] = ()

    def read(self, message: AlertText) -> Reading:
        """The full reading of ``message`` (kind, issuer, fields or reason)."""
        return read_alert(
            message.text,
            sender=message.sender,
            subject=message.subject,
            sent_at=message.sent_at,
            medium=message.medium,
        )

    def parse(self, message: AlertText) -> ParseResult | None:
        """A payment, ``NotATransaction`` (with its kind), ``Refused``, or None for no money movement."""
        return self.read(message).to_result(self.name)
