"""Forged bank alerts of every kind (built from the corpus's genuine HDFC alert) never become payments."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payalert_banktext import make_chain
from payalert_imap.message import read_message
from payalert_imap.verdict import ReadSettings, Verdict, classify_mail
from payalert_testing.fuzzing import fuzz_settings
from payalert_testing.imap_forgeries import (
    FORGED_SENTENCE,
    GENUINE_SENTENCE,
    KINDS,
    PROVIDER_FAIL,
    Forgery,
    forgeries,
    genuine_alert,
    genuine_html,
    insert_after,
    replace_header,
    with_body,
    with_headers,
)

CHAIN = make_chain()
GMAIL = ReadSettings(authserv_ids=("mx.google.com",))
#: What each kind of forgery must become instead of a payment.
EXPECTED = {
    1: "suspicious",
    2: "suspicious",
    3: "suspicious",
    4: "other_account",
    5: "unparsed",
    6: "suspicious",
}


def judge(raw: bytes, settings: ReadSettings = GMAIL) -> Verdict:
    return classify_mail(read_message(raw), CHAIN, settings)


def settings_for(forgery: Forgery) -> ReadSettings:
    return dataclasses.replace(GMAIL, **forgery.settings)


def test_the_genuine_alert_alerts_with_every_check_on() -> None:
    owner = dataclasses.replace(GMAIL, accounts=("4477",), owner_addresses=("ananyasharma@gmail.com",))
    verdict = judge(genuine_alert(), owner)
    assert verdict.is_payment and verdict.alert is not None
    assert (verdict.alert.amount, verdict.alert.account_last4) == (Decimal("1500.00"), "4477")
    assert verdict.trust.status == "pass" and verdict.trust.method == "dmarc"


def test_every_kind_is_tried() -> None:
    tried = forgeries()
    assert {f.kind for f in tried} == set(KINDS)
    assert len({f.name for f in tried}) == len(tried)
    for forgery in tried:
        read_message(forgery.raw)  # each is still one readable mail


@pytest.mark.parametrize("forgery", forgeries(), ids=lambda f: f"{f.kind}-{f.name}")
def test_a_forged_alert_is_never_a_payment(forgery: Forgery) -> None:
    verdict = judge(forgery.raw, settings_for(forgery))
    assert not verdict.is_payment, (verdict.outcome, verdict.trust, verdict.reason)
    assert verdict.outcome == EXPECTED[forgery.kind], (verdict.outcome, verdict.reason)
    assert verdict.reason
    notice = verdict.to_payment({"source": "bank"})
    assert notice is not None and notice.amount is None


def test_without_the_providers_header_the_verdict_says_how_to_configure_it() -> None:
    raw = with_headers(genuine_alert(), drop=("Authentication-Results",))
    verdict = judge(raw)
    assert verdict.outcome == "suspicious"
    assert "no Authentication-Results header" in verdict.trust.reason
    assert "set authserv_id" in verdict.trust.reason


def test_explain_shows_a_forgery_as_suspicious(tmp_path: Path) -> None:
    forged = next(f for f in forgeries() if f.name == "forged pass below the provider's fail")
    path = tmp_path / "forged.eml"
    path.write_bytes(forged.raw)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "payalert_core",
            "imap",
            "explain",
            "--authserv-id",
            "mx.google.com",
            str(path),
        ],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["outcome"] == "suspicious" and verdict["amount"] is None
    assert verdict["parsed"]["amount"] == "49999.00" and "dmarc=fail" in verdict["reason"]


# -- the property: a forger who changes the amount or the sender never gets a trusted payment ----------
_DOMAINS = [
    "hdfcbank.bank.in",
    "hdfcbank.net",
    "hdfcbank.bank.in.evil.example",
    "evil.example",
    "HDFCBANK.BANK.IN",
]
_HIDING = [
    "display:none",
    "visibility:hidden",
    "font-size:0",
    "color:#fff",
    "opacity:0",
    "max-height:0;overflow:hidden",
]


@st.composite
def _forged_results(draw: Any) -> str:
    """An Authentication-Results a forger writes: any authserv-id, results, comments and quoting."""
    authserv = draw(
        st.sampled_from(["mx.google.com", "MX.GOOGLE.COM", "mx.google.com 1", "", "(x)", "mx.evil.example"])
    )
    clauses = []
    for _ in range(draw(st.integers(1, 4))):
        method = draw(st.sampled_from(["dkim", "dmarc", "DKIM", "arc", "spf"]))
        result = draw(st.sampled_from(["pass", "fail", "none", "PASS"]))
        domain = draw(st.sampled_from(_DOMAINS))
        prop = draw(st.sampled_from(["header.d", "header.i", "header.from", "smtp.mailfrom"]))
        value = draw(st.sampled_from([domain, f"@{domain}", f'"{domain}"', f"({domain})"]))
        clauses.append(f"{method}={result} {draw(st.sampled_from(['', '(c) ']))}{prop}={value}")
    return "; ".join(([authserv] if authserv else []) + clauses)


@st.composite
def _mutated(draw: Any) -> tuple[bytes, bool]:
    """The genuine alert mutated by a forger; True when its amount or its From domain changed."""
    raw = genuine_alert()
    html = genuine_html(raw)
    amount = draw(st.sampled_from(["1500.00", "49,999.00", "15000.00", "1,500.01"]))
    changed = amount != "1500.00"
    html = html.replace(GENUINE_SENTENCE, GENUINE_SENTENCE.replace("1500.00", amount))
    for _ in range(draw(st.integers(0, 2))):
        hidden = f'<div style="{draw(st.sampled_from(_HIDING))}">{FORGED_SENTENCE}</div>'
        html = html.replace("<br><br>UPI", f"{hidden}<br><br>UPI", 1)
    plain = FORGED_SENTENCE if draw(st.booleans()) else None
    raw = with_body(raw, html, plain)
    domain = draw(st.sampled_from(_DOMAINS))
    if domain.lower() != "hdfcbank.bank.in":
        raw = replace_header(raw, "From", f"HDFC Bank InstaAlerts <alerts@{domain}>")
        changed = True
    if changed:  # the provider checked the forger's mail: its own header, on top, says so
        provider = draw(st.sampled_from([PROVIDER_FAIL, PROVIDER_FAIL.replace("dmarc=fail", "dmarc=none")]))
        raw = replace_header(raw, "Authentication-Results", provider)
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["Authentication-Results", "ARC-Authentication-Results"]))
        value = draw(_forged_results())
        raw = insert_after(
            raw, "Authentication-Results", name, f"i=2; {value}" if name.startswith("ARC") else value
        )
    return raw, changed


def test_mutated_genuine_alerts_never_pay_a_changed_amount_or_sender() -> None:
    seen: dict[str, int] = {}

    @fuzz_settings(200)
    @given(mail=_mutated())
    def check(mail: tuple[bytes, bool]) -> None:
        raw, changed = mail
        verdict = judge(raw)
        seen[verdict.outcome] = seen.get(verdict.outcome, 0) + 1
        if verdict.is_payment:
            assert not changed, (verdict.trust, verdict.reason)
            assert verdict.alert is not None and verdict.alert.amount == Decimal("1500.00")
            assert verdict.sender == "alerts@hdfcbank.bank.in"

    check()
    assert seen.get("payment") and seen.get("suspicious"), seen


def test_forgeries_through_dovecot_and_a_running_daemon_alert_nothing(dovecot_server, watch_mailbox) -> None:
    chosen = {"plain, above the provider's fail": "suspicious", "display:none": "unparsed"}
    forged = [f for f in forgeries() if f.name in chosen]
    server = dovecot_server()
    daemon = watch_mailbox(server, accounts=["4477"], owner_addresses=["ananyasharma@gmail.com"])
    for forgery in forged:
        server.append(forgery.raw)
    server.append(genuine_alert())  # after its forgeries: the real alert still alerts
    alerts = daemon.wait_for_alerts(3)
    payments = [a.payment for a in alerts if a.payment.amount is not None]
    notices = {a.payment.raw["message_id"]: a.payment for a in alerts if a.payment.amount is None}
    assert [(p.amount, p.reference) for p in payments] == [(Decimal("1500.00"), "900000000001")]
    kinds = {"suspicious": "bank.suspicious_email", "unparsed": "bank.unparsed_email"}
    for forgery in forged:
        message_id = read_message(forgery.raw).message_id
        assert notices[message_id].kind == kinds[chosen[forgery.name]]
    assert "Traceback" not in daemon.output()
