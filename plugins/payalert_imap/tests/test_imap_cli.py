"""``payalert imap explain`` and ``payalert imap test-connection`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from payalert_testing import corpus_path
from payalert_testing.imap import alert_mail, imap_source, upi_credit_mail


def payalert(
    *args: str, input: bytes | None = None, env: dict | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "payalert_core", *args], input=input, capture_output=True, timeout=60, env=env
    )


def test_explain_an_eml_file() -> None:
    done = payalert("imap", "explain", str(corpus_path("bank", "eml", "hdfc_upi_debit_1.eml")))
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["amount"] == "1500.00" and verdict["direction"] == "debit"
    assert verdict["parser"] == "banktext" and verdict["trust"]["status"] == "pass"
    assert verdict["kind"] == "transaction" and verdict["issuer"] == "HDFC Bank"
    assert verdict["counterparty"] == "FRESHALICIOUS SUPER BAZAAR" and verdict["reference"] == "900000000001"


def test_explain_from_stdin_says_why_nothing_matched() -> None:
    done = payalert("imap", "explain", "-", input=alert_mail("Lunch?", sender="a@example.test", auth=None))
    verdict = json.loads(done.stdout)
    assert verdict["amount"] is None and "not from a bank" in verdict["reason"]


def test_explain_a_bare_text_has_trust_not_checked() -> None:
    done = payalert(
        "imap",
        "explain",
        "--text",
        "-",
        input=b"Spent Rs.388.19 On HDFC Bank Card 9922 At SHOP on 2025-06-22.",
    )
    verdict = json.loads(done.stdout)
    assert verdict["amount"] == "388.19" and verdict["trust"]["status"] == "not_checked"


def test_explain_jsonl_one_verdict_per_line_in_order() -> None:
    lines = [
        {
            "text": "Sent Rs.45.00 From HDFC Bank A/C *1234 To Asha On 23/05/26 Ref 123456789012",
            "from": "JD-HDFCBK",
        },
        {"text": "Hello there"},
        "not json",
        {
            "text": "Rs.2.00 credited to HDFC Bank A/c xx2536 on 07-12-24 from VPA user34@axisbank (UPI 526830463424)"
        },
    ]
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()
    done = payalert("imap", "explain", "--jsonl", input=stdin)
    verdicts = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [v["amount"] for v in verdicts] == ["45.00", None, None, "2.00"]
    assert verdicts[1]["reason"] and "line 3" in verdicts[2]["reason"]
    assert verdicts[3]["reference"] == "526830463424"


def _rules_config(tmp_path: Path, *rules: dict) -> Path:
    """A config with one Gmail imap source ``bank`` holding ``rules``."""
    source = {"type": "imap", "host": "imap.gmail.com", "username": "me@gmail.com", "password": "x"}
    config = {
        "sources": {"bank": {**source, "rules": list(rules)}},
        "notifiers": {"console": {"type": "console"}},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_explain_with_a_sources_rules(tmp_path: Path) -> None:
    path = _rules_config(tmp_path, {"name": "coop", "pattern": r"COOP {AMT} in", "direction": "credit"})
    done = payalert(
        "imap", "explain", "--config", str(path), "--source", "bank", "--text", "-", input=b"COOP Rs.5 in"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["parser"] == "rule:coop"


def test_explain_text_checks_a_rule_with_senders_and_subject_and_says_why_it_was_skipped(
    tmp_path: Path,
) -> None:
    rule = {
        "name": "coop",
        "pattern": r"COOP {AMT} in",
        "direction": "credit",
        "senders": ["alerts@coop.example"],
        "subject": "^Credit",
    }
    path = _rules_config(tmp_path, rule)
    check = ["imap", "explain", "--config", str(path), "--source", "bank", "--text", "-"]
    bare = json.loads(payalert(*check, input=b"COOP Rs.5 in").stdout)
    assert bare["parser"] == "rule:coop" and bare["amount"] == "5.00"
    assert any("senders (alerts@coop.example) not checked; give --from" in note for note in bare["rules"])
    sender_only = json.loads(payalert(*check, "--from", "alerts@coop.example", input=b"COOP Rs.5 in").stdout)
    assert sender_only["parser"] == "rule:coop"
    wrong = json.loads(
        payalert(*check, "--from", "x@else.example", "--subject", "Hi", input=b"COOP Rs.5 in").stdout
    )
    assert wrong["amount"] is None
    assert "rule:coop skipped: the sender x@else.example is not one of its senders" in wrong["reason"]
    assert "rule:coop skipped: the subject 'Hi' does not match '^Credit'" in wrong["reason"]


def _config(tmp_path: Path, server, **options) -> Path:
    path = tmp_path / "config.yaml"
    section = imap_source(server, authserv_id="mx.google.com", **options)
    path.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(tmp_path / "data"),
                "sources": {"bank": section},
                "notifiers": {"console": {"type": "console"}},
            }
        )
    )
    return path


def test_test_connection_reports_folders_idle_and_cursor(tmp_path: Path, dovecot_server) -> None:
    server = dovecot_server(tls=True)
    server.append(upi_credit_mail())
    done = payalert("imap", "test-connection", "--config", str(_config(tmp_path, server)), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["idle"] is True and "INBOX" in report["folders"]
    assert report["watched"]["INBOX"]["first_run_cursor"]["last_uid"] == 1
    assert server.password.encode() not in done.stdout + done.stderr


def test_test_connection_with_bad_password_is_one_clear_line(tmp_path: Path, dovecot_server) -> None:
    server = dovecot_server()
    done = payalert("imap", "test-connection", "--config", str(_config(tmp_path, server, password="nope")))
    assert done.returncode == 2
    assert b"refused the login" in done.stderr and b"Traceback" not in done.stderr
    assert len(done.stderr.decode().strip().splitlines()) == 1


def test_test_connection_shows_the_stored_cursor(dovecot_server, watch_mailbox) -> None:
    server = dovecot_server()
    daemon = watch_mailbox(server, wait_for="idle")
    uid = server.append(upi_credit_mail(ref="612345678999"))
    daemon.wait_for_alerts(1)
    daemon.wait_for(lambda: daemon.health().json()["sources"]["bank"]["cursors"]["INBOX"]["last_uid"] == uid)
    done = daemon.cli("imap", "test-connection", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["stored_cursors"]["INBOX"]["last_uid"] == uid
    text = daemon.cli("imap", "test-connection")
    assert (
        f"stored cursor UIDVALIDITY {report['watched']['INBOX']['uidvalidity']}, last UID {uid}"
        in text.stdout
    )
    daemon.stop()
    stopped = json.loads(daemon.cli("imap", "test-connection", "--json").stdout)
    assert stopped["stored_cursors"]["INBOX"]["last_uid"] == uid  # read from the store, not the daemon
