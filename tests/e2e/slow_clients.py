"""Slow HTTP clients for the stranger scenarios: many connections that send a byte now and then.

One thread drives every connection with non-blocking sockets: it opens them, sends the start of a
request, then trickles one byte to each in turn, and notes when the server closed each one (EOF or
reset). Nothing here waits without a bound.
"""

from __future__ import annotations

import errno
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

#: The start of a request whose headers never end: the server waits for the blank line.
SLOW_HEADERS = b"POST /hooks/shop/ HTTP/1.1\r\nHost: payalert\r\nX-Slow: "
#: Complete headers announcing a body that then arrives one byte at a time.
SLOW_BODY = (
    b"POST /hooks/shop/ HTTP/1.1\r\nHost: payalert\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n{"
)


@dataclass
class SlowConnection:
    """One slow client and what happened to it."""

    kind: str
    sock: socket.socket
    opened_at: float
    closed_at: float | None = None
    answer: bytes = b""

    @property
    def open(self) -> bool:
        """Not yet closed by the server."""
        return self.closed_at is None


@dataclass
class SlowClients:
    """``count`` slow connections to ``port``: half trickle headers, half trickle a body."""

    port: int
    count: int
    pace: float = 0.5
    connections: list[SlowConnection] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def start(self) -> SlowClients:
        """Open every connection (without waiting for the server to accept) and start trickling."""
        for number in range(self.count):
            kind = "headers" if number % 2 == 0 else "body"
            sock = socket.socket()
            sock.setblocking(False)
            code = sock.connect_ex(("127.0.0.1", self.port))
            assert code in (0, errno.EINPROGRESS), errno.errorcode.get(code, code)
            connection = SlowConnection(kind, sock, time.monotonic())
            self.connections.append(connection)
            self._selector.register(sock, selectors.EVENT_READ, connection)
        self._thread.start()
        return self

    def still_open(self) -> int:
        """How many the server has not closed yet."""
        with self._lock:
            return sum(1 for connection in self.connections if connection.open)

    def lifetimes(self) -> list[float]:
        """Seconds from opening to the server's close, for each connection closed so far."""
        with self._lock:
            return [c.closed_at - c.opened_at for c in self.connections if c.closed_at is not None]

    def stop(self) -> None:
        """Stop trickling and close whatever is still open."""
        self._stop.set()
        self._thread.join(10)
        for connection in self.connections:
            connection.sock.close()
        self._selector.close()

    def _run(self) -> None:
        started: set[int] = set()
        while not self._stop.is_set():
            for index, connection in enumerate(self.connections):
                if not connection.open:
                    continue
                first = index not in started
                data = (SLOW_HEADERS if connection.kind == "headers" else SLOW_BODY) if first else b"a"
                try:
                    sent = connection.sock.send(data)
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.ENOTCONN):  # not merely still connecting
                        self._closed(connection)
                    continue
                if first and sent == len(data):
                    started.add(index)
            self._read_answers(self.pace)

    def _read_answers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            for key, _ in self._selector.select(left):
                connection: SlowConnection = key.data
                try:
                    chunk = connection.sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if chunk:
                    connection.answer += chunk
                else:
                    self._closed(connection)

    def _closed(self, connection: SlowConnection) -> None:
        with self._lock:
            if connection.closed_at is not None:
                return
            connection.closed_at = time.monotonic()
        self._selector.unregister(connection.sock)
