"""Template parsers: whole-sentence regexes with named groups, and the rules that keep them honest.

A template matches one complete alert sentence. Field values come only from its named groups
(``amount``, ``currency``, ``direction``, ``account``, ``counterparty``, ``vpa``, ``reference``,
``date``, ``time``, ``balance``, ``narration``) and from the template's own ``extras`` patterns. A
parser refuses (never guesses) when a value cannot be read, when the text carries two different
transactions, or when the date lies in the future.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .grammar.accounts import MASK, last_digits
from .grammar.amounts import AMT, BAL, NUMBER
from .grammar.dates import DATE, TIME
from .grammar.parties import VPA
from .model import AlertText, Direction, NotATransaction, ParsedAlert, ParseResult, Refused
from .values import (
    IST,
    clean_name,
    normalise_currency,
    occurred_at,
    parse_amount,
    parse_date,
    parse_time,
)

MACROS: Mapping[str, str] = {
    "AMT": AMT,
    "BAL": BAL,
    "NUMBER": NUMBER,
    "ACCT": rf"(?P<account>{MASK})",
    "DATE": rf"(?P<date>{DATE})",
    "TIME": rf"(?P<time>{TIME})",
    "VPA": rf"(?P<vpa>{VPA})",
    "REF": r"(?P<reference>[A-Z0-9]{6,})",
}

_VPA = re.compile(r"^[\w.\-]+@[A-Za-z][\w\-]*(?:\.[\w\-]+)*$")
_MASKED_ACCOUNT_PREFIX = re.compile(r"^[Xx*]+\d+-")
_UTR_IN_NARRATION = re.compile(r"-([A-Z]{4}[A-Z0-9]?\d{8,})$")
#: How far in the future (past the mail's own date) a transaction date may be before we refuse it.
FUTURE_SLACK = timedelta(days=2)


def expand(pattern: str) -> str:
    """Replace ``{AMT}``, ``{DATE}`` … in ``pattern`` with their regexes (other braces stay)."""
    return re.sub(r"\{([A-Z]+)\}", lambda m: MACROS.get(m.group(1), m.group(0)), pattern)


@dataclass(frozen=True)
class Template:
    """One alert wording: a regex over the one-line text, its direction and channel."""

    name: str
    pattern: str
    direction: Direction | None
    channel: str
    extras: tuple[str, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    compiled_extras: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(expand(self.pattern), re.I))
        object.__setattr__(self, "compiled_extras", tuple(re.compile(expand(e), re.I) for e in self.extras))
        if "amount" not in self.compiled.groupindex:
            raise ValueError(f"template {self.name!r} has no (?P<amount>…) group")
        if self.direction is None and "direction" not in self.compiled.groupindex:
            raise ValueError(f"template {self.name!r} needs a direction or a (?P<direction>…) group")


#: Group names with a meaning of their own; any other named group goes to ``details``.
KNOWN_GROUPS = frozenset(
    {
        "amount",
        "currency",
        "direction",
        "account",
        "counterparty",
        "vpa",
        "reference",
        "date",
        "time",
        "balance",
        "balance_currency",
        "narration",
        "channel",
    }
)
_CHANNEL_WORD = re.compile(r"^(NEFT|IMPS|RTGS|UPI)\b", re.I)


def _channel(declared: str, group: str | None, description: str | None, vpa: str | None, flat: str) -> str:
    """The payment rail: a ``channel`` group, else the template's, else guessed from the wording."""
    if group:
        return group.strip().lower()
    if declared != "auto":
        return declared
    word = _CHANNEL_WORD.match(description or "")
    if word:
        return word.group(1).lower()
    if vpa or re.search(r"\bUPI\b", flat):
        return "upi"
    return "account"


def _direction(value: str | None) -> Direction | None:
    word = (value or "").strip().lower()
    if word.startswith(("credit", "cr", "received", "deposit", "in")):
        return "credit"
    if word.startswith(("debit", "dr", "spent", "paid", "sent", "withdraw", "out")):
        return "debit"
    return None


