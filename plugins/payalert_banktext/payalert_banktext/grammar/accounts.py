"""The account part: the holder's masked account, card or wallet number, never the other side's.

Forms read, an instrument word then the number:

- words: ``A/c``, ``Ac``, ``Acct``, ``Acc``, ``Account``, ``a/c no.``, ``SB A/c``, ``Savings No``,
  ``Deposit No``, ``Card``, ``Credit Card``, ``Debit Card``, ``Prepaid Card``, ``creditcard``,
  ``BOBCARD``, ``wallet``; then ``no.``, ``number``, ``ending``, ``ending with``, ``ending in``;
- numbers: ``XX1234``, ``X1234``, ``xx 4521``, ``**1234``, ``*1234``, ``...7656``, ``XXXX00007271``,
  ``074-260***-006``, ``300***123456``, ``20XXXXX1234``, ``XXXXX71xx``, ``1234``, ``013460``;
- a masked number on its own (``from XXXXXX9722``, ``credited to XXXX6785``).

The last four digits shown are kept (three or two when only those are shown); a number that ends in
masked positions keeps its last four positions as shown (``71xx``). A number is the other side's,
not the holder's, when it is the payee of a debit (``to A/c …``), the payer of a credit (``from A/c
…``, ``Sender A/c``), someone else's (``A/c … of NAME``), the second leg of a transfer (``and
credited to a/c …``, ``& Acct … credited``), a loan being repaid (``Loan A/c``), or a mobile number.
The holder's is the first number left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..lazyre import LazyPattern
from ..model import Direction

#: Words naming an account, card or wallet.
INSTRUMENT_WORD = (
    r"(?:(?:savings|current|sb|salary)\s+(?:a/c|acc(?:oun)?t?|no)\b\.?|a/c|ac(?:c(?:oun)?t?)?\b|account"
    r"|deposit(?:\s+no\b\.?)?|(?:(?:rupay\s+)?(?:debit|credit|prepaid)\s+)?card|creditcard|debitcard|bobcard"
    r"|wallet(?:\s+a/c)?)"
)
#: ``no.``, ``number``, ``ending with`` … between the word and the number.
_FILLER = r"(?:\s*(?:no\b\.?|number|num\b\.?|ending|ends|end|with|in|[:#-])(?=[\s.:#0-9Xx*-]))*\s*"
#: A masked or plain account or card number (at least two digits shown).
MASK = (
    r"(?:\.{2,}\s?|[Xx*]+\s(?=[0-9]))?"
    r"(?=[Xx*0-9-]*[0-9][Xx*0-9-]*[0-9])[Xx*0-9](?:[Xx*0-9-]*[Xx*0-9])?(?![A-Za-z0-9])"
)
# The look-ahead on the first letter lets the engine skip most positions quickly.
_WORD_MENTION = LazyPattern(rf"(?=[aAcCdDwWsSbB])\b{INSTRUMENT_WORD}{_FILLER}(?P<mask>{MASK})", re.I)
_BARE_MENTION = LazyPattern(r"(?<![\w/.@*-])(?P<mask>(?:[Xx]{2,}|\*{2,}|\.{3})[Xx*]*[0-9]{2,6})(?![\w@])")

#: The words before a number that say which side it is on; the last of them within a few words counts.
_SIDE_WORD = LazyPattern(
    r"\b(?:(?<!linked )(?<!charged )(?<!debited )to|into|beneficiary|payee|from|by|sender|remitter|in|your|ur)\b",
    re.I,
)
_PAYEE_WORDS = frozenset({"to", "into", "beneficiary", "payee"})
_HOLDER_WORDS = frozenset({"in", "your", "ur"})
_BEFORE_OTHER = LazyPattern(
    r"(?:\b(?:and|&)\s+(?:(?:is\s+)?(?:credited|debited)\s+(?:to|from)\s+)?[^.;,]{0,12}$"
    r"|\bloan\s+$|\bblock\w*\s+(?:\w+\s+)?$|\b(?:mobile|mob|phone)\b[^.;,]{0,12}$|\bdear\s+$"
    r"|\b(?:policy|folio|pran|umrn|card\s+no\.?\s+for\s+sms)\b[^.;,]{0,12}$)",
    re.I,
)
_AFTER_OTHER = LazyPattern(r"^\s*(?:of\s+[A-Za-z]|(?:is\s+)?credited\b(?!\s+(?:with|by|for)))", re.I)


@dataclass(frozen=True)
class Mention:
    """A number naming an account, card or wallet, where it stands (with its word), and its last digits."""

    mask: str
    start: int  # where the instrument word (or the bare number) starts
    end: int
    form: str = "word"  # "word" (after an instrument word) or "bare" (a masked number on its own)

    @property
    def last4(self) -> str | None:
        """The last four digits shown, or the last four positions as shown when it ends masked."""
        return last_digits(self.mask)


def last_digits(mask: str) -> str | None:
    """``XX2536`` → ``2536``, ``XXX810`` → ``810``, ``074-260***-006`` → ``0006``, ``XXXXX71xx`` → ``71xx``."""
    compact = re.sub(r"[\s.-]", "", mask)
    digits = re.sub(r"[^0-9]", "", compact)
    if not digits:
        return None
    if re.search(r"[0-9][Xx*]+$", compact):
        return compact[-4:]
    return digits[-4:]


def mentions(text: str) -> list[Mention]:
    """Every account, card or wallet number in ``text``, in order."""
    found: dict[int, Mention] = {}
    has_mask = any(mark in text for mark in "Xx*.")
    for form, pattern in (
        (("word", _WORD_MENTION), ("bare", _BARE_MENTION)) if has_mask else (("word", _WORD_MENTION),)
    ):
        for match in pattern.finditer(text):
            if match.end("mask") not in found:
                found[match.end("mask")] = Mention(match["mask"], match.start(), match.end("mask"), form)
    return sorted(found.values(), key=lambda mention: mention.start)


def _other_side(text: str, mention: Mention, direction: Direction | None) -> str | None:
    """Why ``mention`` is not the holder's (``"other"``, ``"payee"``, ``"payer"``), or None when it may be."""
    before = text[max(0, mention.start - 40) : mention.start]
    if _BEFORE_OTHER.search(before) or _AFTER_OTHER.match(text, mention.end):
        return "other"
    near = before[-25:]
    words = [m for m in _SIDE_WORD.finditer(near) if not re.search(r"[.;,]", near[m.end() :])]
    if not words:
        return None
    last = words[-1]
    if last.group(0).lower() in _HOLDER_WORDS:
        return None
    if last.group(0).lower() in _PAYEE_WORDS:
        to_holder = re.match(r"\s+(?:your|ur|yr)\b", near[last.end() :], re.I)
        return "payee" if direction == "debit" and not to_holder else None
    return "payer" if direction == "credit" else None


