"""The amount part: a currency marker and a number, as Indian alerts write them.

Forms read:

- markers before the number: ``Rs``, ``Rs.``, ``Rs:``, ``RS.``, ``INR``, ``INR.``, ``Rs. INR``,
  ``INR Rs.``, ``₹``, with or without a space; an ISO-4217 code in capitals for a foreign-currency
  card spend (``USD 11.80``, ``EUR 50.00``), kept as that currency (three capitals that are no
  currency, ``FOR 500``, are no marker);
- the marker after the number: ``15000INR``; a trailing ``/-`` (``Rs 600 /-``);
- numbers with lakh grouping (``1,50,000.00``), western grouping (``100,000.50``), none
  (``1500``), no whole part (``.05``);
- a bare number (no marker) only where a direction phrase governs it (``debited by 185.0``,
  ``paid you 500``): :data:`BARE_NUMBER`, used by :mod:`.directions`.

A number glued to letters that stand for digits (``Rs.15OOO``, ``Rs.15,OOO``) is no amount. An
amount labelled as a balance, a limit, a due, a maximum or an offer's worth has a ``role`` other
than ``"amount"``, so no direction phrase can make it the transaction's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..lazyre import LazyPattern
from ..values import normalise_currency, parse_amount

#: A currency marker before the number.
CURRENCY = (
    r"(?:Rs\.?\s?INR\b\.?|INR\.?\s?Rs\b\.?|Rs\s?[.:]?|INR\b(?:\.|\s?:)?|₹"
    r"|(?-i:[A-Z]{3})(?![A-Za-z]))"
)
#: A number: lakh or western grouping, or none; decimals optional; ``.05`` too.
NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{2,3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+"
#: What may not follow a number: more digits, a comma run into letters, letter O standing for zero.
NUMBER_END = r"(?![0-9]|,[0-9A-Za-z]|[Oo][Oo0])(?:\s?/-)?"
#: ``{AMT}``: marker then number, as named groups ``currency`` and ``amount``.
AMT = rf"(?P<currency>{CURRENCY})\s?(?P<amount>{NUMBER}){NUMBER_END}"
#: ``{BAL}``: a second amount in one pattern (an available balance), groups ``balance_currency`` and ``balance``.
BAL = rf"(?P<balance_currency>{CURRENCY})\s?(?P<balance>{NUMBER}){NUMBER_END}"
#: A number without a marker, where a direction phrase governs it: group ``amount``.
BARE_NUMBER = r"(?<![0-9.,])(?P<amount>(?:[0-9]{1,3}(?:,[0-9]{2,3})+|[0-9]+)(?:\.[0-9]{1,3})?)(?![0-9]|,[0-9]|\.[0-9]|[-/:][0-9])"

_SUFFIX_CURRENCY = LazyPattern(r"(?<![\w.,*])([0-9][0-9,]*(?:\.[0-9]+)?)\s?(INR)\b(?!\.?\s?[0-9])", re.I)
#: The marked amounts ``find_amounts`` looks for: rupees (markers in both cases, no case-folding:
#: it is the hot path) and, apart, three capitals that may be a foreign currency's code.
_RUPEES = LazyPattern(
    rf"(?P<currency>[Rr][Ss]\.?\s?INR\b\.?|INR\.?\s?[Rr][Ss]\b\.?|[Rr][Ss]\s?[.:]?|(?:INR|inr)\b(?:\.|\s?:)?|₹)"
    rf"\s?(?P<amount>{NUMBER}){NUMBER_END}"
)
_FOREIGN = LazyPattern(rf"(?P<currency>\b(?!INR)[A-Z]{{3}})\s?(?P<amount>{NUMBER}){NUMBER_END}")

#: How a label before an amount ends, and what it makes the amount (the label must end right before
#: it, give or take ``is``, ``of`` and a colon).
_LABELS: tuple[tuple[str, str], ...] = (
    ("avlbal", "balance"),
    ("bal", "balance"),
    ("balance", "balance"),
    ("avl amt", "limit"),
    ("avl. amt", "limit"),
    ("avlbl amt", "limit"),
    ("avbl amt", "limit"),
    ("lmt", "limit"),
    ("limit", "limit"),
    ("available credit", "limit"),
    ("due", "due"),
    ("outstanding", "due"),
    ("total", "due"),
    ("minimum", "due"),
    ("worth", "offer"),
    ("upto", "offer"),
    ("up to", "offer"),
    ("above", "offer"),
    ("over", "offer"),
    ("max amount", "offer"),
    ("maximum amount", "offer"),
    ("sum insured", "offer"),
)
#: Words after an amount that make it an offer's value, not money that moved (alerts write every
#: digit: ``Rs 5 lakh`` is an advertisement's way of putting it).
_LABEL_AFTER = LazyPattern(
    r"\s*(?:\*\s*)?(?:off\b|worth\b|cashback\b|bonus\b|points?\b|reward|lakhs?\b|lacs?\b|crores?\b)", re.I
)


@dataclass(frozen=True)
class Amount:
    """One amount in the text: its value, ISO currency, where it stands, and what it is."""

    value: Decimal
    currency: str
    start: int
    end: int
    role: str  # "amount", or "balance", "limit", "due", "offer": never the transaction's


def canonical(text: str) -> str:
    """``text`` with a marker written after its number (``15000INR``) moved before it (``INR 15000``)."""
    return _SUFFIX_CURRENCY.sub(lambda m: f"{m.group(2).upper()} {m.group(1)}", text)


def read_amount(number: str, marker: str | None) -> tuple[Decimal, str] | None:
    """The value and ISO currency of a number and its marker, or None when either is unreadable."""
    try:
        value = parse_amount(number)
    except ValueError:
        return None
    currency = normalise_currency(marker)
    if currency is None:
        return None
    return value, currency


def role_at(text: str, start: int, end: int) -> str:
    """What the amount at ``text[start:end]`` is, from the label before it or the words after it."""
    tail = " ".join(text[max(0, start - 40) : start].lower().split()).rstrip(" :=-")
    for filler in (" is", " was", " of"):
        if tail.endswith(filler):
            tail = tail[: -len(filler)].rstrip(" :=-")
            break
    for label, role in _LABELS:
        if tail.endswith(label) and (len(tail) == len(label) or not tail[-len(label) - 1].isalnum()):
            return role
    if _LABEL_AFTER.match(text, end):
        return "offer"
    return "amount"


def find_amounts(text: str) -> list[Amount]:
    """Every marked amount in ``text`` (already :func:`canonical`), in order, with its role."""
    matches = list(_RUPEES.finditer(text))
    if re.search(r"\b(?!INR)[A-Z]{3}\s?[0-9.]", text):
        matches = sorted((*matches, *_FOREIGN.finditer(text)), key=lambda match: match.start())
    found = []
    for match in matches:
        read = read_amount(match["amount"], match["currency"])
        if read is None:
            continue
        value, currency = read
        found.append(
            Amount(value, currency, match.start(), match.end(), role_at(text, match.start(), match.end()))
        )
    return found