def build_alert(
    parser: str, template: Template, groups: dict[str, str | None], message: AlertText
) -> ParsedAlert | Refused:
    """Turn one template match into a :class:`ParsedAlert`, or refuse with the reason."""
    flat = message.flat
    for extra in template.compiled_extras:
        found = extra.search(flat)
        if found:
            for key, value in found.groupdict().items():
                if value is not None and not groups.get(key):
                    groups[key] = value
    try:
        amount = parse_amount(groups["amount"] or "")
    except ValueError:
        return Refused(parser, f"{template.name}: unreadable amount {groups.get('amount')!r}")
    if amount <= 0:
        return Refused(parser, f"{template.name}: amount is zero")
    currency = normalise_currency(groups.get("currency"))
    if currency is None:
        return Refused(parser, f"{template.name}: {groups.get('currency')!r} is not a currency")
    direction = template.direction or _direction(groups.get("direction"))
    if direction is None:
        return Refused(parser, f"{template.name}: cannot tell debit from credit")

    fallback = message.sent_at or datetime.now(IST)
    day = None
    if groups.get("date"):
        day = parse_date(groups["date"] or "", reference=fallback)
        if day is None:
            return Refused(parser, f"{template.name}: unreadable date {groups['date']!r}")
    clock = parse_time(groups["time"] or "") if groups.get("time") else None
    when = occurred_at(day, clock, fallback)
    if when > fallback + FUTURE_SLACK:
        return Refused(parser, f"{template.name}: date {when.date()} is after the mail was sent")

    vpa = (groups.get("vpa") or "").rstrip(".") or None
    counterparty = clean_name(groups.get("counterparty"))
    reference = (groups.get("reference") or "").strip() or None
    narration = clean_name(groups.get("narration"))
    if narration:
        counterparty = counterparty or clean_name(_MASKED_ACCOUNT_PREFIX.sub("", narration))
        utr = _UTR_IN_NARRATION.search(narration)
        if utr and not reference:
            reference = utr.group(1)
    if counterparty and _VPA.match(counterparty):
        vpa = vpa or counterparty
    if counterparty is None and vpa:
        counterparty = vpa
    balance = None
    if groups.get("balance"):
        try:
            balance = parse_amount(groups["balance"] or "")
        except ValueError:
            balance = None
    channel = _channel(template.channel, groups.get("channel"), narration or counterparty, vpa, flat)
    details = dict(template.details)
    for key, value in groups.items():
        if key not in KNOWN_GROUPS and value and value.strip():
            details[key] = value.strip()
    if narration:
        details["narration"] = narration
    return ParsedAlert(
        parser=parser,
        amount=amount,
        currency=currency,
        direction=direction,
        occurred_at=when,
        channel=channel,
        account_last4=last_digits(groups.get("account") or ""),
        counterparty=counterparty,
        vpa=vpa,
        reference=reference,
        balance=balance,
        details=details,
    )


@dataclass
class TemplateParser:
    """A parser made of templates, with phrases that mark a known non-transaction.

    ``applies`` decides whether the message is this parser's at all (by sender or wording);
    ``not_transactions`` maps a reason to a regex; the first hit answers :class:`NotATransaction`.
    """

    name: str
    templates: list[Template]
    domains: tuple[str, ...] = ()
    not_transactions: Mapping[str, str] = field(default_factory=dict)
    applies: Callable[[AlertText], bool] = lambda message: True
    _guards: list[tuple[str, re.Pattern[str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._guards = [(reason, re.compile(rx, re.I)) for reason, rx in self.not_transactions.items()]

    def parse(self, message: AlertText) -> ParseResult | None:
        """Match every template; one consistent transaction → parsed, else refuse or pass."""
        if not self.applies(message):
            return None
        flat = message.flat
        for reason, guard in self._guards:
            if guard.search(flat):
                return NotATransaction(self.name, reason)
        found: list[ParsedAlert] = []
        for template in self.templates:
            for match in template.compiled.finditer(flat):
                result = build_alert(self.name, template, dict(match.groupdict()), message)
                if isinstance(result, Refused):
                    return result
                found.append(result)
        if not found:
            return None
        return pick_one(self.name, found)


def pick_one(parser: str, found: Iterable[ParsedAlert]) -> ParseResult:
    """The single transaction all matches agree on, or a refusal when they disagree."""
    alerts = list(found)
    distinct = {(alert.amount, alert.currency, alert.direction) for alert in alerts}
    if len(distinct) > 1:
        listed = ", ".join(sorted(f"{d} {c} {a}" for a, c, d in distinct))
        return Refused(parser, f"the text describes more than one transaction ({listed})")
    return alerts[0]
