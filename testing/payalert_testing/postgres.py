"""A private PostgreSQL cluster for tests: ``initdb`` and ``pg_ctl`` in a temporary folder.

No system service is needed: the cluster listens on a free loopback port (password login with
SCRAM) and on a Unix socket in its own folder (trusted, for set-up). PostgreSQL refuses to run as
root, so as root the cluster belongs to the ``postgres`` user Debian's package creates. Restart
it, stop it or kill it mid-test to play an outage. The ``postgres_server`` fixture (one cluster
per test session) fails, never skips, when PostgreSQL is not installed; ``postgres_url`` gives
each test a fresh database on it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from .daemon import free_port

INSTALL_HINT = "install it with `apt-get install -y postgresql` (the package's own service is not needed)"


def find_bindir() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (Debian keeps them off PATH, per major version)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError(f"PostgreSQL is not installed: {INSTALL_HINT}")
    return versions[-1].parent


def _owner_ids() -> tuple[int, int] | None:
    """The uid and gid the cluster runs as: ``postgres`` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(f"running as root needs the postgres system user: {INSTALL_HINT}") from None
    return user.pw_uid, user.pw_gid


class PostgresServer:
    """One PostgreSQL cluster with one superuser (``payalert``, with a password) on 127.0.0.1."""

    def __init__(self, durable: bool = True) -> None:
        self.bindir = find_bindir()
        self.durable = durable
        self.user = "payalert"
        self.password = f"pg-{secrets.token_urlsafe(12)}"
        self.host = "127.0.0.1"
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to root, and postgres must traverse.
        self.root = Path(tempfile.mkdtemp(prefix="payalert-postgres-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log_path = self.root / "postgres.log"
        self._ids = _owner_ids()
        self._initialized = False

    # -- lifecycle -------------------------------------------------------------------------------
    def _run(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """A server program, as the cluster's owner."""
        ids = self._ids
        done = subprocess.run(
            [str(self.bindir / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            cwd=self.root,
            timeout=timeout,
            user=ids[0] if ids else None,
            group=ids[1] if ids else None,
            extra_groups=[] if ids else None,
            env={**os.environ, "LC_ALL": "C.UTF-8", "HOME": str(self.root)},
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr or done.stdout}")
        return done

    def _initdb(self) -> None:
        self.sockets.mkdir(exist_ok=True)
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n")
        if self._ids:
            for path in (self.root, self.sockets, password_file):
                os.chown(path, *self._ids)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--pwfile",
            str(password_file),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-instructions",
        )
        password_file.unlink()
        settings = {
            "listen_addresses": f"'{self.host}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.sockets}'",
            "max_connections": "200",
            "fsync": "on" if self.durable else "off",
            "synchronous_commit": "on" if self.durable else "off",
            "log_min_messages": "warning",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# payalert test cluster\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self._initialized = True

    def start(self) -> PostgresServer:
        """Create the cluster on first use, then start it and wait until it accepts connections."""
        if not self._initialized:
            self._initdb()
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: sessions are ended; ``immediate``: as a crash would)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        """Stop (ending every session) and start again on the same port with the same data."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop if running, and remove the cluster's folder."""
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------------
    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for ``database`` over TCP, with the password."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` through the Unix socket (trusted); its output, unaligned and tuples only."""
        connect = ["-h", str(self.sockets), "-p", str(self.port), "-U", self.user, "-d", database]
        done = subprocess.run(
            [str(self.bindir / "psql"), *connect, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout.strip()

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its URL."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)
