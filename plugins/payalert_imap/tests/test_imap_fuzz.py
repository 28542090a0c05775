"""Properties of mail reading: random and mutated real bank alerts never crash the parse/explain path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from payalert_banktext import AlertText, ParsedAlert, builtin_parsers, make_chain
from payalert_imap.message import read_message
from payalert_imap.verdict import (
    SUSPICIOUS_KIND,
    UNPARSED_KIND,
    ReadSettings,
    Verdict,
    classify_mail,
    classify_text,
)
from payalert_testing.fuzzing import fuzz_settings
from payalert_testing.imap import bank_records, eml_path

from payalert_core import Direction, Payment

FUZZ = fuzz_settings(250)
CHAIN = make_chain()
GMAIL = ReadSettings(authserv_ids=("mx.google.com",))
SENT = datetime(2026, 6, 2, 10, 15, tzinfo=UTC)
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")

#: What a mangled or hostile alert may put where an amount, a date or an account number was.
ODD_TOKENS = [
    "0",
    "0.00",
    "00000.000",
    "-5",
    "1e5",
    ".5",
    "5.",
    "1,,2",
    ",5",
    "99999999999999999999999999999999999999.99",
    "1,00,00,00,00,00,00,00,00,00,00,000.00",
    "१२३.४५",  # Devanagari digits match \\d
    "٣٤",  # Arabic-Indic digits
    "１２３",  # full-width digits
    "31-02-26",
    "00-00-00",
    "29-02-25",
    "99/99/9999",
    "32 Jan 2026",
    "2026-13-40",
    "25:61:99",
    "XX",
    "**",
    "\u202e",
    "\x00",
    "\r\n",
    "Rs.",
    "INR INR",
    "₹₹",
]


def _text_records() -> list[dict[str, Any]]:
    return [record for record in bank_records() if isinstance(record.get("text"), str)]


class Records(list):
    """Corpus records (with a short repr, for hypothesis's reports)."""

    def __repr__(self) -> str:
        return f"<{len(self)} corpus records>"


@st.composite
def mutated_alert(draw: Any, records: list[dict[str, Any]]) -> AlertText:
    """A real alert text with numbers swapped for odd tokens and slices replaced by random text."""
    record = draw(st.sampled_from(records))
    text: str = record["text"]
    numbers = list(_DIGITS.finditer(text)) if draw(st.booleans()) else []
    for match in reversed(numbers):
        if draw(st.booleans()):
            token = draw(st.sampled_from(ODD_TOKENS) | st.text(max_size=8))
            text = text[: match.start()] + token + text[match.end() :]
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 30)))
        text = text[:start] + draw(st.text(max_size=20) | st.sampled_from(ODD_TOKENS)) + text[end:]
    sender = record.get("from") or record.get("sender") or ""
    return AlertText(
        text=text,
        subject=draw(st.just(record.get("subject") or "") | st.text(max_size=40)),
        sender=draw(st.just(sender) | st.text(max_size=40)),
        sent_at=draw(st.none() | st.just(SENT)),
    )


def check_verdict(verdict: Verdict) -> Payment | None:
    """What every verdict must satisfy; returns the payment or notice it alerts as."""
    json.dumps(verdict.to_json(), ensure_ascii=False)
    if verdict.alert is not None:
        assert isinstance(verdict.alert.amount, Decimal)
        assert verdict.alert.amount.is_finite() and verdict.alert.amount > 0
    payment = verdict.to_payment({"source": "bank"})
    if verdict.is_payment and payment is not None and payment.kind == UNPARSED_KIND:
        # An alert the bounds refuse (an amount of 10^15 or more, a time before 1970 or in the
        # future) is told as a mail not understood, naming the field; never as money.
        assert payment.amount is None and payment.details["Reason"].startswith("the alert's ")
    elif verdict.is_payment:
        assert payment is not None and payment.amount == verdict.alert.amount  # type: ignore[union-attr]
        assert payment.direction in (Direction.IN, Direction.OUT)
    elif payment is not None:  # a mail not understood (or not trusted) becomes a notice, never money
        assert verdict.outcome in ("suspicious", "unparsed")
        assert payment.amount is None and payment.kind in (SUSPICIOUS_KIND, UNPARSED_KIND)
    else:
        assert verdict.outcome in ("ignored", "not_bank", "filtered", "unparsed")
    if payment is not None:
        json.loads(payment.to_json())
    return payment


def check_parsers_directly(message: AlertText) -> None:
    """Each built-in parser answers (or declines) without raising: the chain's safety net is for plugins."""
    for parser in builtin_parsers():
        result = parser.parse(message)
        if isinstance(result, ParsedAlert):
            assert result.amount > 0 and result.occurred_at.tzinfo is not None


def test_random_text_is_read_without_crashing() -> None:
    @FUZZ
    @given(
        text=st.text(max_size=400),
        subject=st.text(max_size=60),
        sender=st.sampled_from(["", "alerts@hdfcbank.bank.in", "AM-HDFCBK", "x@y"]) | st.text(max_size=30),
    )
    def check(text: str, subject: str, sender: str) -> None:
        message = AlertText(text=text, subject=subject, sender=sender)
        check_parsers_directly(message)
        check_verdict(classify_text(message, CHAIN))

    check()


