"""Authentication-Results parsing and the trust decision."""

from __future__ import annotations

from imap_testkit import alert_mail, auth_results, upi_credit_mail
from payalert_imap.message import read_message
from payalert_imap.trust import check_trust, parse_authentication_results, strip_comments

GMAIL = ("mx.google.com",)
HDFC = ("hdfcbank.bank.in", "hdfcbank.net", "hdfcbank.com")


def test_parse_gmail_header_with_comments() -> None:
    parsed = parse_authentication_results(auth_results())
    assert parsed.authserv_id == "mx.google.com"
    methods = {r.method: r for r in parsed.results}
    assert methods["dkim"].result == "pass" and methods["dkim"].properties["header.i"] == "@hdfcbank.bank.in"
    assert methods["dmarc"].properties["header.from"] == "hdfcbank.bank.in"


def test_parse_arc_and_outlook_forms() -> None:
    arc = parse_authentication_results("i=2; mx.google.com; dkim=pass header.d=hdfcbank.net")
    assert (arc.instance, arc.authserv_id) == (2, "mx.google.com")
    outlook = parse_authentication_results(
        "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=x.com; dmarc=pass action=none header.from=x.com"
    )
    assert outlook.authserv_id == "" and outlook.results[1].method == "dmarc"


def test_comments_are_removed_but_quoted_strings_kept() -> None:
    assert strip_comments('a (b (c)) "d (e)" f') == 'a  "d (e)" f'


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
    assert result.status == "fail" and "no Authentication-Results from mx.google.com" in result.reason


def test_arc_results_are_used_when_no_plain_header_matches() -> None:
    raw = upi_credit_mail(auth=None, extra_headers=[("ARC-Authentication-Results", "i=1; " + auth_results())])
    result = check_trust(read_message(raw), GMAIL, HDFC)
    assert result.status == "pass" and result.header == "ARC-Authentication-Results"


def test_sender_outside_the_parsers_bank_is_refused() -> None:
    raw = upi_credit_mail(sender="HDFC <alerts@hdfc-alerts.example>")
    result = check_trust(read_message(raw), GMAIL, HDFC)
    assert result.status == "fail" and "not the bank's" in result.reason


def test_any_bank_domain_for_generic_parsers_and_extra_domains() -> None:
    facts = read_message(alert_mail("x", sender="alerts@smallbank.example"))
    assert check_trust(facts, GMAIL).status == "fail"
    assert check_trust(facts, GMAIL, extra_bank_domains=["smallbank.example"]).status == "pass"
    assert check_trust(read_message(alert_mail("x", sender="alerts@newbank.bank.in")), GMAIL).status == "pass"
