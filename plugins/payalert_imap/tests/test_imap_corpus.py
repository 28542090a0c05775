"""The shared bank corpus: a per-issuer accuracy table with floors, the .eml files through MIME and trust."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
from imap_testkit import account_digits, bank_records, eml_path
from payalert_banktext import AlertText, make_chain
from payalert_imap.message import read_message
from payalert_imap.verdict import ReadSettings, Verdict, classify_mail, classify_text

CHAIN = make_chain()
GMAIL = ReadSettings(authserv_ids=("mx.google.com",))
UNCHECKED = ReadSettings(require_authentication=False)
DIRECTIONS = {"debit": "debit", "credit": "credit"}

#: should_parse false in the origin, but money did move (the origin's own note says so): we must
#: read it right, from the text itself.
ORIGIN_SKIPPED_TRANSACTIONS = {
    "parse: HDFC old P2P credit (to your account **NNNN … Sender:) still returns nil — 07-07 guard": {
        "amount": "500.00",
        "direction": "credit",
        "account_last4": "1329",
        "vpa": "someone@okhdfcbank",
        "counterparty": "JOHN DOE",
    },
}


def _is_hdfc(record: dict[str, Any]) -> bool:
    return "HDFC" in (record.get("bank") or "")


def verdict_for(record: dict[str, Any]) -> Verdict:
    """The text record through the parsers; a raw RFC 822 string through the MIME path."""
    text = record["text"]
    if text.startswith("From:"):
        return classify_mail(read_message(text.encode("utf-8")), CHAIN, UNCHECKED)
    sender = record.get("from") or record.get("sender") or ""
    return classify_text(AlertText(text=text, subject=record.get("subject") or "", sender=sender), CHAIN)


def counterparty_matches(expected: str, got: str | None, vpa: str | None) -> bool:
    """Equal, or one of the origins' conventions for a payee known only by VPA.

    Cashiro calls such a payee "UPI Payee"; Finlight shows the VPA's handle without ``@bank``.
    We keep the VPA itself as the counterparty (and in ``vpa``).
    """
    if expected == got:
        return True
    if vpa and got == vpa:
        return expected == "UPI Payee" or expected == vpa.split("@")[0]
    return False


def mismatches(expected: dict[str, Any], verdict: Verdict) -> dict[str, tuple[Any, Any]]:
    """Expected fields the verdict gets wrong: {field: (expected, got)}."""
    alert = verdict.alert if verdict.is_payment else None
    if alert is None:
        return {"payment": ("a payment", f"{verdict.outcome}: {verdict.reason}")}
    wrong: dict[str, tuple[Any, Any]] = {}
    checks: dict[str, tuple[Any, Any]] = {}
    if expected.get("amount") is not None:
        checks["amount"] = (Decimal(expected["amount"]), alert.amount)
    if expected.get("currency") is not None:
        checks["currency"] = (expected["currency"], alert.currency)
    if expected.get("direction") is not None:
        checks["direction"] = (DIRECTIONS[expected["direction"]], alert.direction)
    last4 = expected.get("account_last4") or account_digits(expected.get("account_label"))
    if last4 is not None:
        checks["account_last4"] = (last4, alert.account_last4)
    for field in ("vpa", "reference"):
        if expected.get(field) is not None:
            checks[field] = (expected[field], getattr(alert, field))
    if expected.get("balance") is not None:
        checks["balance"] = (Decimal(expected["balance"]), alert.balance)
    if expected.get("date") is not None:
        checks["date"] = (expected["date"], alert.occurred_at.date().isoformat())
    if expected.get("is_reversal_or_credit") is not None:
        checks["is_reversal_or_credit"] = (expected["is_reversal_or_credit"], alert.direction == "credit")
    for field, (want, got) in checks.items():
        if want != got:
            wrong[field] = (want, got)
    if expected.get("counterparty") is not None and not counterparty_matches(
        expected["counterparty"], alert.counterparty, alert.vpa
    ):
        wrong["counterparty"] = (expected["counterparty"], alert.counterparty)
    return wrong


def _labelled_records() -> list[dict[str, Any]]:
    return [r for r in bank_records() if r.get("expected")]


def issuer_of(record: dict[str, Any]) -> str:
    """The record's issuer as the corpus names it, without its "(inferred from sender)" note."""
    bank = (record.get("bank") or "unknown").replace(" (inferred from sender)", "")
    return "unknown" if bank.startswith("unknown") else bank


TABLE_FIELDS = ("amount", "direction", "account_last4", "reference")

#: Texts read with every expected field right, per issuer, as measured when the corpus grew to 791
#: texts. A floor, not a target: the per-issuer table may only go up from here.
ALL_FIELDS_FLOOR = {"HDFC Bank": 42, "ICICI Bank": 1, "State Bank of India": 1}


