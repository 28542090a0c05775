"""Measuring the grammar on the shared bank corpus: records, the per-issuer table, leave-one-file-out.

Shared by ``test_banktext_corpus.py`` and ``bench/bench_banktext.py``. The corpus is read at run
time from ``shared/corpus/bank`` (``payalert_testing.corpus_path``); nothing of it is copied here.

"All fields right" for a payment text: it is read as a payment, and amount, currency, direction,
account_last4 and reference each equal the value the record states. A field the record does not
state (older records carry no ``reference`` key) is not checked; a field it states as null must come
out null — nothing guessed. Counterparty is reported beside, not counted in "all fields".
"""

from __future__ import annotations

import email
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from payalert_banktext import Reading, read_alert

from .corpus import corpus_path

TARGET_FIELDS = ("amount", "currency", "direction", "account_last4", "reference")
COLUMNS = (
    "texts",
    "amount",
    "direction",
    "account_last4",
    "reference",
    "all fields",
    "counterparty",
    "negatives",
    "false positives",
)

#: Labels we believe break the corpus README's own rule, by file and index. They are read as the
#: grammar reads them and count as misses in every figure; only the per-issuer floor leaves them out,
#: so that two doubtful labels cannot decide a small issuer's row.
DISPUTED_LABELS: dict[tuple[str, int], str] = {
    ("PrajwalMadhyastha-Finlight-Android.sms.json", 68): (
        "the same text as index 171, which is labelled not a payment: one of the two labels is wrong"
    ),
    ("PrajwalMadhyastha-Finlight-Android.sms.json", 107): (
        "account_label names the debit card the charge is for; the account debited is the one ending 9515"
    ),
    ("PrajwalMadhyastha-Finlight-Android.sms.json", 192): (
        "a bill payment received by Simpl (the biller): a card-bill payment received is a credit by the "
        "README's rule, and told by the biller, not the holder's bank"
    ),
    ("sarim2000-pennywiseai-tracker.sms.json", 102): (
        "'Refund initiated … To receive your Refund, please update your Bank details': not completed yet"
    ),
    (
        "sarim2000-pennywiseai-tracker.sms.json",
        104,
    ): "a mutual fund's SIP confirmation: a third party's receipt",
    ("sarim2000-pennywiseai-tracker.sms.json", 203): (
        "a mutual fund's SIP confirmation: a third party's receipt (the same wording is labelled not a "
        "payment in Finlight-Android 61 and 130)"
    ),
    ("sarim2000-pennywiseai-tracker.sms.json", 204): "as index 203",
    (
        "sarim2000-pennywiseai-tracker.sms.json",
        250,
    ): "a payment gateway's order confirmation: a third party's receipt",
    ("sarim2000-pennywiseai-tracker.sms.json", 253): "as index 250",
    ("sarim2000-pennywiseai-tracker.sms.json", 325): (
        "the operator's recharge receipt names no amount, only 'Plan Name : 249.00'"
    ),
    ("sarim2000-pennywiseai-tracker.sms.json", 326): "as index 325",
    (
        "vivekangadi1-Fino.sms.json",
        11,
    ): "a merchant's subscription receipt (Netflix), not the card issuer's alert",
}


@dataclass(frozen=True)
class Record:
    """One labelled corpus text, as the reader is given it."""

    file: str
    index: int
    issuer: str
    text: str
    sender: str
    subject: str
    medium: str
    expected: dict[str, Any]

    @property
    def is_payment(self) -> bool:
        """The record's label: a payment, or not."""
        return self.expected.get("should_parse") is not False

    @property
    def disputed(self) -> str | None:
        """Why we believe the label breaks the corpus README's rule, when we do."""
        return DISPUTED_LABELS.get((self.file, self.index))


def _issuer(record: dict[str, Any]) -> str:
    bank = (record.get("bank") or "").replace(" (inferred from sender)", "").strip()
    return bank if bank and not bank.startswith("unknown") else "(no issuer named)"