def holder_account(
    text: str, direction: Direction | None, found: list[Mention] | None = None
) -> Mention | None:
    """The holder's account, card or wallet: the first number (of ``found``, else all) not the other side's."""
    return holder_account_and_rules(text, direction, found)[0]


def holder_account_and_rules(
    text: str, direction: Direction | None, found: list[Mention] | None = None
) -> tuple[Mention | None, tuple[str, ...]]:
    """:func:`holder_account`, and the forms of the part that decided it (the number's, each skip's)."""
    rules: list[str] = []
    for mention in mentions(text) if found is None else found:
        reason = _other_side(text, mention, direction)
        if reason is None:
            return mention, (*rules, f"account:{mention.form}")
        rules.append(f"account:skip-{reason}")
    return None, tuple(rules)


def names_holder_instrument(text: str, found: list[Mention] | None = None) -> bool:
    """Whether ``text`` names an account, card or wallet of the holder's (``your card``, ``A/c XX1234``)."""
    return bool(_YOUR_INSTRUMENT.search(text)) or holder_account(text, None, found) is not None


_YOUR_INSTRUMENT = LazyPattern(
    rf"\b(?:your|ur|yr)\s+(?:[\w&.-]+\s+){{0,4}}?{INSTRUMENT_WORD}|\b(?:a/c|acct)\b|\baccount\s+(?:is|has|was)\b",
    re.I,
)