def accuracy_table() -> dict[str, Counter[str]]:
    """Per issuer: payment texts, each field read right, all fields right, negatives, false positives."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for record in _labelled_records():
        expected = record["expected"]
        if record["case_name"] in ORIGIN_SKIPPED_TRANSACTIONS:
            expected = {"should_parse": True, **ORIGIN_SKIPPED_TRANSACTIONS[record["case_name"]]}
        verdict = verdict_for(record)
        row = rows[issuer_of(record)]
        if expected.get("should_parse") is False:
            row["negatives"] += 1
            row["false positives"] += verdict.is_payment
            continue
        wrong = mismatches(expected, verdict)
        row["texts"] += 1
        row["all fields"] += not wrong
        for field in TABLE_FIELDS:
            row[field] += verdict.is_payment and field not in wrong
        row["wrong amount or direction"] += verdict.is_payment and bool({"amount", "direction"} & set(wrong))
    return rows


def test_per_issuer_accuracy_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the per-issuer table; no issuer falls below its floor, and nothing false is a payment."""
    rows = accuracy_table()
    columns = ("texts", *TABLE_FIELDS, "all fields", "negatives", "false positives")
    total: Counter[str] = Counter()
    with capsys.disabled():
        print("\nbank corpus, per issuer (texts read right / payment texts):")
        print(f"{'issuer':<30}" + "".join(f"{c[:14]:>15}" for c in columns))
        for issuer in sorted(rows):
            total.update(rows[issuer])
            print(f"{issuer[:29]:<30}" + "".join(f"{rows[issuer][c]:>15}" for c in columns))
        print(f"{'all issuers':<30}" + "".join(f"{total[c]:>15}" for c in columns))
    assert total["texts"] >= 500 and total["negatives"] >= 200, "the corpus should hold 791 texts"
    below = {
        issuer: (rows[issuer]["all fields"], floor)
        for issuer, floor in ALL_FIELDS_FLOOR.items()
        if rows[issuer]["all fields"] < floor
    }
    assert not below, f"issuers read worse than their floor (got, floor): {below}"
    assert total["false positives"] == 0, "a message that moves no money was read as a payment"
    assert total["wrong amount or direction"] == 0, "a wrong amount or direction is worse than none"


def test_origin_skipped_transactions_exist_in_the_corpus() -> None:
    names = {r["case_name"] for r in bank_records()}
    assert set(ORIGIN_SKIPPED_TRANSACTIONS) <= names


def _eml_params() -> list[Any]:
    """One parameter per corpus record with an .eml file; a single skipped one without the corpus.

    Collection must not stop when the corpus is absent: the skip carries corpus_path's reason (and
    under PAYALERT_REQUIRE_CORPUS=1 the missing corpus fails collection loudly).
    """
    try:
        records = [r for r in bank_records() if r.get("eml_file")]
    except pytest.skip.Exception as missing:
        return [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(reason=str(missing)))]
    return [pytest.param(r, id=r["eml_file"].rsplit("/", 1)[-1]) for r in records]


def _eml_record(name: str) -> dict[str, Any]:
    return next(r for r in bank_records() if r.get("eml_file", "").endswith(name))


@pytest.mark.parametrize("record", _eml_params())
def test_eml_files_through_mime_headers_and_trust(record: dict[str, Any]) -> None:
    verdict = classify_mail(read_message(eml_path(record).read_bytes()), CHAIN, GMAIL)
    expected = record["expected"]
    if _is_hdfc(record):
        assert verdict.trust.status == "pass", verdict.trust
        assert mismatches(expected, verdict) == {}
        assert verdict.to_payment({"source": "bank"}) is not None
    else:
        # Not HDFC/UPI: never a payment we are unsure of; a notice or nothing is fine.
        assert not verdict.is_payment or not mismatches(expected, verdict), verdict.to_json()
    if expected.get("should_parse") is False:
        assert not verdict.is_payment


def test_eml_without_authentication_results_is_never_a_payment() -> None:
    record = _eml_record("cub_savings_debit_1.eml")
    verdict = classify_mail(read_message(eml_path(record).read_bytes()), CHAIN, GMAIL)
    assert verdict.trust.status == "fail"
    assert not verdict.is_payment


def _hdfc_eml() -> bytes:
    record = _eml_record("hdfc_upi_credit_1.eml")
    return eml_path(record).read_bytes()


def _spoofs() -> dict[str, bytes]:
    original = _hdfc_eml()
    head, _, body = (
        original.partition(b"\r\n\r\n") if b"\r\n\r\n" in original else original.partition(b"\n\n")
    )
    sep = b"\r\n\r\n" if b"\r\n\r\n" in original else b"\n\n"
    failing = head.replace(b"dkim=pass", b"dkim=fail").replace(b"dmarc=pass", b"dmarc=fail")
    lookalike = head.replace(b"<alerts@hdfcbank.bank.in>", b"<alerts@hdfcbank-alerts.example>")
    two_senders = head.replace(
        b"From: HDFC Bank InstaAlerts <alerts@hdfcbank.bank.in>",
        b"From: HDFC Bank InstaAlerts <alerts@hdfcbank.bank.in>, attacker@evil.example",
    )
    # The provider's own (top-most) header says fail; a forged "pass" lower down must not count.
    provider_fail = (
        b"Authentication-Results: mx.google.com; dkim=none; spf=fail smtp.mailfrom=evil.example; "
        b"dmarc=fail (p=REJECT) header.from=hdfcbank.bank.in\r\n"
    )
    forged_below = provider_fail + head
    return {
        "dkim and dmarc fail": failing + sep + body,
        "lookalike From domain": lookalike + sep + body,
        "two From addresses": two_senders + sep + body,
        "forged pass below the provider's fail": forged_below + sep + body,
    }


@pytest.mark.parametrize("name", sorted(_spoofs()))
def test_spoofed_bank_mail_is_a_warning_never_a_payment(name: str) -> None:
    verdict = classify_mail(read_message(_spoofs()[name]), CHAIN, GMAIL)
    assert verdict.trust.status == "fail", verdict.trust
    assert not verdict.is_payment
    assert verdict.outcome == "suspicious"
    notice = verdict.to_payment({"source": "bank"})
    assert notice is not None and notice.amount is None and notice.kind == "bank.suspicious_email"
