"""What a verb says about the holder's money, read against what it points at.

- always a debit: ``debited``, ``deducted``, ``withdrawn``, ``spent``, ``charged``, ``Dr``, ``debit``;
- always a credit: ``credited``, ``refunded``, ``reversed``, ``Cr``, ``credit``;
- a credit only into the holder's account, card or wallet: ``added``, ``disbursed``;
- either, by what follows: ``sent``, ``transferred``, ``paid`` (``from`` the holder or ``to`` someone
  is a debit, ``to your account`` or ``on your deposit`` a credit), ``received`` (``in your account``,
  or said by the holder, is a credit), ``deposited`` (a credit, unless it went ``to`` someone else).

``credited to`` someone else, outside an outgoing transfer's own phrase, gives no direction at all.
"""

from __future__ import annotations

import re

from ..lazyre import LazyPattern
from ..model import Direction
from .accounts import INSTRUMENT_WORD

#: Auxiliaries between an amount and its verb: ``is``, ``has been``, ``was successfully`` …
AUX = r"(?:(?:is|are|was|were|has|have|had|got)\s+)?(?:been\s+)?(?:successfully\s+)?"
#: One character of a clause: a full stop ends it, unless it abbreviates (``Rs. 500``) or joins (``amazon.in``).
CLAUSE = r"(?:[^.;!?~]|\.(?=\S)|(?<=\bRs)\.)"
#: Who the money went to or came from, when it is the holder: an account, card or wallet word after at most
#: four others (``your HDFC Bank A/c``, ``slice A/c``), or a masked number.
_HOLDER = LazyPattern(
    rf"^(?:self\b|(?:(?!(?:from|to|by|via|thru|through|and|at|for)\b)[\w&.@/-]+\s+){{0,4}}?{INSTRUMENT_WORD}(?![\w])"
    r"|(?:XX|\*\*|\.\.\.)[Xx*]*[0-9])",
    re.I,
)
_THIRD_PARTY = LazyPattern(
    r"^(?:the\s+)?beneficiary\b|^(?:the\s+)?(?:[\w&.]+\s+){0,3}(?:a/c|account)\b\s*(?:no\.?\s*)?[Xx*0-9]+\s+of\s+[A-Za-z]",
    re.I,
)
#: ``your`` and, within three words, the account, card, wallet or balance it names.
_TO_HOLDER = LazyPattern(
    r"(?:your|ur)\s+(?:[\w&.-]+\s+){0,3}?(?:wallet|balance|a/c|account|acct|card)\b", re.I
)
_REVERSAL = LazyPattern(r"\b(?:revers(?:ed|al)|refund(?:ed)?)\b", re.I)
_CLAUSE_END = LazyPattern(r"[;!?~]|(?<!\bRs)\.(?!\S)")


def clause_after(text: str, start: int, limit: int = 80) -> str:
    """The rest of the clause from ``start``: up to a full stop, a semicolon or ``limit`` characters."""
    end = _CLAUSE_END.search(text, start, start + limit)
    return text[start : end.start() if end else start + limit]


def _object(after: str) -> tuple[str, str]:
    """The preposition right after a verb and what follows it (``("to", "your A/c …")``)."""
    match = re.match(
        r"\s*(to|in|into|on|towards|for|from|frm|at|via|thru|through|by|with|as)\b\s*(.*)", after, re.I
    )
    return (match.group(1).lower(), match.group(2)) if match else ("", after.strip())


def _is_holder(thing: str) -> bool:
    return bool(_HOLDER.match(thing)) and not _THIRD_PARTY.match(thing)


_ALWAYS_DEBIT = {
    "debited",
    "debit",
    "deducted",
    "withdrawn",
    "spent",
    "charged",
    "dr",
    "auto-debited",
    "auto debited",
}


def verb_class(verb: str) -> str:
    """The class a verb belongs to: ``debit``, ``credit``, ``refund``, ``deposit``, ``received`` or ``transfer``."""
    if verb in _ALWAYS_DEBIT:
        return "debit"
    if verb in {"credited", "credit", "cr"}:
        return "credit"
    if verb in {"refunded", "reversed"}:
        return "refund"
    if verb == "deposited":
        return "deposit"
    if verb == "received":
        return "received"
    return "transfer"


