"""The reference part: the bank's or the network's id of the transaction.

Forms read, the first that holds one in this order:

1. a labelled reference: ``UPI Ref No``, ``UPI Ref:``, ``UPI Ref ID:``, ``UPI transaction reference
   no.:``, ``Ref No.``, ``RefNo``, ``Ref-``, ``Ref:``, ``ref no``, ``Reference:``, ``RRN``, ``Retrieval
   Ref No.``, ``UTR``, ``UTR no.``, ``Unique Transaction Reference Number (UTR) is:``, ``IMPS Ref no``,
   ``IMPS Reference No:``, ``transaction reference No is``, ``with reference number``, ``Bank reference
   Number``; then the network's own ``UPI: 5522…``, ``(UPI 5268…)``, ``by UPI 5068…``, ``IMPS:ABC…``,
   ``IMPS/5182…``;
2. a transaction id: ``Txn No``, ``Txn ID``, ``Txn#``, ``Transaction ID``, ``Transaction Number``;
3. a narration: ``UPI/DR/6511…/NAME``, ``UPI/CR/…``, ``UPI TXN: /6753…-``, ``IMPS/FDRL/5280…/NAME``,
   ``NEFT-FDRLM41…-NAME``, ``NEFTINWARD HDFCH…/NAME``, ``NEFT Cr-IFSC-NAME-…-UTR``, ``… NEFT
   SAMPLE0000…``, ``Ref-ACH DR INW PAY/ID/NAME``, ``reversal of UPI transaction ID``, ``[S7654…]``.

A value has a digit and at least six characters; a number followed by ``-NAME`` (``4356…-ICICI
Bank``) ends at the dash. Mandate ids (UMRN, UMN, mandate ID), policy, folio and order numbers are
not transaction references, and a value cut by a mask (``IN22XX...XX24``) is no reference at all.
"""

from __future__ import annotations

import re

from ..lazyre import LazyPattern

_VALUE = r"(?P<ref>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)"
_LABEL_SEP = r"(?:\s*(?:no|num|number|id)\b\.?)?(?:\s*\((?:UTR|RRN)\))?(?:\s*(?:is|:|-|=|#|\.))*\s*"

_LABELLED = LazyPattern(
    r"(?:\b(?:UPI|IMPS|NEFT|RTGS|Bank|Retrieval|Unique)\s+)?(?:\btransaction\s+)?"
    rf"(?:\bref(?:erence)?\b\.?|\bRRN\b|\bUTR\b|\bRefNo|\bRefno|\bRef(?=[-:]))(?:\s+No\b\.?)?{_LABEL_SEP}{_VALUE}",
    re.I,
)
_NETWORK = LazyPattern(r"\b(?:UPI|IMPS)\b\s*[:/-]?\s*(?P<ref>[A-Z0-9]*[0-9][A-Z0-9]{5,})(?!\w)", re.I)
_TXN_ID = LazyPattern(rf"\b(?:txn|transaction)\s*(?:no\b\.?|id\b|number\b|#)\s*[:.#-]?\s*{_VALUE}", re.I)
_NARRATIONS = tuple(
    (needs, LazyPattern(pattern, re.I))
    for needs, pattern in (
        ("upi/", r"\bUPI/(?:DR|CR|P2M|P2A|[A-Z]{4})/(?P<ref>[A-Z0-9]{6,})/"),
        ("upi txn", r"\bUPI TXN:\s*/(?P<ref>[0-9]{9,})"),
        ("/", r"\b(?:UPI|IMPS|NEFT|RTGS)/[A-Z]{3,6}/(?P<ref>[0-9]{9,})/"),
        ("neft-", r"\bNEFT-(?P<ref>[A-Z]{4}[A-Z0-9]{6,})-"),
        ("neftinward", r"\bNEFTINWARD\s+(?P<ref>[A-Z0-9]{10,})\b"),
        ("neft cr-", r"\bNEFT Cr-[^.]*-(?P<ref>[A-Z]{4}[A-Z0-9]{8,})(?=[.\s]|$)"),
        ("neft ", r"\bNEFT\s+(?P<ref>[A-Z]{3,}[0-9]{6,})\b"),
        ("ref", r"\bref[-:]?\s*[A-Z ]{2,30}/(?P<ref>[A-Z0-9]{10,})/"),
        (
            "reversal of",
            r"\breversal of (?:UPI|IMPS|NEFT)? ?(?:transaction|txn) (?P<ref>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)",
        ),
        ("[", r"\[\s*(?P<ref>[A-Z]{0,3}[0-9]{6,})\s*\]"),
    )
)
_NOT_A_REFERENCE = LazyPattern(r"\b(?:UMRN?|UMN|mandate|policy|folio|order|receipt|refund)[ :#-]{0,3}$", re.I)


def _clean(value: str) -> str | None:
    first, _, rest = value.partition("-")
    if first.isdigit() and rest and not rest[:1].isdigit():
        value = first  # "435221138842-ICICI Bank": the reference ends at the dash
    if len(value) < 6 or not re.search(r"[0-9]", value):
        return None
    return value


def _labelled(text: str, lowered: str) -> tuple[str, str] | None:
    patterns = []
    if "ref" in lowered or "rrn" in lowered or "utr" in lowered:
        patterns.append(("label", _LABELLED))
    if "upi" in lowered or "imps" in lowered:
        patterns.append(("network", _NETWORK))
    for rule, pattern in patterns:
        for match in pattern.finditer(text):
            if _NOT_A_REFERENCE.search(text, max(0, match.start() - 20), match.start()):
                continue
            if text.startswith("..", match.end("ref")):
                continue  # cut by a mask: "IN22XX...XX24"
            value = _clean(match["ref"])
            if value:
                return value, rule
    return None


def find_reference(text: str) -> str | None:
    """The transaction's reference in ``text``, or None when the text carries none."""
    return reference_and_rule(text)[0]


def reference_and_rule(text: str) -> tuple[str | None, str | None]:
    """:func:`find_reference`, and which form of the part read it (``label``, ``txn_id``, ``narration:…``)."""
    lowered = text.lower()
    labelled = _labelled(text, lowered)
    if labelled:
        return labelled
    if "txn" in lowered or "transaction" in lowered:
        for match in _TXN_ID.finditer(text):
            value = _clean(match["ref"])
            if value:
                return value, "txn_id"
    for index, (needs, pattern) in enumerate(_NARRATIONS):
        if needs not in lowered:
            continue
        found = pattern.search(text)
        if found:
            value = _clean(found["ref"])
            if value:
                return value, f"narration:{index}"
    return None, None
