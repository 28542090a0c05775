"""One blocking IMAP connection (imap-tools), used from a single worker thread, never the event loop.

Mail is read with ``BODY.PEEK[]`` on a folder opened read-only (EXAMINE), so ``\\Seen`` and every
other flag stay as they were; only ``mark_seen: true`` opens the folder read-write and sets ``\\Seen``.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import select
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError, UnexpectedCommandStatusError

from .config import ImapSourceConfig

_NEWS = re.compile(rb"^\* \d+ (?:EXISTS|RECENT)\b", re.I)
_COMPLAINT = re.compile(rb"^\* (?:NO|BAD)\b", re.I)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FETCH_SIZE = re.compile(rb"UID (\d+).*?RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*?UID (\d+)", re.I)
_FETCH_UID = re.compile(rb"UID (\d+)", re.I)
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"', re.I)
#: How often a blocking wait looks at its stop flag (seconds); new mail wakes it at once.
WAKE_INTERVAL = 0.5


class ImapError(Exception):
    """A problem talking to the mail server; the message is one line, safe to log (no secrets)."""


class ConnectionLost(ImapError):
    """The connection dropped or the server said BYE: reconnect with backoff."""


class LoginRefused(ImapError):
    """The server refused the credentials: waiting long before retrying, never hammering."""


class TlsFailure(ImapError):
    """The server's certificate could not be verified (or TLS failed)."""


@dataclass(frozen=True)
class FolderStatus:
    """A folder's identity and size: UIDVALIDITY, UIDNEXT and message count."""

    uidvalidity: int
    uidnext: int
    messages: int


@dataclass(frozen=True)
class IdleOutcome:
    """Why an IDLE ended: new mail, a complaint from the server (untagged NO or BAD), or neither."""

    news: bool = False
    complaint: str | None = None


@dataclass(frozen=True)
class FetchedMail:
    """A message's UID with its raw bytes (None when it was larger than the size limit)."""

    uid: int
    raw: bytes | None
    size: int


def access_token(config: ImapSourceConfig) -> str:
    """The XOAUTH2 access token from the configured env var or command (never logged)."""
    oauth = config.oauth2
    assert oauth is not None
    if oauth.token_env:
        token = os.environ.get(oauth.token_env, "").strip()
        if not token:
            raise LoginRefused(
                f"the environment variable {oauth.token_env} (oauth2.token_env) is empty or unset"
            )
        return token
    command = oauth.token_command or []
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LoginRefused(
            f"oauth2.token_command {command[0]!r} could not run: {type(error).__name__}"
        ) from None
    token = done.stdout.strip()
    if done.returncode != 0 or not token:
        raise LoginRefused(
            f"oauth2.token_command {command[0]!r} exited {done.returncode} without printing a token"
        )
    return token


def tls_context(config: ImapSourceConfig) -> ssl.SSLContext:
    """Certificate and host-name verification always on; ``ca_file`` replaces the system CAs."""
    return ssl.create_default_context(cafile=config.ca_file)


