"""The shared bank corpus's complete mails (.eml) through MIME, headers and the trust check.

How well the alert texts themselves are read, per issuer, is payalert-banktext's corpus test.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from payalert_banktext import make_chain
from payalert_imap.message import read_message
from payalert_imap.verdict import ReadSettings, Verdict, classify_mail
from payalert_testing.imap import account_digits, bank_records, eml_path

CHAIN = make_chain()
GMAIL = ReadSettings(authserv_ids=("mx.google.com",))
DIRECTIONS = {"debit": "debit", "credit": "credit"}


def _is_hdfc(record: dict[str, Any]) -> bool:
    return "HDFC" in (record.get("bank") or "")


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
    if expected.get("should_parse") is False:
        assert not verdict.is_payment, verdict.to_json()
    elif verdict.trust.status == "pass":
        # Every authenticated alert of a payment is read, whichever bank sent it.
        assert mismatches(expected, verdict) == {}, verdict.to_json()
        assert verdict.to_payment({"source": "bank"}) is not None
    else:
        assert not verdict.is_payment, verdict.to_json()


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


#: The spoofs ``_spoofs`` makes of a real mail, named here so that collection needs no corpus.
SPOOFS = (
    "dkim and dmarc fail",
    "forged pass below the provider's fail",
    "lookalike From domain",
    "two From addresses",
)


def test_every_spoof_is_tested() -> None:
    assert sorted(_spoofs()) == sorted(SPOOFS)


@pytest.mark.parametrize("name", SPOOFS)
def test_spoofed_bank_mail_is_a_warning_never_a_payment(name: str) -> None:
    verdict = classify_mail(read_message(_spoofs()[name]), CHAIN, GMAIL)
    assert verdict.trust.status == "fail", verdict.trust
    assert not verdict.is_payment
    assert verdict.outcome == "suspicious"
    notice = verdict.to_payment({"source": "bank"})
    assert notice is not None and notice.amount is None and notice.kind == "bank.suspicious_email"
