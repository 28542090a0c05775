"""The shared bank corpus: HDFC and UPI records exactly, other banks as a per-field accuracy table."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from imap_testkit import account_digits, bank_records, eml_path
from payalert_imap.message import read_message
from payalert_imap.parsing import AlertText, make_chain
from payalert_imap.verdict import ReadSettings, Verdict, classify_mail, classify_text

CHAIN = make_chain(plugins=False)
GMAIL = ReadSettings(authserv_ids=("mx.google.com",))
UNCHECKED = ReadSettings(require_authentication=False)
_UPI_CREDIT = re.compile(r"credited\b.*\b(?:by|from) VPA\b", re.I | re.S)
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


def _is_upi_credit(record: dict[str, Any]) -> bool:
    return bool(_UPI_CREDIT.search(record["text"]))


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


def _records(predicate: Any) -> list[dict[str, Any]]:
    return [r for r in bank_records() if r.get("expected") and predicate(r)]


def _ids(records: list[dict[str, Any]]) -> list[str]:
    return [f"{r['_file'].split('.')[0][:12]}-{i}-{r['case_name'][:40]}" for i, r in enumerate(records)]


def test_corpus_has_hdfc_and_upi_records() -> None:
    records = _records(lambda r: _is_hdfc(r) or _is_upi_credit(r))
    positives = [r for r in records if r["expected"].get("should_parse") is not False]
    assert len(positives) >= 35, "the corpus should hold dozens of HDFC/UPI transactions"


def test_hdfc_and_upi_records_match_exactly() -> None:
    failures = []
    checked = 0
    for record in _records(lambda r: _is_hdfc(r) or _is_upi_credit(r)):
        expected = record["expected"]
        verdict = verdict_for(record)
        if record["case_name"] in ORIGIN_SKIPPED_TRANSACTIONS:
            wrong = mismatches(ORIGIN_SKIPPED_TRANSACTIONS[record["case_name"]], verdict)
        elif expected.get("should_parse") is False:
            wrong = {"payment": ("none", verdict.to_json())} if verdict.is_payment else {}
        else:
            wrong = mismatches(expected, verdict)
        checked += 1
        if wrong:
            failures.append((record["case_name"], record["text"][:120], wrong))
    assert checked >= 60
    assert not failures, "\n".join(f"{name}: {text!r}: {wrong}" for name, text, wrong in failures)


def test_origin_skipped_transactions_exist_in_the_corpus() -> None:
    names = {r["case_name"] for r in bank_records()}
    assert set(ORIGIN_SKIPPED_TRANSACTIONS) <= names


EML_RECORDS = [r for r in bank_records() if r.get("eml_file")]


@pytest.mark.parametrize("record", EML_RECORDS, ids=[r["eml_file"].rsplit("/", 1)[-1] for r in EML_RECORDS])
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
    record = next(r for r in EML_RECORDS if r["eml_file"].endswith("cub_savings_debit_1.eml"))
    verdict = classify_mail(read_message(eml_path(record).read_bytes()), CHAIN, GMAIL)
    assert verdict.trust.status == "fail"
    assert not verdict.is_payment


def _hdfc_eml() -> bytes:
    record = next(r for r in EML_RECORDS if r["eml_file"].endswith("hdfc_upi_credit_1.eml"))
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


def test_other_banks_accuracy_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Print per-field accuracy for banks other than HDFC; assert that what we do read is right."""
    fields = (
        "amount",
        "currency",
        "direction",
        "account_last4",
        "counterparty",
        "vpa",
        "reference",
        "balance",
    )
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    wrong_amounts = []
    for record in _records(lambda r: not _is_hdfc(r) and not _is_upi_credit(r)):
        expected = record["expected"]
        if expected.get("should_parse") is False or not expected.get("amount"):
            continue
        bank = (record.get("bank") or "unknown").replace(" (inferred from sender)", "")
        verdict = verdict_for(record)
        wrong = mismatches(expected, verdict)
        for field in fields:
            present = expected.get(field) is not None or (
                field == "account_last4" and expected.get("account_label") is not None
            )
            if present:
                totals[bank][field][1] += 1
                totals[bank][field][0] += int(verdict.is_payment and field not in wrong)
        if verdict.is_payment and ("amount" in wrong or "direction" in wrong):
            wrong_amounts.append((record["text"][:100], wrong))
    with capsys.disabled():
        print("\nper-field accuracy on other banks (correct/expected):")
        print(f"{'bank':<28}" + "".join(f"{f[:12]:>14}" for f in fields))
        for bank in sorted(totals):
            cells = [
                f"{totals[bank][f][0]}/{totals[bank][f][1]}" if totals[bank][f][1] else "-" for f in fields
            ]
            print(f"{bank[:27]:<28}" + "".join(f"{c:>14}" for c in cells))
    assert totals, "the corpus should hold other banks' records"
    assert not wrong_amounts, f"a wrong amount or direction is worse than none: {wrong_amounts}"