class MailboxConnection:
    """A logged-in IMAP session on one folder; every method blocks and must run in the worker thread."""

    def __init__(
        self, config: ImapSourceConfig, token: Callable[[ImapSourceConfig], str] = access_token
    ) -> None:
        self.config = config
        self._token = token
        self.box: MailBox | MailBoxStartTls | MailBoxUnencrypted | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.folder: str | None = None
        self.stop = threading.Event()

    @property
    def where(self) -> str:
        """``host:port`` for messages."""
        return f"{self.config.host}:{self.config.effective_port}"

    # -- connecting ----------------------------------------------------------------------------
    def connect(self) -> None:
        """Connect, verify TLS, log in and learn the capabilities."""
        config = self.config
        timeout = config.timeout.total_seconds()
        try:
            if config.security == "tls":
                self.box = MailBox(
                    config.host, config.effective_port, timeout=timeout, ssl_context=tls_context(config)
                )
            elif config.security == "starttls":
                self.box = MailBoxStartTls(
                    config.host, config.effective_port, timeout=timeout, ssl_context=tls_context(config)
                )
            else:
                self.box = MailBoxUnencrypted(config.host, config.effective_port, timeout=timeout)
        except ssl.SSLCertVerificationError as error:
            raise TlsFailure(
                f"the TLS certificate of {self.where} could not be verified ({error.verify_message}); "
                "fix the server certificate or set ca_file to the CA that signed it"
            ) from None
        except ssl.SSLError as error:
            raise TlsFailure(f"TLS with {self.where} failed: {error.reason or error}") from None
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as error:
            raise ConnectionLost(f"cannot connect to {self.where}: {_describe(error)}") from None
        self._login()

    def _login(self) -> None:
        assert self.box is not None
        config = self.config
        try:
            if config.oauth2 is not None:
                self.box.xoauth2(config.username, self._token(config), initial_folder=None)
            else:
                assert config.password is not None
                self.box.login(config.username, config.password.get_secret_value(), initial_folder=None)
        except MailboxLoginError as error:
            self.close()
            hint = "check username and password (Gmail and Outlook want an app password or oauth2)"
            raise LoginRefused(
                f"{self.where} refused the login of {config.username}: {_server_text(error)}; {hint}"
            ) from None
        except imaplib.IMAP4.error as error:  # e.g. AUTHENTICATE XOAUTH2 answered NO
            self.close()
            raise LoginRefused(
                f"{self.where} refused the login of {config.username}: {_describe(error)}"
            ) from None
        except (OSError, imaplib.IMAP4.abort) as error:
            self.close()
            raise ConnectionLost(
                f"{self.where} dropped the connection during login: {_describe(error)}"
            ) from None
        self.capabilities = self._fresh_capabilities()

    def _fresh_capabilities(self) -> frozenset[str]:
        assert self.box is not None
        typ, data = self.box.client.capability()
        if typ == "OK" and data and data[0]:
            return frozenset(data[0].decode(errors="replace").upper().split())
        return frozenset(str(c).upper() for c in self.box.client.capabilities)

    @property
    def supports_idle(self) -> bool:
        """True when the server advertises IDLE (RFC 2177)."""
        return "IDLE" in self.capabilities

    def close(self) -> None:
        """Log out (best effort) and drop the socket."""
        box, self.box = self.box, None
        self.folder = None
        if box is None:
            return
        with contextlib.suppress(Exception):  # a dead connection cannot log out; closed below anyway
            box.client.sock.settimeout(2)
            box.logout()
        with contextlib.suppress(Exception):
            box.client.shutdown()

    def interrupt(self) -> None:
        """From another thread: make a blocked wait return now (used at shutdown)."""
        self.stop.set()

    # -- folders -------------------------------------------------------------------------------
    def list_folders(self) -> list[str]:
        """Every folder name on the server."""
        return [folder.name for folder in self._run(lambda box: box.folder.list())]

    def open_folder(self, folder: str) -> FolderStatus:
        """EXAMINE (or SELECT with ``mark_seen``) ``folder``, then STATUS it; returns its status.

        STATUS comes after: a session that still has a deleted folder selected may be answered
        from that old view (Dovecot does), so a recreated folder shows its new UIDVALIDITY only
        once it is selected again.
        """

        def work(box: MailBox) -> FolderStatus:
            box.folder.set(folder, readonly=not self.config.mark_seen)
            box.client.untagged_responses.pop("EXISTS", None)
            box.client.untagged_responses.pop("RECENT", None)
            status = box.folder.status(folder, ["UIDVALIDITY", "UIDNEXT", "MESSAGES"])
            return FolderStatus(status["UIDVALIDITY"], status["UIDNEXT"], status.get("MESSAGES", 0))

        result = self._run(work)
        self.folder = folder
        return result

    def status(self, folder: str) -> FolderStatus:
        """STATUS of ``folder`` without selecting it."""
        found = self._run(lambda box: box.folder.status(folder, ["UIDVALIDITY", "UIDNEXT", "MESSAGES"]))
        return FolderStatus(found["UIDVALIDITY"], found["UIDNEXT"], found.get("MESSAGES", 0))

    # -- reading -------------------------------------------------------------------------------
    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than ``last_uid`` in the selected folder, ascending."""
        found = self._run(lambda box: box.uids(f"UID {last_uid + 1}:*"))
        return sorted(uid for uid in (int(u) for u in found) if uid > last_uid)

    def uids_arrived_since(self, since: datetime) -> list[int]:
        """UIDs whose INTERNALDATE (arrival on the server) is at or after ``since``, ascending.

        ``SEARCH SINCE`` compares dates only, in the server's own time zone (RFC 3501), which can
        be a day behind UTC; so the search starts a day before ``since``'s UTC date and the exact
        INTERNALDATE (with its zone) trims the rest. INTERNALDATE has whole seconds, so a second
        of slack is added (the store drops repeats).
        """
        since = since.replace(microsecond=0) - timedelta(seconds=1)
        day = search_date(since - timedelta(days=1))
        candidates = self._run(lambda box: box.uids(f"SINCE {day}"))
        if not candidates:
            return []
        arrived = self.internal_dates([int(u) for u in candidates])
        return sorted(uid for uid, when in arrived.items() if when >= since)

    def internal_dates(self, uids: Sequence[int]) -> dict[int, datetime]:
        """INTERNALDATE of each UID."""

        def work(box: MailBox) -> dict[int, datetime]:
            typ, data = box.client.uid("FETCH", _uid_set(uids), "(UID INTERNALDATE)")
            _check(typ, data, "FETCH INTERNALDATE")
            found: dict[int, datetime] = {}
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                if not isinstance(line, bytes):
                    continue
                uid, when = _FETCH_UID.search(line), _INTERNALDATE.search(line)
                stamp = imaplib.Internaldate2tuple(b'INTERNALDATE "' + when.group(1) + b'"') if when else None
                if uid and stamp:
                    found[int(uid.group(1))] = datetime.fromtimestamp(time.mktime(stamp), UTC)
            return found

        return self._run(work)

    def fetch(self, uids: Sequence[int], max_size: int) -> list[FetchedMail]:
        """Raw messages by UID with ``BODY.PEEK[]`` (flags untouched); oversized ones without body."""
        if not uids:
            return []
        sizes = self._run(lambda box: _sizes(box, uids))
        wanted = [uid for uid in uids if sizes.get(uid, 0) <= max_size]
        bodies = self._run(lambda box: _bodies(box, wanted)) if wanted else {}
        return [
            FetchedMail(uid, bodies.get(uid), sizes.get(uid, 0))
            for uid in uids
            if uid in sizes or uid in bodies
        ]

    def mark_seen(self, uids: Sequence[int]) -> None:
        r"""Add ``\Seen`` to ``uids`` (only with ``mark_seen: true``; nothing is expunged)."""
        if uids:
            self._run(
                lambda box: _check(
                    *box.client.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", r"(\Seen)"), "STORE"
                )
            )

    # -- waiting -------------------------------------------------------------------------------
    def idle(self, seconds: float) -> IdleOutcome:
        """IDLE for up to ``seconds``; ends as soon as the server reports new mail or complains.

        A complaint is an untagged NO or BAD: Dovecot sends ``* NO Internal error occurred`` when
        the idling folder is deleted (and maybe created again), and nothing else, so the caller
        selects the folder again. ``* BYE`` raises :class:`ConnectionLost`.
        """
        box = self._require()
        client = box.client
        timeout = self.config.timeout.total_seconds()
        try:
            tag = client._command("IDLE")
            outcome = IdleOutcome()
            while True:  # until the continuation; an EXISTS may come first
                line = self._read_line(timeout)
                if line.startswith(b"+"):
                    break
                if line.startswith(tag):
                    raise ConnectionLost(f"{self.where} refused IDLE: {_line_text(line)}")
                outcome = idle_outcome(line, outcome, self.where)
            deadline = time.monotonic() + seconds
            while not (outcome.news or outcome.complaint) and not self.stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if not self._has_input(min(WAKE_INTERVAL, remaining)):
                    continue
                line = self._read_line(timeout)
                if line.startswith(tag):
                    raise ConnectionLost(f"{self.where} ended IDLE: {_line_text(line)}")
                outcome = idle_outcome(line, outcome, self.where)
            client.send(b"DONE\r\n")
            box.consume_until_tagged_response(tag)
            return outcome
        except ConnectionLost:
            self.close()
            raise
        except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error, UnexpectedCommandStatusError) as error:
            self.close()
            raise ConnectionLost(
                f"{self.where} dropped the connection while idling: {_describe(error)}"
            ) from None

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds`` between polls (returns early on :meth:`interrupt`)."""
        self.stop.wait(seconds)

    def _has_input(self, wait: float) -> bool:
        client = self._require().client
        sock = client.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        if _buffered(client):
            return True
        readable, _, _ = select.select([sock], [], [], wait)
        return bool(readable)

    def _read_line(self, timeout: float) -> bytes:
        client = self._require().client
        client.sock.settimeout(timeout)
        try:
            return client._get_line()
        except (OSError, imaplib.IMAP4.abort) as error:
            raise ConnectionLost(f"{self.where} dropped the connection: {_describe(error)}") from None

    # -- plumbing ------------------------------------------------------------------------------
    def _require(self) -> MailBox:
        if self.box is None:
            raise ConnectionLost(f"not connected to {self.where}")
        return self.box  # type: ignore[return-value]

    def _run(self, action: Callable[[MailBox], object]) -> object:  # type: ignore[type-arg]
        box = self._require()
        box.client.sock.settimeout(self.config.timeout.total_seconds())
        try:
            return action(box)
        except (OSError, imaplib.IMAP4.abort) as error:
            self.close()
            raise ConnectionLost(f"{self.where} dropped the connection: {_describe(error)}") from None
        except (imaplib.IMAP4.error, ImapToolsError) as error:
            raise ImapError(f"{self.where}: {_describe(error)}") from None


