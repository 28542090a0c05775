"""Every source and notifier at once, every path including failures, every command: no secret shows.

Each secret is unique and recognisable; the daemons' logs, every command's output, ``/health``,
``/metrics``, the alerts and the Telegram messages are then searched for it and its encodings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import yaml
from payalert_testing import DaemonFactory, DaemonProcess, DovecotFactory, TelegramAPI, corpus_path
from payalert_testing.binance import DEPOSITS, BinanceTestServer, Fault, deposit_record, load_error_messages
from payalert_testing.imap import imap_source
from payalert_testing.telegram_api import Fault as TelegramFault
from payalert_testing.telegram_api import FloodLimits

from payalert_core import sign_sha256

from .hostile import recorded

WEBHOOK = "wh+LEAK/Zq1-7f3a"
GITHUB = "gh+LEAK/Zq2-8e4b"
BINANCE_KEY = "bnkey+LEAK/Zq3-9d5c"
BINANCE_SECRET = "bnsec+LEAK/Zq4-0c6d"
IMAP_PASSWORD = "imap+LEAK/Zq5-1b7e"
IMAP_WRONG = "imapwrong+LEAK/Zq6-2a8f"
TOKEN = "987654321:TGLEAKZq7_3f9a-okay"
TOKEN_WRONG = "987654321:TGLEAKZq8_4e0b-wrong"
SECRETS = [WEBHOOK, GITHUB, BINANCE_KEY, BINANCE_SECRET, IMAP_PASSWORD, IMAP_WRONG, TOKEN, TOKEN_WRONG]


def forms(secret: str) -> set[str]:
    """The secret, its URL encodings and, for a bot token, the part after the bot id."""
    found = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
    bot_id, colon, token_secret = secret.partition(":")
    if colon and bot_id.isdigit():
        found |= {token_secret, quote(token_secret, safe="")}
    return found


class Evidence:
    """Every text the test saw, by where it came from."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def add(self, label: str, text: str | bytes) -> None:
        """Keep ``text`` under a unique label."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        self.texts[f"{len(self.texts):02d} {label}"] = text

    def cli(self, label: str, done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
        """Keep a command's stdout and stderr; return it."""
        self.add(f"{label} (stdout)", done.stdout)
        self.add(f"{label} (stderr)", done.stderr)
        return done

    def http(self, label: str, daemon: DaemonProcess) -> None:
        """Keep ``/health`` and ``/metrics`` as they are now."""
        self.add(f"{label} /health", daemon.health().body)
        self.add(f"{label} /metrics", daemon.metrics())

    def leaks(self) -> list[str]:
        """Where a secret (or an encoding of it) appears, with the text around it."""
        found = []
        for label, text in self.texts.items():
            for secret in SECRETS:
                for form in forms(secret):
                    at = text.find(form)
                    if at >= 0:
                        found.append(f"{label}: {form!r} in ...{text[max(0, at - 150) : at + 60]!r}...")
        return found


