"""The direction part: the phrases that say an amount left the holder's account or reached it.

Each :class:`Form` names one way alerts put a direction and an amount together. Around each marked
amount: ``AMOUNT verb object`` (``Rs.500 debited from A/c XX1234``) and ``verb AMOUNT`` (``debited for
Rs 240``, ``Dr. INR 260``), with the verbs of :mod:`.verbs`.

Nominal forms: ``credit of``, ``debit of``, ``refund of``, ``withdrawal of``, ``purchase of … at``,
``txn/transaction of … at / successful / reversed``, ``payment of … received towards your card``
(a card bill paid: a credit on the card), ``payment of … successful``, ``EMI of … debited``, a card
``used for`` or ``using … card … for``, ``Txn Rs.…``, ``X paid you``, ``you paid``/``you spent``,
an outgoing ``NEFT … for … credited to`` someone else (a debit), and an ``Amount: …`` field under a
sentence that says which way (``Your account has been debited towards NACH …``).

A refund or a reversal is a credit. A form yields nothing when its object contradicts it (money
``credited to`` someone else outside an outgoing transfer), so an amount may end up with no
direction: the reader then refuses it rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from ..lazyre import LazyPattern
from ..model import Direction
from .accounts import INSTRUMENT_WORD
from .amounts import AMT, BARE_NUMBER, Amount, read_amount, role_at
from .verbs import (
    AUX,
    CLAUSE,
    outgoing_direction,
    payment_direction,
    transaction_direction,
    verb_class,
    verb_of,
    verb_then_amount,
    verb_then_object,
)

#: Reads a match (and the text, and where the words after the amount start) into a direction.
Resolver = Callable[[re.Match[str], str, int], Direction | None]


@dataclass(frozen=True)
class Form:
    """One way of saying which way an amount went: a pattern with an ``amount`` group and its direction.

    ``needs`` lists words (lower case) of which the text must hold one for the pattern to be tried at
    all: a cheap test that spares most patterns on most texts.
    """

    name: str
    pattern: LazyPattern
    direction: Direction | Resolver
    needs: tuple[str, ...] = ()
    #: The form itself says the money is the holder's (``you paid``, ``paid you``).
    names_holder: bool = False

    def applies(self, lowered: str) -> bool:
        """Whether the text (in lower case) holds one of the words this form needs."""
        return not self.needs or any(word in lowered for word in self.needs)


@dataclass(frozen=True)
class Binding:
    """An amount that a form gave a direction to, and what the amount is (``role``, see ``amounts``)."""

    form: str
    value: Decimal
    currency: str
    direction: Direction
    start: int
    end: int
    role: str
    names_holder: bool


_VERBS_AFTER = (
    r"auto[- ]?debited|debited|deducted|withdrawn|spent|charged|credited|deposited|refunded|reversed"
    r"|received|sent|transferred|paid|added|disbursed|Dr\b\.?|Cr\b\.?"
)
_VERBS_BEFORE = (
    r"auto[- ]?debited|debited|debit|deducted|withdrawn|spent|charged|credited|credit|deposited|refunded"
    r"|received|sent|transferred|paid|Dr\b\.?|Cr\b\.?"
)
_GAP_BEFORE = (
    r"(?:\s*[:;!-]\s*|\s+)(?:(?:with|by|for|of)\s+)?(?:(?:a|an)\s+)?(?:(?:transaction|txn)\s+)?(?:amount\s+)?(?:of\s+)?"
    r"|\s+card\s+no\.?\s*[Xx*]*[0-9]{2,6}\s+"
)


def _form(
    name: str,
    pattern: str,
    direction: Direction | Resolver,
    needs: tuple[str, ...],
    names_holder: bool = False,
) -> Form:
    return Form(name, LazyPattern(pattern, re.I), direction, needs, names_holder)


_ANY_VERB = (
    "debit",
    "deduct",
    "withdr",
    "spent",
    "charged",
    "credit",
    "deposit",
    "refund",
    "revers",
    "receiv",
    "sent",
    "transfer",
    "paid",
    "dr",
    "cr",
)

FORMS: tuple[Form, ...] = (
    # "debited by 185.0", "credited with 15000.00" (no currency marker)
    _form(
        "verb_bare_amount",
        rf"(?<![\w/])(?P<verb>debited|credited|deducted)\s+(?:by|with|for)\s+{BARE_NUMBER}",
        verb_then_amount,
        ("debited", "credited", "deducted"),
    ),
    # "has credit for BY SALARY of Rs 1,161.00", "has a debit by transfer of Rs 147.50"
    _form(
        "has_a_credit",
        rf"\bha(?:s|d) (?:a |an )?(?P<verb>credit|debit)\b(?: (?:for|by) {CLAUSE}{{1,30}}?)?(?: transaction)? of {AMT}",
        verb_then_amount,
        ("has a", "had a", "has an", "had an", "has credit", "has debit", "had credit", "had debit"),
    ),
    # "We have credited your ICICI Bank Account XX898 with INR 20,000.00"
    _form(
        "we_credited_your",
        rf"\bwe(?:'ve| have)? (?P<verb>credited|debited) your {CLAUSE}{{1,50}}? with {AMT}",
        verb_then_amount,
        ("we have", "we've"),
    ),
    # "You have received a credit of INR 5,000.00" ("John, you've received INR …" is verb_amount too)
    _form(
        "you_received",
        rf"\byou(?:'ve| have)? received (?:a (?:credit|payment|refund) of )?{AMT}",
        "credit",
        ("received",),
        names_holder=True,
    ),
    # "You paid ₹8063", "You paid DAD ₹1.00", "You have spent MYR 55.50"
    _form(
        "you_paid",
        rf"\byou(?:'ve| have)? (?P<verb>paid|spent|sent|transferred)\b(?: (?P<party>{CLAUSE}{{1,30}}?))? {AMT}",
        "debit",
        ("you",),
        names_holder=True,
    ),
    # "DAD paid you ₹1.00", "John paid you 500"
    _form("paid_you", rf"\bpaid you\s+{AMT}", "credit", ("paid you",), names_holder=True),
    _form("paid_you_bare", rf"\bpaid you\s+{BARE_NUMBER}", "credit", ("paid you",), names_holder=True),
    # "Digital Gold India has received Rs 21.00 from your A/c 7990"
    _form(
        "received_from_holder",
        rf"\bhas received {AMT} from (?:your\s+)?(?:[\w&.]+\s+){{0,3}}?{INSTRUMENT_WORD}",
        "debit",
        ("has received",),
    ),
    # "NEFT money transfer Txn No … for Rs INR 1,500.00 has been credited to Manga Penga"
    _form(
        "outgoing_transfer",
        rf"\b(?:NEFT|RTGS|IMPS)\b{CLAUSE}{{0,80}}? (?:for|of) {AMT}{CLAUSE}{{0,70}}? (?:has been |is |was )?"
        rf"credited to (?P<object>{CLAUSE}{{1,60}})",
        outgoing_direction,
        ("credited to",),
    ),
    # "Your Sodexo Card has been successfully loaded with Rs.1250"
    _form("loaded_with", rf"\bloaded with {AMT}", "credit", ("loaded with",)),
    # "refund of Rs 372 credited", "reversal of …" (the verb form reads the verb; this reads the noun)
    _form(
        "refund_of",
        rf"\b(?:refund|reversal|cashback) of {AMT}(?P<tail>{CLAUSE}{{0,60}}?)\b(?:credited|refunded"
        r"|processed to your|sent to your)\b",
        "credit",
        ("refund of", "reversal of", "cashback of"),
    ),
    # "merchant credit refund on your ICICI Bank Credit Card XX1234 for INR 1,234.56"
    _form(
        "refund_on_your",
        rf"\b(?:refund|reversal) (?:on|to|in) your {CLAUSE}{{1,60}}? for {AMT}",
        "credit",
        ("refund", "reversal"),
    ),
    # "Cash withdrawal of INR 5000"
    _form("withdrawal_of", rf"\bwithdrawal of {AMT}", "debit", ("withdrawal of",)),
    # "Purchase of INR 1,250.00 at UBER", "A purchase of 500.00 was made at some store"
    _form(
        "purchase_of", rf"\bpurchase of {AMT} (?:(?:was|has been|is) made )?at\b", "debit", ("purchase of",)
    ),
    _form(
        "purchase_of_bare", rf"\bpurchase of {BARE_NUMBER} (?:was|has been) made\b", "debit", ("purchase of",)
    ),
    # "Txn Rs.1118.00 On HDFC Bank Card 1240"
    _form("txn_amount", rf"\btxn\s+{AMT}", "debit", ("txn",)),
    # "Your txn of ₹882.00 at Carnatic Cafe … was successful", "transaction of Rs.5000 at AMAZON has been reversed"
    _form(
        "transaction_of",
        rf"\b(?:txn|transaction|trxn)(?: number [0-9]+| (?:on|via|using) your {CLAUSE}{{1,60}}?)? (?:of|for) {AMT}"
        rf"(?={CLAUSE}{{0,100}}?\b(?:successful|success|processed|approved|completed|done|reversed|refunded|at|using"
        r"|by|on your)\b)",
        transaction_direction,
        ("txn", "transaction"),
    ),
    # "Payment of INR 1180.01 has been received towards your SBI card", "Payment of Rs 150.50 … successful"
    _form(
        "payment_of", rf"\bpayment (?:of )?{AMT}(?P<tail>{CLAUSE}{{0,120}})", payment_direction, ("payment",)
    ),
    # "We've received your payment of ₹12,056.72 towards your … credit card"
    _form("received_payment", rf"\breceived (?:your |the )?payment of {AMT}", "credit", ("received",)),
    # "Thank you for your payment of Rs.2537.75 for your Kotak Credit Card"
    _form(
        "thanks_for_payment",
        rf"\bthank(?:s| you) for (?:your |the )?payment of {AMT} (?:for|towards) (?:your )?{CLAUSE}{{0,30}}?\bcard\b",
        "credit",
        ("thank",),
    ),
    # "EMI of Rs.25000 for Home Loan A/c 1234567890 debited from A/c XX1234"
    _form(
        "dues_debited",
        rf"\b(?:EMI|premium|instal?ment|SIP|bill|contribution|charges?)\b(?: of)? {AMT}{CLAUSE}{{0,50}}? "
        r"(?:has been |was |is )?(?:auto[- ]?)?(?P<verb>debited|paid|deducted|charged)\b",
        "debit",
        ("emi", "premium", "instal", "sip", "bill", "contribution", "charge"),
    ),
    # "Your ICICI Bank Credit Card ending 1234 has been used for Rs 5,432.00", "used at AMAZON for INR 305.00"
    _form(
        "card_used",
        rf"\bused (?:at {CLAUSE}{{1,40}}? )?for (?:a (?:transaction|txn|purchase|payment) of )?{AMT}",
        "debit",
        ("used",),
    ),
    # "Thank you for using HDFC Bank Debit Card ending with 6785 for Rs. 1818.60 at OLLAMA"
    _form(
        "using_card_for",
        rf"\busing (?:your )?(?:[A-Z][\w&]*\s+){{0,4}}?(?:(?:debit|credit|prepaid)\s+)?card\b"
        rf"(?:\s*(?:no\.?|ending(?: with| in)?))?\s*[Xx*0-9]{{2,20}}(?: at [^;]{{1,40}}?)? for {AMT}",
        "debit",
        ("using",),
    ),
)

#: ``AMOUNT verb object`` after a marked amount: "Rs.500 debited from A/c XX1234", "INR 2 from Airport
#: Lounge refunded to your card", "Rs.1100credited in your A/c".
_AMOUNT_THEN_VERB = LazyPattern(
    rf"\s?(?:incl(?:uding)?\.? GST\s+)?(?:from (?P<source>{CLAUSE}{{1,40}}?)\s+)?{AUX}"
    rf"(?P<verb>{_VERBS_AFTER})(?![\w/])",
    re.I,
)
#: ``verb AMOUNT`` before a marked amount: "debited for Rs 240", "Debited INR 165", "credited:Rs. 1,133.00",
#: "Dr. INR 260", "Spent Card no. XX9646 INR 95".
_VERB_THEN_AMOUNT = LazyPattern(rf"(?<![\w/])(?P<verb>{_VERBS_BEFORE})(?:{_GAP_BEFORE})$", re.I)

#: The sentence that says which way, where the amount stands in a field of its own below it.
_HEAD_PATTERNS: tuple[tuple[str, Direction], ...] = (
    (
        rf"\b(?:account|a/c|acct|card)\b{CLAUSE}{{0,40}}?\b(?:has been|is|was) debited\b(?! (?:with|by|for) )",
        "debit",
    ),
    (
        rf"\b(?:account|a/c|acct|card)\b{CLAUSE}{{0,40}}?\b(?:has been|is|was) credited\b(?! (?:with|by|for) )",
        "credit",
    ),
    (r"\btransaction reversed\b", "credit"),
    (r"\bbill (?:was|has been) paid\b", "debit"),
    (r"\breceived a credit in your\b", "credit"),
    (rf"\btransaction (?:initiated )?(?:via|using|on) your {CLAUSE}{{0,50}}?\bis successful\b", "debit"),
)
_HEADS = tuple((LazyPattern(pattern, re.I), direction) for pattern, direction in _HEAD_PATTERNS)
_FIELD_AMOUNT = LazyPattern(
    rf"\b(?:bill |txn |transaction )?(?:amount|amt)(?: received| paid| debited| credited)?\s*[*:=-]+\s*{AMT}",
    re.I,
)


def bindings(text: str, amounts: list[Amount]) -> Iterator[Binding]:
    """Every amount some form gives a direction to: first around each marked amount, then the other forms."""
    for amount in amounts:
        after = _AMOUNT_THEN_VERB.match(text, amount.end)
        if after is not None:
            direction = verb_then_object(after, text, after.end())
            if direction is not None:
                yield _around(amount, f"amount_verb:{verb_class(verb_of(after))}", direction)
        before = _VERB_THEN_AMOUNT.search(text, max(0, amount.start - 45), amount.start)
        if before is not None:
            direction = verb_then_amount(before, text, amount.end)
            if direction is not None:
                yield _around(amount, f"verb_amount:{verb_class(verb_of(before))}", direction)
    lowered = text.lower()
    for form in FORMS:
        if not form.applies(lowered):
            continue
        for match in form.pattern.finditer(text):
            direction = (
                form.direction
                if isinstance(form.direction, str)
                else form.direction(match, text, match.end())
            )
            if direction is not None:
                binding = _binding(form.name, match, text, direction, form.names_holder)
                if binding is not None:
                    yield binding
    for head, direction in _HEADS:
        if head.search(text):
            for match in _FIELD_AMOUNT.finditer(text):
                binding = _binding("field_amount", match, text, direction, False)
                if binding is not None:
                    yield binding
            break


def _around(amount: Amount, form: str, direction: Direction) -> Binding:
    return Binding(
        form, amount.value, amount.currency, direction, amount.start, amount.end, amount.role, False
    )


def _binding(
    form: str, match: re.Match[str], text: str, direction: Direction, names_holder: bool
) -> Binding | None:
    groups = match.groupdict()
    read = read_amount(match["amount"], groups.get("currency"))
    if read is None:
        return None
    start = match.start("currency") if groups.get("currency") else match.start("amount")
    end = match.end("amount")
    return Binding(form, read[0], read[1], direction, start, end, role_at(text, start, end), names_holder)