def search_date(when: datetime) -> str:
    """``when``'s UTC date as IMAP SEARCH writes it (``26-Nov-2026``), whatever the locale."""
    day = when.astimezone(UTC)
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year:04d}"


def idle_outcome(line: bytes, outcome: IdleOutcome, where: str) -> IdleOutcome:
    """Fold one untagged line read during IDLE into ``outcome`` (``* BYE`` raises)."""
    if line.upper().startswith(b"* BYE"):
        raise ConnectionLost(f"{where} closed the connection: {_line_text(line)}")
    if _NEWS.match(line):
        return IdleOutcome(True, outcome.complaint)
    if _COMPLAINT.match(line):
        return IdleOutcome(outcome.news, outcome.complaint or _line_text(line))
    return outcome  # "* OK Still here", EXPUNGE, FETCH (flags) …: nothing to read


def _line_text(line: bytes) -> str:
    return " ".join(line.decode(errors="replace").split())[:300]


def _buffered(client: imaplib.IMAP4) -> bool:
    """Whether bytes already wait in the client's read buffer (select cannot see those)."""
    sock = client.sock
    old = sock.gettimeout()
    sock.settimeout(0)
    try:
        return bool(client.file.peek(1))
    except (OSError, ValueError):
        return False
    finally:
        sock.settimeout(old)