def _mail(text: str, sender: str, subject: str) -> tuple[str, str, str]:
    """A record holding a whole mail (headers and HTML) as the body, sender and subject a mailbox gives."""
    if not text.startswith("From:"):
        return text, sender, subject
    head, _, body = text.partition("<")
    message = email.message_from_string(head.replace(" Date:", "\nDate:").replace(" Subject:", "\nSubject:"))
    plain = re.sub(r"<[^>]+>", " ", "<" + body)
    return plain, str(message.get("From") or sender), str(message.get("Subject") or subject)


def records() -> list[Record]:
    """Every labelled record of the corpus's ``bank/*.json`` files (skips, or fails in CI, without the corpus)."""
    found = []
    for path in sorted(corpus_path("bank").glob("*.json")):
        for index, record in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            if not record.get("expected"):
                continue
            text, sender, subject = _mail(
                record["text"], record.get("from") or record.get("sender") or "", record.get("subject") or ""
            )
            found.append(
                Record(
                    path.name,
                    index,
                    _issuer(record),
                    text,
                    sender,
                    subject,
                    record.get("kind", "sms"),
                    record["expected"],
                )
            )
    return found


def read(record: Record) -> Reading:
    """The grammar's reading of one record."""
    return read_alert(record.text, sender=record.sender, subject=record.subject, medium=record.medium)  # type: ignore[arg-type]


def _last_digits(label: str | None) -> str | None:
    match = re.search(r"(\d+)\D*$", label or "")
    return match.group(1)[-4:] if match else None


def expected_fields(expected: dict[str, Any]) -> dict[str, Any]:
    """The target fields a record states (older records name the account in ``account_label``)."""
    fields = {name: expected[name] for name in TARGET_FIELDS if name in expected}
    if "account_last4" not in fields and expected.get("account_label"):
        fields["account_last4"] = _last_digits(expected["account_label"])
    return {
        name: value
        for name, value in fields.items()
        if name not in ("amount", "currency", "direction") or value is not None
    }


def wrong_fields(record: Record, reading: Reading) -> dict[str, tuple[Any, Any]]:
    """The stated target fields the reading gets wrong: {field: (expected, got)}."""
    alert = reading.alert
    if alert is None:
        return {"payment": ("a payment", f"{reading.kind}: {reading.reason}")}
    got = {
        "amount": alert.amount,
        "currency": alert.currency,
        "direction": alert.direction,
        "account_last4": alert.account_last4,
        "reference": alert.reference,
    }
    wrong = {}
    for name, want in expected_fields(record.expected).items():
        value = Decimal(want) if name == "amount" else want
        if value != got[name]:
            wrong[name] = (want, got[name])
    return wrong


def counterparty_right(record: Record, reading: Reading) -> bool:
    """The counterparty as the record states it (or its VPA handle when the origin showed only that)."""
    want = record.expected.get("counterparty")
    alert = reading.alert
    if "counterparty" not in record.expected or alert is None:
        return False
    got = alert.counterparty
    if want is None or got is None:
        return want is got
    if " ".join(want.split()).lower() == " ".join(got.split()).lower():
        return True
    return bool(alert.vpa) and want in (alert.vpa, alert.vpa.split("@")[0], "UPI Payee") and got == alert.vpa


@dataclass
class Measurement:
    """The per-issuer table of one run over the corpus, the misses, and leave-one-file-out."""

    rows: dict[str, Counter[str]]
    misses: list[tuple[Record, dict[str, tuple[Any, Any]]]]
    false_positives: list[tuple[Record, Reading]]
    readings: list[tuple[Record, Reading, bool]]

    @property
    def total(self) -> Counter[str]:
        """Every issuer's row added up."""
        total: Counter[str] = Counter()
        for row in self.rows.values():
            total.update(row)
        return total

    def issuers_below(self, floor: float, min_texts: int) -> dict[str, tuple[int, int]]:
        """Issuers with ``min_texts`` or more undisputed payment texts read right less than ``floor`` of the time."""
        below = {}
        for issuer, row in self.rows.items():
            texts, right = row["texts"] - row["disputed texts"], row["all fields"] - row["disputed right"]
            if texts >= min_texts and right < floor * texts:
                below[issuer] = (right, texts)
        return below