def test_mutated_real_alerts_give_a_positive_decimal_or_no_payment() -> None:
    records = Records(_text_records())
    assert len(records) >= 200
    outcomes: dict[str, int] = {}

    @FUZZ
    @given(message=mutated_alert(records))
    def check(message: AlertText) -> None:
        check_parsers_directly(message)
        verdict = classify_text(message, CHAIN)
        outcomes[verdict.outcome] = outcomes.get(verdict.outcome, 0) + 1
        check_verdict(verdict)

    check()
    assert outcomes.get("payment") and outcomes.get("unparsed"), outcomes


_HEADER_NOISE = st.sampled_from(
    [
        b"Date: 99 Foo 2026 25:61:00 +9999",
        b"Date: ",
        b"Subject: =?utf-8?b?!!!not-base64?=",
        b"Subject: =?x-unknown?q?=FF=FE?=",
        b"From: <>",
        b"From: a@b, c@d",
        b"From: \xff\xfe@hdfcbank.bank.in",
        b"Content-Transfer-Encoding: x-garbage",
        b"Content-Transfer-Encoding: base64",
        b"Content-Type: text/plain; charset=x-unknown-charset",
        b"Content-Type: multipart/mixed; boundary=",
        b"Content-Type: text/html",
        b'Content-Type: text/html; charset="utf\x00-8"',
        b"Content-Type: text/plain; charset=utf-8\x00",
        b"Authentication-Results: mx.google.com; dkim=pass header.d=hdfcbank.bank.in; dmarc=pass header.from=hdfcbank.bank.in",
        b"Authentication-Results: ;;;",
        b"Authentication-Results: mx.google.com; dkim=pass (((unclosed",
        b"Message-ID: ",
    ]
)


@st.composite
def mutated_eml(draw: Any, files: list[bytes]) -> bytes:
    """A real .eml with headers added, the body cut or bytes flipped."""
    raw = bytearray(draw(st.sampled_from(files)))
    for _ in range(draw(st.integers(0, 3))):
        line = draw(
            _HEADER_NOISE | st.binary(max_size=60).map(lambda b: b"X-Noise: " + b.replace(b"\n", b""))
        )
        raw[0:0] = line + b"\r\n"
    if draw(st.booleans()):
        del raw[draw(st.integers(0, len(raw))) :]
    for _ in range(draw(st.integers(0, 4))):
        if raw:
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return bytes(raw)


class Files(list):
    """Corpus .eml files (with a short repr, for hypothesis's reports)."""

    def __repr__(self) -> str:
        return f"<{len(self)} .eml files>"


def test_mutated_real_emails_never_crash_and_untrusted_mail_never_pays() -> None:
    files = Files(eml_path(record).read_bytes() for record in bank_records() if record.get("eml_file"))
    assert len(files) >= 10

    @FUZZ
    @given(raw=mutated_eml(files) | st.binary(max_size=500))
    def check(raw: bytes) -> None:
        facts = read_message(raw)
        check_parsers_directly(facts.alert_text())
        verdict = classify_mail(facts, CHAIN, GMAIL)
        check_verdict(verdict)
        if verdict.is_payment:
            assert verdict.trust.status == "pass", verdict.trust

    check()


def test_explain_jsonl_answers_every_line(tmp_path: Any) -> None:
    """The public ``payalert imap explain --jsonl`` path: one JSON verdict per input line, exit 0."""
    records = Records(_text_records())

    @settings(FUZZ, max_examples=2)
    @given(
        messages=st.lists(mutated_alert(records), min_size=40, max_size=40),
        junk=st.lists(st.text(max_size=30), max_size=5),
    )
    def check(messages: list[AlertText], junk: list[str]) -> None:
        lines = [json.dumps({"text": m.text, "from": m.sender, "subject": m.subject}) for m in messages]
        junk = [re.sub(r"[\r\n]", " ", line) for line in junk]
        lines += [line for line in junk if line.strip()]
        done = subprocess.run(
            [sys.executable, "-m", "payalert_core", "imap", "explain", "--jsonl"],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        answers = [json.loads(line) for line in done.stdout.split("\n") if line.strip()]
        assert len(answers) == len(lines)
        for answer in answers:
            assert answer["amount"] is None or Decimal(answer["amount"]) > 0

    check()


def test_a_charset_holding_a_nul_byte_is_read_not_raised() -> None:
    """Found by the fuzzing above: ``charset=\"utf\\x00-8\"`` must not make read_message raise."""
    raw = b'From: alerts@hdfcbank.bank.in\r\nContent-Type: text/html; charset="utf\x00-8"\r\n\r\n<p>Rs.5.00 debited</p>\r\n'
    facts = read_message(raw)
    assert "Rs.5.00" in facts.text
    check_verdict(classify_mail(facts, CHAIN, GMAIL))