def _uid_set(uids: Sequence[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _check(typ: str, data: object, what: str) -> None:
    if typ != "OK":
        raise ImapError(f"{what} failed: {_short(data)}")


def _sizes(box: MailBox, uids: Sequence[int]) -> dict[int, int]:
    typ, data = box.client.uid("FETCH", _uid_set(uids), "(UID RFC822.SIZE)")
    _check(typ, data, "FETCH RFC822.SIZE")
    sizes: dict[int, int] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes):
            match = _FETCH_SIZE.search(line)
            if match:
                uid, size = (
                    (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
                )
                sizes[int(uid)] = int(size)
    return sizes


def _bodies(box: MailBox, uids: Sequence[int]) -> dict[int, bytes]:
    typ, data = box.client.uid("FETCH", _uid_set(uids), "(UID BODY.PEEK[])")
    _check(typ, data, "FETCH BODY.PEEK[]")
    bodies: dict[int, bytes] = {}
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = _FETCH_UID.search(item[0])
            if match:
                bodies[int(match.group(1))] = item[1]
    return bodies


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:300]


def _server_text(error: UnexpectedCommandStatusError) -> str:
    data = error.command_result[1] if error.command_result and len(error.command_result) > 1 else None
    return _short(data)


def _short(data: object) -> str:
    if isinstance(data, list | tuple):
        parts = [d.decode(errors="replace") if isinstance(d, bytes) else str(d) for d in data if d]
        return " ".join(parts)[:300] or "no reason given"
    return str(data)[:300]