def measure(corpus: Iterable[Record]) -> Measurement:
    """Read every record and fill the per-issuer table."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    misses, false_positives, readings = [], [], []
    for record in corpus:
        reading = read(record)
        row = rows[record.issuer]
        if not record.is_payment:
            row["negatives"] += 1
            row["false positives"] += reading.is_payment
            readings.append((record, reading, not reading.is_payment))
            if reading.is_payment:
                false_positives.append((record, reading))
            continue
        wrong = wrong_fields(record, reading)
        row["texts"] += 1
        row["all fields"] += not wrong
        row["disputed texts"] += record.disputed is not None
        row["disputed right"] += record.disputed is not None and not wrong
        row["counterparty"] += counterparty_right(record, reading)
        for name in ("amount", "direction", "account_last4", "reference"):
            row[name] += reading.is_payment and name not in wrong
        readings.append((record, reading, not wrong))
        if wrong:
            misses.append((record, wrong))
    return Measurement(dict(rows), misses, false_positives, readings)


def leave_one_file_out(measurement: Measurement) -> tuple[Counter[str], dict[str, tuple[int, int]]]:
    """What the grammar would get on each file's texts had that file never been seen.

    A reading rests on some of the grammar's forms (``Reading.rules``; ``a|b`` means either would
    do). A form whose every right reading comes from one file exists because of that file: it is
    taken away when that file is measured. A text still counts as right only when each of its needs
    is met by a form some other file's texts use too. Returns the totals (``texts``, ``right``,
    ``negatives``, ``rejected``) and, per file, (right, payment texts).
    """
    users: dict[str, set[str]] = defaultdict(set)
    for record, reading, right in measurement.readings:
        if right:
            for need in reading.rules:
                for form in need.split("|"):
                    users[form].add(record.file)
    totals: Counter[str] = Counter()
    per_file: dict[str, tuple[int, int]] = {}
    for record, reading, right in measurement.readings:
        kept = right and all(
            any(users[form] - {record.file} for form in need.split("|")) for need in reading.rules
        )
        if record.is_payment:
            totals["texts"] += 1
            totals["right"] += kept
            done, seen = per_file.get(record.file, (0, 0))
            per_file[record.file] = (done + kept, seen + 1)
        else:
            totals["negatives"] += 1
            totals["rejected"] += kept
    return totals, per_file


def table(measurement: Measurement) -> str:
    """The per-issuer table as aligned text (issuers by number of payment texts)."""
    lines = [f"{'issuer':<34}" + "".join(f"{column[:13]:>14}" for column in COLUMNS)]
    for issuer in sorted(measurement.rows, key=lambda name: (-measurement.rows[name]["texts"], name)):
        row = measurement.rows[issuer]
        lines.append(f"{issuer[:33]:<34}" + "".join(f"{row[column]:>14}" for column in COLUMNS))
    total = measurement.total
    lines.append(f"{'all issuers':<34}" + "".join(f"{total[column]:>14}" for column in COLUMNS))
    return "\n".join(lines)


def markdown_table(measurement: Measurement) -> str:
    """The per-issuer table in Markdown, for docs/benchmarks.md."""
    head = "| issuer | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    for issuer in sorted(measurement.rows, key=lambda name: (-measurement.rows[name]["texts"], name)):
        row = measurement.rows[issuer]
        lines.append(f"| {issuer} | " + " | ".join(str(row[column]) for column in COLUMNS) + " |")
    total = measurement.total
    lines.append("| **all issuers** | " + " | ".join(f"**{total[column]}**" for column in COLUMNS) + " |")
    return "\n".join(lines)
