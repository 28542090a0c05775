"""Authentication-Results parsing and the trust decision."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payalert_imap.message import read_message
from payalert_imap.trust import UnreadableHeader, check_trust, parse_authentication_results
from payalert_testing.fuzzing import fuzz_settings
from payalert_testing.imap import alert_mail, auth_results, upi_credit_mail

GMAIL = ("mx.google.com",)
HDFC = ("hdfcbank.bank.in", "hdfcbank.net", "hdfcbank.com")


def test_parse_gmail_header_with_comments() -> None:
    parsed = parse_authentication_results(auth_results())
    assert parsed.authserv_id == "mx.google.com"
    methods = {r.method: r for r in parsed.results}
    assert methods["dkim"].result == "pass" and methods["dkim"].properties["header.i"] == "@hdfcbank.bank.in"
    assert methods["dmarc"].properties["header.from"] == "hdfcbank.bank.in"


def test_parse_outlook_form_only_when_allowed() -> None:
    value = "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=x.com; dmarc=pass action=none header.from=x.com"
    outlook = parse_authentication_results(value, allow_empty_authserv_id=True)
    assert outlook.authserv_id == "" and outlook.results[1].method == "dmarc"
    with pytest.raises(UnreadableHeader):
        parse_authentication_results(value)


def test_quoted_strings_comments_versions_and_case_are_rfc_8601() -> None:
    parsed = parse_authentication_results(
        'MX.Google.COM 1 (v); spf=pass smtp.mailfrom="x;dkim=pass header.d=hdfcbank.net;y"@evil.example; '
        "DKIM=Pass (good (nested) one) header.d=hdfcbank.net"
    )
    assert parsed.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in parsed.results] == [("spf", "pass"), ("dkim", "pass")]
    assert (
        parsed.results[0].properties["smtp.mailfrom"] == '"x;dkim=pass header.d=hdfcbank.net;y"@evil.example'
    )
    with pytest.raises(UnreadableHeader):
        parse_authentication_results("mx.google.com 2; dkim=pass header.d=hdfcbank.net")


def test_dkim_aligned_passes() -> None:
    facts = read_message(upi_credit_mail(auth=auth_results(dmarc="none")))
    result = check_trust(facts, GMAIL, HDFC)
    assert result.status == "pass" and result.method == "dkim"


def test_dmarc_pass_alone_passes() -> None:
    facts = read_message(
        upi_credit_mail(auth="mx.google.com; dkim=none; dmarc=pass header.from=hdfcbank.bank.in")
    )
    assert check_trust(facts, GMAIL, HDFC).method == "dmarc"


def test_dkim_pass_for_another_domain_is_not_aligned() -> None:
    facts = read_message(
        upi_credit_mail(
            auth="mx.google.com; dkim=pass header.d=mailer.example; dmarc=fail header.from=hdfcbank.bank.in"
        )
    )
    result = check_trust(facts, GMAIL, HDFC)
    assert result.status == "fail" and "mailer.example" in result.reason


def test_header_from_another_provider_does_not_count() -> None:
    facts = read_message(upi_credit_mail(auth=auth_results(authserv="mx.attacker.example")))
    result = check_trust(facts, GMAIL, HDFC)
    assert (
        result.status == "fail"
        and "topmost Authentication-Results header is from mx.attacker.example" in (result.reason)
    )
    assert "set authserv_id" in result.reason


def test_arc_results_are_ignored() -> None:
    raw = upi_credit_mail(auth=None, extra_headers=[("ARC-Authentication-Results", "i=1; " + auth_results())])
    result = check_trust(read_message(raw), GMAIL, HDFC)
    assert result.status == "fail" and "no Authentication-Results header" in result.reason


def test_sender_outside_the_parsers_bank_is_refused() -> None:
    raw = upi_credit_mail(sender="HDFC <alerts@hdfc-alerts.example>")
    result = check_trust(read_message(raw), GMAIL, HDFC)
    assert result.status == "fail" and "not the bank's" in result.reason


def test_any_bank_domain_for_generic_parsers_and_extra_domains() -> None:
    facts = read_message(alert_mail("x", sender="alerts@smallbank.example"))
    assert check_trust(facts, GMAIL).status == "fail"
    assert check_trust(facts, GMAIL, extra_bank_domains=["smallbank.example"]).status == "pass"
    assert check_trust(read_message(alert_mail("x", sender="alerts@newbank.bank.in")), GMAIL).status == "pass"


def test_any_header_value_is_parsed_or_refused_never_raised() -> None:
    pieces = st.sampled_from(
        [
            "mx.google.com",
            ";",
            " ",
            "(",
            ")",
            '"',
            "\\",
            "=",
            ".",
            "@",
            "dkim",
            "pass",
            "header.d",
            "\r\n\t",
            "1",
            "/",
        ]
    )

    @fuzz_settings(300)
    @given(value=st.lists(pieces | st.text(max_size=6), max_size=40).map("".join), empty=st.booleans())
    def check(value: str, empty: bool) -> None:
        try:
            parsed = parse_authentication_results(value, allow_empty_authserv_id=empty)
        except UnreadableHeader:
            return
        assert all(r.method and r.result for r in parsed.results)

    check()
    with pytest.raises(UnreadableHeader, match="longer than"):
        parse_authentication_results("mx.google.com; " + "dkim=pass; " * 2000)
