"""SMS sender trust: only an issuer's DLT header, as an operator delivers it, makes an SMS the issuer's."""

from __future__ import annotations

import pytest
from payalert_banktext import dlt_header, issuer_of_sender, issuer_of_sms_sender, profiles


@pytest.mark.parametrize(
    ("sender", "issuer"),
    [
        ("VM-HDFCBK", "hdfc"),
        ("JD-HDFCBK-S", "hdfc"),
        ("AD-HDFCBK-T", "hdfc"),
        ("CP-HDFCBK-P", "hdfc"),
        ("ax-icicit-s", "icici"),
        (" BP-CBSSBI ", "sbi"),
        ("JM-KOTAKB-S", "kotak"),
    ],
)
def test_the_operator_prefix_and_the_category_suffix_may_vary(sender: str, issuer: str) -> None:
    profile = issuer_of_sms_sender(sender)
    assert profile is not None and profile.id == issuer


@pytest.mark.parametrize(
    "sender",
    [
        "+919876543210",  # anyone can send from a phone number
        "9876543210",
        "HDFCBK",  # no operator prefix: not delivered from the DLT platform
        "HDFC Bank",  # a name is free text
        "VM-HDFCBANK",  # not a six-character header
        "VM-HDFCBK-X",  # not one of TRAI's categories
        "VMX-HDFCBK",
        "VM-HDFCBK-S-T",
        "VM-HDFCBQ",  # a header no issuer registered
        "",
    ],
)
def test_anything_else_belongs_to_no_issuer(sender: str) -> None:
    assert issuer_of_sms_sender(sender) is None


def test_a_name_still_says_who_a_text_is_from_when_trust_is_not_asked() -> None:
    match = issuer_of_sender("HDFC Bank")
    assert match is not None and match.profile.id == "hdfc" and issuer_of_sms_sender("HDFC Bank") is None


def test_the_header_is_read_without_prefix_and_suffix() -> None:
    assert dlt_header("JD-HDFCBK-S") == "HDFCBK"
    assert dlt_header("+919876543210") is None


def test_every_listed_header_is_six_characters_and_belongs_to_one_issuer() -> None:
    owners: dict[str, str] = {}
    for profile in profiles():
        for header in profile.sms_headers:
            assert len(header) == 6 and header.isalnum(), (profile.id, header)
            assert owners.setdefault(header, profile.id) == profile.id, header
