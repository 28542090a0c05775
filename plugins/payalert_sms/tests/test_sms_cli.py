"""``payalert sms explain`` and ``payalert sms send-test``, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from payalert_testing.sms import HDFC_CREDIT, SOURCE, post_sms

CREDIT = HDFC_CREDIT.format(amount="2,500.00", ref="612345678901")


def _payalert(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "payalert_core", *args], capture_output=True, text=True, input=stdin, cwd=cwd
    )


def test_explain_reads_stdin_and_shows_the_payment_and_its_keys(tmp_path: Path) -> None:
    result = _payalert("sms", "explain", "--text", "-", "--from", "VM-HDFCBK", cwd=tmp_path, stdin=CREDIT)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["outcome"], document["issuer"], document["amount"]) == (
        "payment",
        "HDFC Bank",
        "2500.00",
    )
    assert document["same_payment_as"]["reference"] == "612345678901:credit"


def test_explain_says_why_a_phone_number_is_no_bank(tmp_path: Path) -> None:
    result = _payalert("sms", "explain", "--text", CREDIT, "--from", "+919876543210", cwd=tmp_path)
    document = json.loads(result.stdout)
    assert document["outcome"] == "untrusted" and document["trusted_sender"] is False
    assert "no bank's registered sender id" in document["reason"] and document["same_payment_as"] is None


def test_explain_shows_the_stored_telling_an_sms_would_repeat(sms_daemon) -> None:
    daemon = sms_daemon()
    before = json.loads(daemon.cli("sms", "explain", "--text", CREDIT, "--from", "VM-HDFCBK").stdout)
    assert before["told_before"] == []
    assert post_sms(daemon, "AX-HDFCBK-S", CREDIT).status == 202
    again = post_sms(daemon, "VM-HDFCBK", CREDIT)
    assert again.json()["status"] == "repeat"
    result = daemon.cli("sms", "explain", "--text", CREDIT, "--from", "JD-HDFCBK")
    told = json.loads(result.stdout)["told_before"]
    assert [(t["source"], t["alerted"]) for t in told] == [(SOURCE, True), (SOURCE, False)], result.stderr


def test_explain_with_a_source_uses_its_accounts(sms_daemon) -> None:
    daemon = sms_daemon(accounts=["1111"])
    result = daemon.cli("sms", "explain", "--text", CREDIT, "--from", "VM-HDFCBK", "--source", SOURCE)
    assert json.loads(result.stdout)["outcome"] == "other_account", result.stderr
    wrong = daemon.cli("sms", "explain", "--text", CREDIT, "--from", "VM-HDFCBK", "--source", "nope")
    assert wrong.returncode != 0 and "sources.nope is not a source with type: sms" in wrong.stderr


def test_send_test_posts_what_the_app_posts_and_it_alerts(sms_daemon) -> None:
    daemon = sms_daemon(accounts=["4477"])
    result = daemon.cli("sms", "send-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "202" in result.stdout and "stored" in result.stdout
    payment = daemon.wait_for_alerts(1)[0].payment
    assert payment.amount == 1 and payment.details["Account"] == "••4477"
    assert "signing_key" not in result.stdout and "gateway-signing-key" not in result.stdout + result.stderr


def test_send_test_names_a_daemon_that_is_not_running(sms_daemon) -> None:
    daemon = sms_daemon()
    daemon.kill()
    result = daemon.cli("sms", "send-test")
    assert result.returncode != 0 and "is `payalert run` running?" in result.stderr


def test_the_plugin_is_listed(tmp_path: Path) -> None:
    result = _payalert("plugins", cwd=tmp_path)
    assert "sms  (payalert-sms" in result.stdout and "sms" in result.stdout.split("source types:")[1]
