"""Issuer profiles: valid data, and an alert matched to its issuer by sender or by text."""

from __future__ import annotations

import re

import pytest
from payalert_banktext import issuer_of_sender, mail_domains, match_issuer, profiles, read_alert

#: The issuers every Indian user is likely to hear from: each must have a profile.
REQUIRED = [
    "HDFC Bank", "ICICI Bank", "State Bank of India", "SBI Card", "Axis Bank", "Kotak Mahindra Bank",
    "IDFC FIRST Bank", "Yes Bank", "Punjab National Bank", "Bank of Baroda", "Federal Bank", "IndusInd Bank",
    "AU Small Finance Bank", "Canara Bank", "Union Bank of India", "IDBI Bank", "RBL Bank", "Indian Bank",
    "HSBC India", "Standard Chartered", "Citibank", "American Express", "OneCard", "slice",
    "Jupiter (Edge CSB Bank)", "PhonePe", "Google Pay", "Paytm",
]  # fmt: skip


def test_the_profiles_are_well_formed() -> None:
    found = profiles()
    assert len({p.id for p in found}) == len(found), "issuer ids are unique"
    assert set(REQUIRED) <= {p.name for p in found}
    headers = [h for p in found for h in p.sms_headers]
    assert len(headers) == len(set(headers)), "a DLT header belongs to one issuer"
    assert all(re.fullmatch(r"[A-Z]{6}", h) for h in headers), "DLT headers are six letters"
    assert all(re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", d) for d in mail_domains())
    assert all(p.names and p.kind in {"bank", "card", "wallet", "payments_bank", "upi_app"} for p in found)


@pytest.mark.parametrize(
    ("sender", "name", "matched_by"),
    [
        ("VM-HDFCBK", "HDFC Bank", "sms_header"),
        ("AX-ICICIT-S", "ICICI Bank", "sms_header"),
        ("JD-HDFCBK-S", "HDFC Bank", "sms_header"),
        ("HDFCBK", "HDFC Bank", "sms_header"),
        ("[JD-HDFCBK-S]", "HDFC Bank", "sms_header"),
        ("VM-SBICRD", "SBI Card", "sms_header"),
        ("com.google.android.apps.nbu.paisa.user", "Google Pay", "app"),
        ("SARASWATBANK", "Saraswat Bank", "sender_name"),
        ("VM-Paytm", "Paytm", "sender_name"),
    ],
)
def test_sms_senders(sender: str, name: str, matched_by: str) -> None:
    found = issuer_of_sender(sender, "sms")
    assert found is not None and (found.profile.name, found.matched_by) == (name, matched_by)


@pytest.mark.parametrize(
    ("sender", "name"),
    [
        ("alerts@hdfcbank.bank.in", "HDFC Bank"),
        ("HDFC Bank InstaAlerts <alerts@hdfcbank.net>", "HDFC Bank"),
        ("credit_cards@icici.bank.in", "ICICI Bank"),
        ("onlinesbicard@sbicard.com", "SBI Card"),
        ("cubalert@cityunionbank.org", "City Union Bank"),
    ],
)
def test_mail_senders(sender: str, name: str) -> None:
    found = issuer_of_sender(sender, "email")
    assert found is not None and found.profile.name == name and found.matched_by == "mail_domain"


def test_a_sender_that_is_no_issuers_is_none() -> None:
    assert issuer_of_sender("VM-ZEPTO", "sms") is None
    assert issuer_of_sender("friend@example.test", "email") is None
    assert issuer_of_sender("VM-HDFCBK", "email") is None  # a mail sender has an address
    assert issuer_of_sender("", "sms") is None


def test_by_text_when_the_sender_says_nothing() -> None:
    found = match_issuer("", "Rs.500 spent on your SBI Credit Card ending 1234 at SHOP.")
    assert found is not None and found.profile.name == "SBI Card" and found.matched_by == "text"
    found = match_issuer("", "Rs 500 debited from A/c XX1234 -Punjab&Sind Bank")
    assert found is not None and found.profile.name == "Punjab & Sind Bank"


def test_a_name_inside_a_vpa_or_a_word_is_not_an_issuer() -> None:
    assert match_issuer("", "Rs200.0 paid to user27@SBI from A/c X0763") is None
    assert match_issuer("", "Have a slice of cake") is not None  # one-word names match as written
    assert match_issuer("", "A SLICE OF CAKE") is None


def test_another_banks_mail_naming_hdfc_is_that_banks() -> None:
    reading = read_alert(
        "Rs.5,000.00 credited to your A/c XX1234 by NEFT from HDFC Bank customer RAVI. UTR HDFCN52026020112345.",
        sender="alerts@axisbank.com",
    )
    assert reading.issuer is not None and reading.issuer.profile.name == "Axis Bank"
    assert reading.alert is not None and reading.alert.issuer == "Axis Bank"
