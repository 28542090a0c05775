"""Connecting to PostgreSQL: the options of every connection, this node's name, and what a
failed connection or statement tells the user.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Any

from ..errors import StorageUnavailable, UserError

#: Seconds to wait for a connection before a call fails (a webhook then gets 503); shorter while
#: the server is known to be unreachable, so webhooks are answered without delay.
CONNECT_TIMEOUT = 5.0
OUTAGE_CONNECT_TIMEOUT = 1.0
#: How long the pool retries a lost connection (backing off) before it starts afresh on the next
#: request: short, so a server that comes back is used within seconds, whatever the outage lasted.
RECONNECT_SECONDS = 2.0
#: How long one statement may run before PostgreSQL cancels it.
STATEMENT_TIMEOUT = "15s"
#: Keepalives, so either side notices a peer that vanished without closing the connection.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
SERVER_KEEPALIVES = "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"


def node_name() -> str:
    """This process's name among the nodes: host, process id and a random part (new at each start)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def connection_options(node: str, read_only: bool) -> dict[str, Any]:
    """psycopg's keyword arguments for every connection of ``node`` (autocommit, timeouts, keepalives)."""
    options = f"-c statement_timeout={STATEMENT_TIMEOUT} {SERVER_KEEPALIVES}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    return {
        "autocommit": True,
        "connect_timeout": int(CONNECT_TIMEOUT),
        "application_name": f"payalert {node}",
        "options": options,
        **KEEPALIVES,
    }


def cannot_use(where: str, error: BaseException) -> UserError:
    """A statement refused while opening the store (schema, permissions): to be fixed first."""
    return UserError(f"store.url: cannot use PostgreSQL at {where} ({first_line(error)})")


def cannot_connect(where: str, error: BaseException) -> StorageUnavailable:
    """No connection: worth trying again later, which the daemon's exit status (75) asks for."""
    return StorageUnavailable(
        f"store.url: cannot use PostgreSQL at {where} ({first_line(error)}); "
        "payalert exits 75 so that its service manager tries again"
    )


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