def run_all(evidence: Evidence, commands: dict[str, Any]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run independent commands two at a time (each is a fresh interpreter); keep their output."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {label: pool.submit(command) for label, command in commands.items()}
        return {label: evidence.cli(label, future.result()) for label, future in futures.items()}


def run_cli(daemon: DaemonProcess, *args: str, config: Path) -> subprocess.CompletedProcess[str]:
    """``payalert ARGS`` with another config file, in the daemon's environment."""
    return subprocess.run(
        [sys.executable, "-m", "payalert_core", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=daemon.workdir,
        env={**daemon.env, "PAYALERT_CONFIG": str(config)},
    )


def _telegram(api: TelegramAPI, token: str = TOKEN) -> dict[str, Any]:
    return {
        "type": "telegram",
        "token": token,
        "destinations": [111],
        "base_url": api.url,
        "poll_timeout": "1s",
        "rate_limits": {"chat_interval": "0.05s"},
    }


def _post_webhook(daemon: DaemonProcess, payment_id: str, secret: str = WEBHOOK) -> int:
    body = json.dumps({"id": payment_id, "amount": "12.00", "currency": "INR"}).encode()
    return daemon.post("/hooks/shop/", body, {"X-Payalert-Signature": sign_sha256(secret, body)}).status


def _post_github(daemon: DaemonProcess, secret: str = GITHUB) -> int:
    body = (corpus_path("github") / "sponsorship.created.payload.json").read_bytes()
    headers = {
        "X-Hub-Signature-256": sign_sha256(secret, body),
        "Content-Type": "application/json",
        "X-GitHub-Event": "sponsorship",
        "X-GitHub-Delivery": str(uuid.uuid4()),
    }
    return daemon.post("/hooks/gh/", body, headers).status


def _source_entry(daemon: DaemonProcess, name: str) -> dict[str, Any]:
    return daemon.health().json()["sources"][name]


def test_no_secret_appears_anywhere(
    payalert_daemon: DaemonFactory, dovecot_server: DovecotFactory, tmp_path: Path
) -> None:
    evidence = Evidence()
    binance = BinanceTestServer(
        api_key=BINANCE_KEY,
        api_secret=BINANCE_SECRET,
        error_messages=load_error_messages(corpus_path("binance", "errors.spot-api-docs.json")),
    ).start()
    api = TelegramAPI(token=TOKEN, limits=FloodLimits(chat_interval=0.05)).start()
    try:
        mailbox = dovecot_server(password=IMAP_PASSWORD)
        _drive_everything(payalert_daemon, binance, api, mailbox, tmp_path, evidence)
        for message in api.sent():
            evidence.add(f"telegram message to {message.chat_id}", message.html)
        for call in api.calls:
            evidence.add(f"telegram call {call.method} ({call.status})", json.dumps(call.params, default=str))
    finally:
        api.stop()
        binance.stop()
    for daemon in payalert_daemon.started:
        evidence.add(f"daemon log {daemon.workdir.name}", daemon.output())
        if daemon.record_path.exists():
            evidence.add(f"alerts recorded by {daemon.workdir.name}", daemon.record_path.read_text())
    assert len(evidence.texts) >= 40
    leaks = evidence.leaks()
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)


def _drive_everything(
    factory: DaemonFactory,
    binance: BinanceTestServer,
    api: TelegramAPI,
    mailbox: Any,
    tmp_path: Path,
    evidence: Evidence,
) -> None:
    """Start the full daemon and take every path, good and bad, keeping every text on the way."""
    binance.fail_always("*", Fault.rejected_key())  # -2015 until the key "is fixed"
    sources = {
        "shop": {"type": "webhook", "secret": WEBHOOK},
        "gh": {"type": "github", "secret": GITHUB},
        "bn": binance.source_config(backfill="1h", auth_error_backoff="1s", pay={"outgoing": True}),
        "bank": imap_source(mailbox, authserv_id="mx.google.com", reconnect_max="3s"),
    }
    daemon = factory.start(
        sources=sources,
        notifiers={"tg": _telegram(api)},
        settings={"log_level": "DEBUG", "delivery": {"retry_initial": "0.2s", "retry_max": "1s"}},
    )
    daemon.wait_for(lambda: "-2015" in (_source_entry(daemon, "bn").get("last_error") or ""), timeout=30)
    evidence.http("binance -2015", daemon)
    binance.fail_always("*", None)
    binance.script(DEPOSITS, Fault.clock_skew(), Fault.server_error(502), Fault.rate_limited(retry_after=1))
    binance.add_deposits(deposit_record("leakcheck", insert_time=binance.now_ms() - 1000))

    # Push sources: good, forged and garbage requests.
    assert _post_webhook(daemon, "leak-1") == 202
    assert _post_webhook(daemon, "leak-forged", secret="not-" + WEBHOOK) == 401
    assert (
        daemon.post("/hooks/shop/", b"{", {"X-Payalert-Signature": sign_sha256(WEBHOOK, b"{")}).status == 400
    )
    assert _post_github(daemon) == 200
    assert _post_github(daemon, secret=WEBHOOK) == 401
    mailbox.append((corpus_path("bank", "eml") / "hdfc_upi_credit_1.eml").read_bytes())
    wanted = {"shop", "gh", "bank", "bn"}
    daemon.wait_for(lambda: wanted <= {a.payment.source for a in recorded(daemon)}, timeout=40)
    evidence.http("after the first alerts", daemon)

    # Telegram rejects the token mid-run (401): deliveries fail, are listed, then retried.
    api.fail("sendMessage", TelegramFault("error", status=401, description="Unauthorized"), times=1)
    assert _post_webhook(daemon, "leak-during-401") == 202
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["failed"] >= 1, timeout=30)
    evidence.http("telegram 401", daemon)
    listed = evidence.cli("deliveries", daemon.cli("deliveries"))
    assert "failed" in listed.stdout and "rejected the bot token" in listed.stdout
    evidence.cli("deliveries --json", daemon.cli("deliveries", "--json"))
    evidence.cli("retry-failed", daemon.cli("retry-failed"))

    # Every command against the running daemon's config.
    eml = str(corpus_path("bank", "eml", "hdfc_upi_debit_1.eml"))
    commands = [
        ("check-config",),
        ("plugins",),
        ("test-notify",),
        ("github", "send-test"),
        ("imap", "test-connection"),
        ("imap", "explain", "--source", "bank", eml),
        ("binance", "--help"),
        ("--help",),
    ]
    done = run_all(evidence, {" ".join(args): partial(daemon.cli, *args) for args in commands})
    assert "tg -> 111: sent" in done["test-notify"].stdout
    assert '"status": "stored"' in done["github send-test"].stdout
    assert "logged in to" in done["imap test-connection"].stdout
    assert "No such command 'binance'" in done["binance --help"].stderr  # payalert-binance adds no commands
    evidence.http("after the commands", daemon)
    _wrong_secrets(factory, daemon, api, mailbox, tmp_path, evidence)
    daemon.stop()
    evidence.cli("deliveries after stop", daemon.cli("deliveries", "--json"))


