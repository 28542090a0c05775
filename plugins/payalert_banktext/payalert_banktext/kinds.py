"""What kind of message an alert text is, decided before any field is read.

Only a completed ``transaction`` becomes a payment. Some kinds are told by words that no completed
transaction alert uses (an OTP, a collect request, a declined or failed payment, money that *will
be* debited, an offer's code); they win over everything. Others (a mandate set up or revoked, a
statement, a bill that is due, a balance, an offer) share their words with real alerts' footers
and side remarks, so they count only when no phrase says money moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

from .lazyre import LazyPattern

Kind = Literal[
    "transaction",
    "otp",
    "promotion",
    "reminder",
    "statement",
    "balance",
    "declined",
    "pending",
    "mandate",
    "collect_request",
    "conversion",
    "receipt",
    "other",
]

#: What each kind means, for ``explain`` and for the reason of a verdict.
KIND_MEANINGS: dict[str, str] = {
    "transaction": "a completed transaction",
    "otp": "a one-time password",
    "promotion": "a promotion or offer",
    "reminder": "a payment-due or bill reminder",
    "statement": "a statement",
    "balance": "a balance, no transaction",
    "declined": "a declined or failed transaction",
    "pending": "a pending, pre-debit or future transaction",
    "mandate": "a mandate or AutoPay set-up, change or revocation",
    "collect_request": "a collect request (someone asked for money)",
    "conversion": "an EMI conversion of a transaction already made, no new payment",
    "receipt": "a receipt from a merchant or other third party, naming no account, card or wallet of the holder's",
    "other": "no money movement",
}


@dataclass(frozen=True)
class Cues:
    """The words that tell one kind: ``needs`` (lower case, one must be in the text) gate ``pattern``."""

    kind: Kind
    needs: tuple[str, ...]
    pattern: LazyPattern

    def find(self, text: str, lowered: str) -> re.Match[str] | None:
        """Where ``text`` holds one of this kind's cues, or None."""
        if not any(word in lowered for word in self.needs):
            return None
        return self.pattern.search(text)


class KindCue(NamedTuple):
    """A kind, the words in the text that told it, and which cue of the kind they are (``kind:otp:c2``)."""

    kind: Kind
    cue: str
    rule: str


def _cues(kind: Kind, needs: tuple[str, ...], *patterns: str) -> Cues:
    return Cues(kind, needs, LazyPattern("|".join(f"(?P<c{n}>{p})" for n, p in enumerate(patterns)), re.I))


#: Kinds told by words a completed transaction alert never uses, in the order they are checked.
DECISIVE: tuple[Cues, ...] = (
    _cues(
        "otp",
        ("otp", "password"),
        r"\bOTP\b\s*(?:is|for|to|:)",
        r"\b(?:is|as)\s+(?:your|the)\s+(?:[\w-]+\s+){0,2}OTP\b",
        r"\b[0-9]{4,8}\s+is\s+OTP\b",
        r"\bone[ -]?time[ -]?password\b",
        r"\bOTP\s*[:-]?\s*[0-9]{4,8}\b",
    ),
    _cues(
        "collect_request",
        ("request",),
        r"\bcollect request\b",
        r"\bhas requested (?:money|payment|a payment)\b",
        r"\b(?:payment|money) request (?:of|for|from)\b",
        r"\brequested (?:you to pay|payment of)\b|\bhas requested (?:Rs|INR|₹)",
    ),
    _cues(
        "declined",
        (
            "declin",
            "fail",
            "unsuccess",
            "not success",
            "could not",
            "unable",
            "insufficient",
            "not processed",
            "not completed",
        ),
        r"\bdeclined\b",
        r"\b(?:has|have|had|was|is)\s+failed\b|\b(?:txn|transaction|payment)s?\b(?:[^.;]|\.(?=\S)|(?<=\bRs)\.){0,60}\bfailed\b",
        r"\bunsuccessful\b|\bnot successful\b|\bwas not (?:processed|completed)\b",
        r"\bfailed to (?:credit|debit|process|complete)\b",
        r"\bfailed to (?:credit|debit|process|complete)\b",
        r"\bcould not (?:be )?(?:processed|completed|get scheduled|scheduled)\b",
        r"\bunable to (?:confirm|process|complete)\b",
        r"\binsufficient (?:funds|balance)\b",
    ),
    _cues(
        "pending",
        (
            "will be",
            "shall be",
            "would be",
            "can be",
            "to be",
            "under process",
            "pending",
            "pre-debit",
            "predebit",
            "scheduled",
            "initiated",
            "for processing",
        ),
        r"\b(?:will|shall|would|can) be (?:auto[- ]?)?(?:debited|credited|deducted|charged|processed|paid|transferred"
        r"|refunded|reversed|deposited)\b",
        r"\bto be (?:credited|debited|deducted|charged)\b",
        r"\bis under process\b|\bpending\b|\bpre-?debit\b|\bscheduled (?:for|on)\b",
        r"\b(?:(?:txn|transaction|transfer|payment|refund|NEFT|RTGS|IMPS)\s+|has been\s+|is\s+|was\s+)initiated\b"
        r"(?!(?:[^.;]|\.(?=\S)|(?<=\bRs)\.){0,60}\bsuccessful)",
        r"\bfor processing\b",
    ),
    _cues(
        "conversion",
        ("emi",),
        r"\bconverted (?:in)?to (?:an? )?EMIs?\b|\bEMI conversion\b|\bEMI request\b",
    ),
    _cues(
        "promotion",
        ("code", "point", "off", "flat", "hurry", "spam", "apply now", "limited", "voucher", "redeem"),
        r"\buse code\b|(?<!IFSC )\bcode\s*:",
        r"\b(?:reward|bonus|loyalty)\s+points?\b|\bworth points\b",
        r"\b[0-9]+%\s*off\b|\bflat\s+(?:Rs|INR|₹)",
        r"\bhurry\b|\bsuspected spam\b|\bapply now\b|\blimited (?:time|period) offer\b",
        r"\bvoucher code\b|\bredeem\b",
    ),
)