def verb_of(match: re.Match[str]) -> str:
    return match["verb"].lower().rstrip(".")


def _transfer(verb: str, after: str) -> Direction:
    """``sent``/``transferred``/``paid``: to the holder is a credit, anything else a debit."""
    preposition, rest = _object(after)
    if preposition in {"to", "into"} and _is_holder(rest):
        return "credit"
    if verb == "paid" and preposition in {"on", "in", "into"} and re.match(r"(?:your|ur)\b", rest, re.I):
        return "credit"  # interest paid on your deposit
    return "debit"


def _received(match: re.Match[str], text: str, after: str) -> Direction | None:
    """``received``: in the holder's account, or by the holder (``you've received``), is a credit."""
    preposition, rest = _object(after)
    if preposition in {"in", "into", "to", "on", "towards", "for"} and _is_holder(rest):
        return "credit"
    before = text[max(0, match.start("verb") - 60) : match.start("verb")]
    if re.search(
        r"\b(?:you|we)(?:'ve| have)?\s+$|(?:^|[!:.-]\s*|\bmoney\s*|\bamount\s*)$"
        r"|\byour\s+(?:vpa|upi id|a/c|account|card|wallet)\b[^.;]{0,50}?\s+(?:has\s+)?$",
        before,
        re.I,
    ):
        return "credit"
    return None


def verb_then_object(match: re.Match[str], text: str, after_at: int) -> Direction | None:
    """``AMOUNT verb object``: the verb's direction, read against the object after it."""
    verb = verb_of(match)
    after = clause_after(text, after_at)
    preposition, rest = _object(after)
    if verb in _ALWAYS_DEBIT:
        return "debit"
    if verb in {"refunded", "reversed"}:
        return "credit"
    if verb in {"credited", "credit", "cr", "deposited"}:
        if preposition in {"to", "in", "into", "on", "towards"} and rest and not _is_holder(rest):
            # someone else was credited: an outgoing transfer, read by its own form; "deposited in cash" is ours
            return "credit" if verb == "deposited" and preposition == "in" else None
        return "credit"
    if verb == "received":
        return _received(match, text, after)
    if verb in {"added", "disbursed"}:
        # "Rs.500 added to your wallet", "a loan of Rs 50,000 disbursed to your A/c": only into the holder's
        return "credit" if preposition in {"to", "into", "in"} and _TO_HOLDER.match(rest) else None
    return _transfer(verb, after)


def verb_then_amount(match: re.Match[str], text: str, after_at: int) -> Direction | None:
    """``verb AMOUNT …``: the object (the holder) came before the verb, or comes after the amount."""
    verb = verb_of(match)
    after = clause_after(text, after_at)
    if verb in _ALWAYS_DEBIT:
        return "debit"
    if verb in {"refunded", "reversed", "credited", "credit", "cr", "deposited"}:
        return "credit"
    if verb == "received":
        return _received(match, text, after)
    return _transfer(verb, after)


def payment_direction(match: re.Match[str], text: str, after_at: int) -> Direction | None:
    """``payment of …``: received towards a card is the card bill paid (credit); successful is a debit."""
    tail = match["tail"].lower()
    if re.search(r"\b(?:received|credited)\b", tail):
        return "credit"
    if re.search(r"\b(?:successful(?:ly)?|success|confirmed|completed|processed)\b", tail):
        return "debit"
    return None


def transaction_direction(match: re.Match[str], text: str, after_at: int) -> Direction | None:
    """``txn of … at …``: a spend, unless the same sentence says it was reversed or refunded."""
    sentence_end = re.search(r"[.!;](?:\s|$)", text[match.end() :])
    sentence = text[match.start() : match.end() + (sentence_end.start() if sentence_end else 120)]
    return "credit" if _REVERSAL.search(sentence) else "debit"


def outgoing_direction(match: re.Match[str], text: str, after_at: int) -> Direction | None:
    return None if _is_holder(match["object"]) else "debit"