def _wrong_secrets(
    factory: DaemonFactory,
    daemon: DaemonProcess,
    api: TelegramAPI,
    mailbox: Any,
    tmp_path: Path,
    evidence: Evidence,
) -> None:
    """A wrong IMAP password, a wrong bot token, a wrong github secret and a broken config."""
    # A daemon with the wrong bot token refuses to start; one with the wrong password keeps retrying.
    refused = factory.start(notifiers={"tg": _telegram(api, TOKEN_WRONG)}, wait_healthy=False)
    locked_out = factory.start(
        sources={"bank": imap_source(mailbox, authserv_id="mx.google.com", password=IMAP_WRONG)},
        wait_healthy=False,
    )
    wrong = json.loads(json.dumps(daemon.config))
    wrong["sources"]["bank"]["password"] = IMAP_WRONG
    wrong["sources"]["gh"]["secret"] = "other-" + GITHUB
    wrong["notifiers"]["tg"]["token"] = TOKEN_WRONG
    wrong_path = tmp_path / "wrong.yaml"
    wrong_path.write_text(yaml.safe_dump(wrong), encoding="utf-8")
    commands = [("imap", "test-connection"), ("github", "send-test"), ("test-notify",)]
    done = run_all(
        evidence,
        {f"wrong: {' '.join(args)}": partial(run_cli, daemon, *args, config=wrong_path) for args in commands},
    )
    assert "refused the login" in done["wrong: imap test-connection"].stderr
    assert "rejected the signature" in done["wrong: github send-test"].stderr
    assert "rejected the bot token" in done["wrong: test-notify"].stderr

    assert refused.process is not None and refused.process.wait(timeout=30) == 2
    assert "Telegram rejected the bot token" in refused.output()
    locked_out.wait_ready()
    locked_out.wait_for(
        lambda: _source_entry(locked_out, "bank").get("connection") == "login_failed", timeout=30
    )
    evidence.http("wrong imap password", locked_out)

    # A config with mistakes next to every secret key.
    broken = json.loads(json.dumps(daemon.config))
    broken["sources"]["shop"]["secrett"] = WEBHOOK
    broken["sources"]["gh"]["secret"] = {"value": GITHUB}
    broken["sources"]["bn"]["api_secret"] = [BINANCE_SECRET]
    broken["sources"]["bn"]["api_key"] = BINANCE_KEY + "\n" + BINANCE_KEY
    broken["sources"]["bank"]["password"] = IMAP_PASSWORD
    broken["sources"]["bank"]["oauth2"] = {"token_env": "NOT_SET"}
    broken["notifiers"]["tg"]["token"] = "no-bot-id-" + TOKEN.partition(":")[2]
    broken_path = tmp_path / "broken.yaml"
    broken_path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    commands = [("check-config",), ("run",)]
    done = run_all(
        evidence,
        {
            f"broken: {' '.join(args)}": partial(run_cli, daemon, *args, config=broken_path)
            for args in commands
        },
    )
    for answer in done.values():
        assert answer.returncode == 2, answer.stdout + answer.stderr
        for key in (
            "sources.shop.secrett",
            "sources.gh.secret",
            "sources.bn.api_secret",
            "notifiers.tg.token",
        ):
            assert key in answer.stderr
