"""The blocking connection on its own: XOAUTH2 on the wire, PEEK reads, IDLE waking and interrupting."""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Iterator

import pytest
from payalert_imap.config import ImapSourceConfig
from payalert_imap.connection import IdleOutcome, LoginRefused, MailboxConnection
from payalert_testing.imap import imap_source, scripted_imap_server, upi_credit_mail

TOKEN = "ya29.test-access-token"


class _XOAuth2Handler(socketserver.StreamRequestHandler):
    """Just enough IMAP to check an XOAUTH2 login the way Gmail does."""

    seen: list[str] = []

    def handle(self) -> None:
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 IDLE] ready\r\n")
        for _ in range(10):
            line = self.rfile.readline().decode().strip()
            if not line:
                return
            tag, command, *_ = line.split(" ")
            if command.upper() == "AUTHENTICATE":
                self.wfile.write(b"+ \r\n")
                sasl = base64.b64decode(self.rfile.readline().strip()).decode()
                self.seen.append(sasl)
                good = sasl == f"user=me@gmail.com\x01auth=Bearer {TOKEN}\x01\x01"
                answer = (
                    "OK AUTHENTICATE completed" if good else "NO [AUTHENTICATIONFAILED] Invalid credentials"
                )
                self.wfile.write(f"{tag} {answer}\r\n".encode())
            elif command.upper() == "CAPABILITY":
                self.wfile.write(f"* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK done\r\n".encode())
            elif command.upper() == "LOGOUT":
                self.wfile.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return
            else:
                self.wfile.write(f"{tag} BAD unexpected\r\n".encode())


@pytest.fixture
def xoauth2_server() -> Iterator[int]:
    with scripted_imap_server(_XOAuth2Handler) as port:
        yield port


def _oauth_config(port: int) -> ImapSourceConfig:
    return ImapSourceConfig(
        type="imap",
        host="127.0.0.1",
        port=port,
        security="plain",
        username="me@gmail.com",
        oauth2={"token_env": "PAYALERT_TEST_TOKEN"},
        authserv_id="mx.google.com",
        timeout="5s",
    )


def test_xoauth2_login_sends_the_bearer_token(xoauth2_server: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYALERT_TEST_TOKEN", TOKEN)
    connection = MailboxConnection(_oauth_config(xoauth2_server))
    connection.connect()
    assert connection.supports_idle
    connection.close()


def test_xoauth2_refused_is_a_login_error_without_the_token(
    xoauth2_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYALERT_TEST_TOKEN", "expired-token")
    connection = MailboxConnection(_oauth_config(xoauth2_server))
    with pytest.raises(LoginRefused) as error:
        connection.connect()
    assert "expired-token" not in str(error.value) and "refused the login" in str(error.value)


def _connected(server) -> MailboxConnection:
    connection = MailboxConnection(ImapSourceConfig(**imap_source(server, authserv_id="mx.google.com")))
    connection.connect()
    return connection


def test_fetch_peeks_and_idle_wakes_on_new_mail(dovecot_server) -> None:
    server = dovecot_server()
    uid = server.append(upi_credit_mail())
    connection = _connected(server)
    try:
        status = connection.open_folder("INBOX")
        assert status.uidnext == uid + 1 and status.messages == 1
        [mail] = connection.fetch([uid], max_size=10_000_000)
        assert mail.raw is not None and b"612345678901" in mail.raw
        assert connection.fetch([uid], max_size=10)[0].raw is None  # over the size limit: no body
        assert r"\Seen" not in server.flags(uid)
        threading.Timer(0.3, server.append, [upi_credit_mail(ref="612345678902")]).start()
        assert connection.idle(20) == IdleOutcome(news=True)
        assert connection.uids_after(uid) == [uid + 1]
        assert connection.idle(0.2) == IdleOutcome()  # nothing new: returns at the deadline
    finally:
        connection.close()


def test_interrupt_ends_a_long_idle(dovecot_server) -> None:
    server = dovecot_server()
    connection = _connected(server)
    try:
        connection.open_folder("INBOX")
        threading.Timer(0.3, connection.interrupt).start()
        finished = threading.Event()
        worker = threading.Thread(target=lambda: (connection.idle(600), finished.set()))
        worker.start()
        assert finished.wait(10), "interrupt() must end an IDLE within a wake interval"
        worker.join(5)
    finally:
        connection.close()
