"""Builders shared by payalert-imap's tests: alert e-mails with chosen headers, corpus records."""

from __future__ import annotations

import contextlib
import json
import re
import socketserver
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from .corpus import corpus_path
from .daemon import DaemonProcess
from .dovecot import DovecotServer

IST = timezone(timedelta(hours=5, minutes=30))
AUTHSERV = "mx.google.com"
HDFC_FROM = "HDFC Bank InstaAlerts <alerts@hdfcbank.bank.in>"
#: The name of the imap source the tests' daemons watch with.
SOURCE = "bank"


def auth_results(
    domain: str = "hdfcbank.bank.in", dkim: str = "pass", dmarc: str = "pass", authserv: str = AUTHSERV
) -> str:
    """An Authentication-Results value as Gmail writes it."""
    return (
        f"{authserv}; dkim={dkim} header.i=@{domain} header.s=s1 header.b=abc; "
        f"spf=pass (google.com: domain of bounce@{domain} designates 192.0.2.1 as permitted sender) "
        f"smtp.mailfrom=bounce@{domain}; dmarc={dmarc} (p=REJECT sp=REJECT dis=NONE) header.from={domain}"
    )


def alert_mail(
    body: str,
    *,
    sender: str = HDFC_FROM,
    subject: str = "View: Account update for your HDFC Bank A/c",
    html: bool = False,
    auth: str | None = "default",
    extra_headers: list[tuple[str, str]] | None = None,
    date: datetime | None = None,
    message_id: str | None = None,
    cte: str | None = None,
) -> bytes:
    """A complete alert e-mail (plain or HTML-only) with Gmail-style Authentication-Results."""
    message = EmailMessage()
    if auth == "default":
        domain = sender.rpartition("@")[2].strip(">")
        auth = auth_results(domain)
    if auth is not None:
        message["Authentication-Results"] = auth
    for name, value in extra_headers or []:
        message[name] = value
    message["From"] = sender
    message["To"] = "me@example.test"
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2026, 6, 2, 10, 15, tzinfo=IST))
    message["Message-ID"] = message_id or make_msgid(domain="test.example")
    if html:
        message.set_content(f"<html><body><p>{body}</p></body></html>", subtype="html", cte=cte)
    else:
        message.set_content(body, cte=cte)
    return message.as_bytes()


UPI_CREDIT = (
    "Dear Customer, Rs.{amount} has been successfully credited to your HDFC Bank account ending in 4477. "
    "Transaction Details: a. Date: 02-06-26 b. Sender: ASHA VERMA (VPA: asha@okaxis) c. UPI Reference No.: {ref}"
)


def upi_credit_mail(amount: str = "1,250.00", ref: str = "612345678901", **options: Any) -> bytes:
    """An HDFC UPI credit alert (the 2026 template)."""
    return alert_mail(UPI_CREDIT.format(amount=amount, ref=ref), **options)


def bank_records() -> list[dict[str, Any]]:
    """Every record of the corpus's bank/*.json files, with the file name added."""
    folder = corpus_path("bank")
    records = []
    for path in sorted(folder.glob("*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            records.append({**record, "_file": path.name})
    return records


def eml_path(record: dict[str, Any]) -> Path:
    """The corpus .eml of a record (its eml_file names a subfolder the corpus flattened)."""
    return corpus_path("bank", "eml", Path(record["eml_file"]).name)


def account_digits(label: str | None) -> str | None:
    """Last (up to four) digits of an expected account label such as 'HDFC Bank A/c XX2536'."""
    if not label:
        return None
    match = re.search(r"(\d+)\D*$", label)
    return match.group(1)[-4:] if match else None


@contextlib.contextmanager
def scripted_imap_server(handler: type[socketserver.StreamRequestHandler]) -> Iterator[int]:
    """Serve ``handler`` on a loopback port, for protocol corners Dovecot cannot be made to produce.

    Yields the port; the server stops when the block ends.
    """
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def imap_source(server: DovecotServer, **overrides: object) -> dict[str, object]:
    """A ``type: imap`` source section pointing at ``server``, with ``overrides`` on top."""
    options: dict[str, object] = {
        "type": "imap",
        "host": server.host,
        "port": server.port,
        "security": "tls" if server.tls else "plain",
        "username": server.username,
        "password": server.password,
    }
    if server.tls:
        options["ca_file"] = str(server.ca_path)
    options.update(overrides)
    return options


def source_health(daemon: DaemonProcess, name: str = SOURCE) -> dict[str, Any]:
    """The source's entry in /health."""
    return daemon.health().json()["sources"][name]


def wait_state(daemon: DaemonProcess, state: str, name: str = SOURCE, timeout: float = 20) -> dict[str, Any]:
    """Wait until the source's connection is ``state`` ("watching": idle or polling)."""
    wanted = ("idle", "polling", "watching") if state == "watching" else (state,)
    return daemon.wait_for(
        lambda: (lambda h: h if h.get("connection") in wanted else None)(source_health(daemon, name)),
        timeout=timeout,
    )