#: Kinds whose words also turn up around real transactions: they count only when none was read.
CIRCUMSTANTIAL: tuple[Cues, ...] = (
    _cues(
        "mandate",
        ("mandate", "autopay", "auto pay", "standing instruction", "si ", "umrn"),
        r"\b(?:e-?mandate|mandate|auto ?pay|standing instruction|si)\b(?:[^.;]|\.(?=\S)|(?<=\bRs)\.){0,80}?\b(?:created|registered|set ?up"
        r"|activated|active|revoked|cancel(?:l)?ed|modified|paused|registration)\b",
        r"\be-?mandate\s*!",
        r"\bUMRN\b",
    ),
    _cues(
        "statement",
        ("statement", "stmt", "bill"),
        r"\b(?:e-?)?(?:statement|stmt)\b",
        r"\bbill (?:is )?generated\b",
    ),
    _cues(
        "reminder",
        ("due", "payable", "bill", "ignore if", "reminder", "pay now", "pay before"),
        r"\bis due\b|\bdue (?:on|by|date)\b|\bpayable by\b|\b(?:total|min(?:imum)?) (?:amt |amount )?due\b",
        r"\bnew bill\b|\bignore if (?:already )?paid\b|\breminder\b|\bpay (?:now|before)\b|\boverdue\b",
    ),
    _cues(
        "balance",
        ("bal", "limit", "credit"),
        r"\bbal(?:ance)?\b(?:[^.;]|\.(?=\S)|(?<=\bRs)\.){0,40}\b(?:is|as on|as of)\b",
        r"\bhas (?:avl|available) bal\b|\bbalance\b(?:[^.;]|\.(?=\S)|(?<=\bRs)\.){0,40}\bdropped below\b",
        r"\bcredit limit\b|\bavailable credit\b",
        r"\blimit\b(?:[^.;]|\.(?=\S)|(?<=\bRs)\.){0,30}\b(?:increased|decreased|enhanced|revised|reduced)\b",
    ),
    _cues(
        "promotion",
        ("offer", "cashback", "congrat", "t&c", "t & c", "tnc", "won", "win", "earn", "loan"),
        r"\boffers?\b|\bcashback\b|\bcongrat",
        r"\bT\s?&\s?C\b|\bTnC\b",
        r"\bwon\b|\bwin\b|\bearn\b",
        # "click" is no cue: every HTML mail has links, real alerts' footers too
        r"\b(?:instant|pre-?approved|personal) loans?\b",
    ),
)


def _first(cues: tuple[Cues, ...], text: str) -> KindCue | None:
    lowered = text.lower()
    for entry in cues:
        found = entry.find(text, lowered)
        if found is not None:
            return KindCue(entry.kind, found.group(0), f"kind:{entry.kind}:{found.lastgroup}")
    return None


def decisive_kind(text: str) -> KindCue | None:
    """A kind the words alone decide (OTP, collect request, declined, pending, promotion), and its cue."""
    return _first(DECISIVE, text)


def circumstantial_kind(text: str) -> KindCue | None:
    """The kind of a text in which no money moved (mandate, statement, reminder, balance, offer), and its cue."""
    return _first(CIRCUMSTANTIAL, text)
