"""The counterparty part: who paid the holder or whom the holder paid, and their VPA.

Forms read, the first that names someone:

- ``towards VPA x@y (NAME)``, ``to VPA x@y NAME on``, ``by VPA x@y NAME on``, ``from VPA x@y``,
  ``Sender: NAME (VPA: x@y)``, ``Paid to NAME``;
- ``…; NAME credited`` (the payee of a debit), ``NAME paid you``, ``NAME has received … from your``;
- a UPI or IMPS narration ``UPI/DR/ref/NAME/…``, ``IMPS/BANK/ref/NAME``, ``NEFT-ref-NAME``;
- ``at MERCHANT``, ``To NAME On``, ``to NAME.``, ``towards NAME``, ``by NAME`` (credits),
  ``from NAME`` (credits), ``Info: NAME``.

A VPA alone is the counterparty when no name comes with it. Words that are channels or purposes
(``UPI``, ``NEFT transaction``, ``Cash Deposit``) are not names; such an alert has none.
"""

from __future__ import annotations

import re

from ..lazyre import LazyPattern
from ..model import Direction
from ..values import clean_name

#: A UPI id: ``name@handle`` (a handle is lower case, so ``x@okbank.Ref`` ends before ``.Ref``).
VPA = r"[\w.\-]+@(?-i:[A-Za-z][A-Za-z0-9\-]*(?:\.[a-z][a-z0-9\-]*)*)"
_VPA = LazyPattern(rf"\b{VPA}")
#: Where a name ends: a word that starts the next part of the alert, punctuation, or the end.
_STOP = (
    r"(?=_?\s+(?:(?:on|dated?|via|thru|through|using|for|from|with|as|is|ref|refno|upi|rrn|utr|umrn|avl|aval|avbl"
    r"|available|bal|not you|if not|info|call|sms)\b|on(?=[0-9])|\(|-?\s*[A-Z][a-z]+ Bank\b)|\s*[.;,(|]|$)"
)
_NAME = rf"(?P<name>[A-Za-z0-9&*'][\w&*'. /:-]{{0,60}}?){_STOP}"


def _forms(*entries: tuple[str, str]) -> tuple[tuple[str, LazyPattern], ...]:
    """Patterns with the word (lower case) a text must hold for each to be tried."""
    return tuple((needs, LazyPattern(pattern, re.I)) for needs, pattern in entries)


_FORMS: dict[str, tuple[tuple[str, LazyPattern], ...]] = {
    "any": _forms(
        ("vpa", rf"\b(?:towards|to|from|by)\s+VPA\s+(?P<vpa>{VPA})\s*\((?P<name>[^)]{{1,60}})\)"),
        (
            "vpa",
            rf"\b(?:to|by|from)\s+VPA\s+(?P<vpa>{VPA})\s+(?!(?:on|dated?)\b)(?P<name>[A-Za-z][^()]{{0,60}}?)"
            r"(?=\s+on\s+[0-9]|\s*[.(]|$)",
        ),
        ("sender", rf"\bSender:?\s+(?P<name>[^()]{{1,60}}?)\s*\(VPA:?\s*(?P<vpa>{VPA})\)"),
        ("paid to", rf"\bpaid to\s+(?P<name>[^.;]{{1,60}}?)\s+(?P<vpa>{VPA})"),
        (";", rf";\s*{_NAME.replace(_STOP, '')}\s+credited\b"),
        ("paid you", r"(?:^|[.!]\s+)(?P<name>[A-Z][\w&.' ]{0,40}?)\s+paid you\b"),
        ("has received", r"(?:^|[.!]\s+)(?P<name>[A-Z][\w&.' ]{0,40}?)\s+has received\b"),
        ("upi/", r"\bUPI/(?:DR|CR|P2M|P2A)/[A-Z0-9]+/(?P<name>[^/]{2,40}?)\s*(?:/|\s+Value\b|\s+on\b|$)"),
        ("/", r"\b(?:UPI|IMPS)/[A-Z]{3,6}/[0-9]+/\s*(?P<name>[^/.]{2,40}?)(?:\s+on\b|[./]|$)"),
        ("neft-", r"\bNEFT-[A-Z0-9]+-(?P<name>[A-Za-z][^.-]{1,40}?)\s*(?:[.-]|$)"),
    ),
    "debit": _forms(
        ("at", rf"(?:\bat\b|(?<![\w.])@)\s*(?:UPI_|\.{{2,}})?{_NAME}"),
        ("@", rf"(?<![\w.])@\s*(?:UPI_)?{_NAME}"),
        # a payee's name starts with a capital or a digit: "to inform you" names nobody
        (
            "to",
            rf"\bto:?\s+(?!(?:your|ur|a/c|ac|acct|account|beneficiary)\b)(?:VPA\s+)?(?-i:(?=[A-Z0-9])){_NAME}",
        ),
        ("towards", rf"\btowards\s+(?!(?:your|ur)\b)(?:linked\s+)?{_NAME}"),
        ("info", rf"\bInfo\b:?\s*{_NAME}"),
    ),
    "credit": _forms(
        ("from", rf"(?<!greetings )\bfrom\s+(?!(?:your|ur|a/c|ac|account)\b)(?:VPA\s+)?{_NAME}"),
        ("by", rf"\b(?:by|sent by)\s+(?!(?:a/c|ac|account|transfer|upi|neft|imps|cash)\b)(?:VPA\s+)?{_NAME}"),
        ("info", rf"\bInfo\b:?\s*{_NAME}"),
    ),
}
_NOT_A_NAME = LazyPattern(
    r"^(?:upi|neft|imps|rtgs|transfer|cash|atm|your|the|a|an|on|transaction|payment|self|bank|account|card|merchant payment"
    r"|[0-9 :/.-]+|.*\b(?:transaction|txn)$|(?:xx|\*\*)[0-9x*]+"
    r"|(?:rs|inr)\b.*|.*\b(?:rs|inr)\.?\s*[0-9].*|(?:upi|imps|neft|ref|rrn|utr)\b.*[0-9]{6,}.*)$",
    re.I,
)


def find_party(text: str, direction: Direction, near: int = 0) -> tuple[str | None, str | None]:
    """``(counterparty, vpa)`` of a transaction in ``text``, each None when the text names none.

    Only the sentences around the amount at ``near`` are read: a mail's footer names no payee.
    """
    start = max(text.rfind(". ", 0, max(0, near - 120)), 0)
    text = text[start : near + 200]
    vpa_match = _VPA.search(text)
    vpa = vpa_match.group(0).rstrip(".") if vpa_match else None
    best: tuple[int, int, str, str | None] | None = None
    lowered = text.lower()
    for tier, patterns in enumerate((_FORMS["any"], _FORMS[direction])):
        for needs, pattern in patterns:
            if needs not in lowered:
                continue
            for match in pattern.finditer(text):
                name = clean_name(match.groupdict().get("name"))
                if (
                    name
                    and not _NOT_A_NAME.match(name)
                    and (best is None or (tier, match.start()) < best[:2])
                ):
                    best = (tier, match.start(), name, match.groupdict().get("vpa") or vpa)
        if best is not None:
            break
    if best is not None:
        found_vpa = best[3]
        return best[2], found_vpa.rstrip(".") if found_vpa else None
    return (vpa, vpa) if vpa else (None, None)
