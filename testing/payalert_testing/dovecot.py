"""A private Dovecot IMAP server on a free loopback port, for tests of IMAP sources.

``DovecotServer`` writes a config, a passwd-file user and a Maildir into its own temporary
directory and runs ``dovecot -c`` there: plain text or TLS from a test CA (``trustme``), IDLE on
(or switched off to test polling). Helpers append messages over IMAP, write many messages
straight into the Maildir before start, deliver mail into the Maildir as a delivery agent does
(also while the server is stopped), read flags, restart the server, change UIDVALIDITY and
recreate folders. ``timezone`` sets the server's local time zone (it decides the dates that
IMAP ``SEARCH SINCE`` compares).
The ``dovecot_server`` fixture fails (never skips) when Dovecot is not installed.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .daemon import free_port

INSTALL_HINT = "install it with `apt-get install -y dovecot-imapd` (the package's own service is not needed)"
#: Capabilities advertised when IDLE is switched off (Dovecot's defaults minus IDLE).
NO_IDLE_CAPABILITY = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS SORT THREAD=REFERENCES CONDSTORE"
)


class DovecotServer:
    """One Dovecot instance with one mail user; ``start()`` it, ``stop()`` it (or use the fixture)."""

    def __init__(
        self,
        tls: bool = False,
        idle: bool = True,
        username: str = "alerts@example.test",
        password: str = "correct horse battery staple",
        timezone: str | None = None,
    ) -> None:
        for tool in ("dovecot", "doveadm"):
            if (
                shutil.which(tool) is None
                and not Path(f"/usr/sbin/{tool}").exists()
                and not Path(f"/usr/bin/{tool}").exists()
            ):
                raise RuntimeError(f"{tool} is not installed: {INSTALL_HINT}")
        self.tls = tls
        self.idle = idle
        self.timezone = timezone
        self.username = username
        self.password = password
        self.host = "127.0.0.1"
        self.port = free_port()
        self.starttls_port = free_port()
        # Not under pytest's tmp_path: its parents are private to root, and the mail user must traverse.
        self.root = Path(tempfile.mkdtemp(prefix="payalert-dovecot-"))
        self.root.chmod(0o755)
        self.home = self.root / "home"
        self.maildir = self.home / "Maildir"
        self.config_path = self.root / "dovecot.conf"
        self.log_path = self.root / "dovecot.log"
        self.ca_path = self.root / "ca.pem"
        self.uid, self.gid = _mail_ids()
        self._ca: Any = None
        self._delivered = 0
        self._prepare()

    # -- set-up --------------------------------------------------------------------------------
    def _prepare(self) -> None:
        for folder in (self.maildir / "cur", self.maildir / "new", self.maildir / "tmp", self.root / "run"):
            folder.mkdir(parents=True, exist_ok=True)
        (self.root / "state").mkdir(exist_ok=True)
        passwd = self.root / "passwd"
        passwd.write_text(f"{self.username}:{{PLAIN}}{self.password}:{self.uid}:{self.gid}::{self.home}\n")
        passwd.chmod(0o644)
        if self.tls:
            self._write_certificates()
        self.config_path.write_text(self._config(), encoding="utf-8")
        self._chown_home()

    def _write_certificates(self) -> None:
        import trustme

        self._ca = trustme.CA()
        server_cert = self._ca.issue_cert("127.0.0.1", "localhost")
        server_cert.private_key_and_cert_chain_pem.write_to_path(str(self.root / "server.pem"))
        server_cert.private_key_pem.write_to_path(str(self.root / "server.key"))
        self._ca.cert_pem.write_to_path(str(self.ca_path))
        (self.root / "server.key").chmod(0o600)

    def _config(self) -> str:
        tls_lines = (
            f"ssl = required\nssl_cert = <{self.root}/server.pem\nssl_key = <{self.root}/server.key\n"
            if self.tls
            else "ssl = no\n"
        )
        listeners = (
            f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.starttls_port}\n  }}\n"
            f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.port}\n    ssl = yes\n  }}\n"
            if self.tls
            else f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n"
            "  inet_listener imaps {\n    port = 0\n  }\n"
        )
        capability = "" if self.idle else f"protocol imap {{\n  imap_capability = {NO_IDLE_CAPABILITY}\n}}\n"
        return f"""# written by payalert_testing.dovecot
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
listen = 127.0.0.1
protocols = imap
{tls_lines}disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.root}/passwd
}}
service imap-login {{
{listeners}  chroot =
}}
service anvil {{
  chroot =
}}
{capability}"""

    def _chown_home(self) -> None:
        if os.geteuid() != 0:
            return
        for path in [self.home, *self.home.rglob("*")]:
            os.chown(path, self.uid, self.gid)

    # -- running -------------------------------------------------------------------------------
    @property
    def pid_path(self) -> Path:
        """Dovecot's master pid file."""
        return self.root / "run" / "master.pid"

    def start(self, timeout: float = 20) -> DovecotServer:
        """Start Dovecot and wait until it greets on its port; raise with its log when it does not."""
        self._chown_home()
        startup_log = self.root / "startup.log"
        env = {**os.environ, "TZ": self.timezone} if self.timezone else None
        with startup_log.open("wb") as output:  # never a pipe: the daemon would keep it open
            done = subprocess.run(
                [_binary("dovecot"), "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
                env=env,
            )
        if done.returncode != 0:
            raise RuntimeError(
                f"dovecot did not start ({done.returncode}): {startup_log.read_text(errors='replace')}\n{self.log()}"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._port_open():
                return self
            time.sleep(0.05)
        raise TimeoutError(
            f"dovecot did not listen on {self.host}:{self.port} within {timeout}s:\n{self.log()}"
        )

    def stop(self, timeout: float = 15) -> None:
        """Stop Dovecot (SIGTERM to its master) and wait until the port is closed."""
        pid = self._pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        while time.monotonic() < deadline and self._port_open():
            time.sleep(0.05)

    def restart(self) -> DovecotServer:
        """Stop and start again on the same port with the same mail."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        """Stop and delete the temporary directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        """Dovecot's log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def _port_open(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    # -- clients and helpers -------------------------------------------------------------------
    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting the test CA (TLS servers only)."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    @contextlib.contextmanager
    def imap(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib client (closed on exit)."""
        if self.tls:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=self.client_ssl_context(), timeout=10
            )
        else:
            client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(self.username, self.password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(self, message: bytes, folder: str = "INBOX", flags: Iterable[str] = ()) -> int:
        """IMAP APPEND ``message``; returns its UID."""
        with self.imap() as client:
            flag_list = f"({' '.join(flags)})" if flags else None
            typ, data = client.append(folder, flag_list, None, message)
            if typ != "OK":
                raise RuntimeError(f"APPEND to {folder} failed: {data}")
            match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            return int(match.group(1)) if match else -1

    def create_folder(self, folder: str) -> None:
        """CREATE ``folder``."""
        with self.imap() as client:
            typ, data = client.create(folder)
            if typ != "OK":
                raise RuntimeError(f"CREATE {folder} failed: {data}")

    def recreate_folder(self, folder: str) -> int:
        """DELETE and CREATE ``folder`` (not INBOX): it comes back empty with a new UIDVALIDITY, returned."""
        before = self.status(folder)["UIDVALIDITY"]
        with self.imap() as client:
            for command in (client.delete, client.create):
                typ, data = command(folder)
                if typ != "OK":
                    raise RuntimeError(f"{command.__name__.upper()} {folder} failed: {data}")
        after = self.status(folder)["UIDVALIDITY"]
        if after == before:
            raise RuntimeError(f"{folder} was recreated but kept UIDVALIDITY {after}")
        return after

    def deliver(self, message: bytes, folder: str = "INBOX") -> Path:
        """Put ``message`` in the folder's Maildir ``new/`` as a delivery agent does; works while stopped.

        The server gives it a UID when it next looks at the folder.
        """
        box = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        self._delivered += 1
        name = f"{time.time_ns()}.P{os.getpid()}Q{self._delivered}.payalert-test"
        temporary, final = box / "tmp" / name, box / "new" / name
        temporary.write_bytes(message)
        if os.geteuid() == 0:
            os.chown(temporary, self.uid, self.gid)
        temporary.rename(final)
        return final

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        """The flags of message ``uid`` (read with EXAMINE, so reading changes nothing)."""
        with self.imap() as client:
            client.select(folder, readonly=True)
            typ, data = client.uid("FETCH", str(uid), "(FLAGS)")
            if typ != "OK" or not data or data[0] is None:
                raise RuntimeError(f"FETCH FLAGS {uid} failed: {data}")
            return {flag.decode() for flag in imaplib.ParseFlags(data[0])}

    def status(self, folder: str = "INBOX") -> dict[str, int]:
        """STATUS (MESSAGES UIDNEXT UIDVALIDITY UNSEEN) of ``folder``."""
        with self.imap() as client:
            typ, data = client.status(folder, "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
            if typ != "OK":
                raise RuntimeError(f"STATUS {folder} failed: {data}")
            pairs = re.findall(rb"(\w+) (\d+)", data[0].split(b"(", 1)[1])
            return {key.decode(): int(value) for key, value in pairs}

    def change_uidvalidity(self, folder: str = "INBOX", value: int | None = None) -> int:
        """Give ``folder`` a new UIDVALIDITY with ``doveadm mailbox update``; returns it."""
        new = value if value is not None else self.status(folder)["UIDVALIDITY"] + 1000
        subprocess.run(
            [
                _binary("doveadm"),
                "-c",
                str(self.config_path),
                "mailbox",
                "update",
                "--uid-validity",
                str(new),
                "-u",
                self.username,
                folder,
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return new

    def write_maildir(self, messages: Iterable[bytes], seen: bool = True) -> int:
        """Write messages straight into the INBOX Maildir (fast; call before ``start``); returns how many."""
        count = 0
        stamp = int(time.time()) - 86400
        flags = "S" if seen else ""
        cur = self.maildir / "cur"
        for count, message in enumerate(messages, start=1):
            path = cur / f"{stamp}.M{count}P1.payalert-test:2,{flags}"
            path.write_bytes(message)
            os.utime(path, (stamp, stamp))
        self._chown_home()
        return count


def _binary(name: str) -> str:
    found = shutil.which(name)
    for candidate in (found, f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(f"{name} is not installed: {INSTALL_HINT}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mail_ids() -> tuple[int, int]:
    """A non-root uid/gid for the mail user (``nobody`` when running as root)."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    import grp
    import pwd

    try:
        user = pwd.getpwnam("nobody")
        group = grp.getgrnam("nogroup") if _has_group("nogroup") else grp.getgrgid(user.pw_gid)
        return user.pw_uid, group.gr_gid
    except KeyError:
        return 65534, 65534


def _has_group(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


class DovecotFactory:
    """Makes Dovecot servers for one test and stops them all afterwards."""

    def __init__(self) -> None:
        self.servers: list[DovecotServer] = []

    def __call__(
        self, tls: bool = False, idle: bool = True, start: bool = True, **options: str
    ) -> DovecotServer:
        """A new server (started unless ``start=False``, e.g. to ``write_maildir`` first)."""
        try:
            server = DovecotServer(tls=tls, idle=idle, **options)
        except RuntimeError as error:
            pytest.fail(str(error))
        self.servers.append(server)
        return server.start() if start else server

    def cleanup(self) -> None:
        """Stop every server and remove its files."""
        for server in self.servers:
            server.cleanup()
