"""A bound on open HTTP connections, so slow or idle clients cannot use up the file descriptors.

Without one, a stranger holding more connections than the process may open files (Linux's default
is 1,024) leaves nothing for health probes, webhooks, the store or the notifiers: ``accept()`` fails
with "out of system resource" until the stranger lets go. With it, a new connection beyond the limit
closes the oldest one that is not processing a request (idle, or still sending its headers or body)
so the newcomer is served; a probe or webhook, which sends its request at once, is never the oldest.
Time limits (``server.header_timeout``, ``server.body_timeout``) close slow connections anyway; the
bound covers the seconds before they do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import Iterator

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger("payalert.server")

#: Share of the open-file limit that HTTP connections may use; the rest is left for the store,
#: the notifiers' and sources' own connections, the log, and connections accepted in one burst.
CONNECTION_SHARE = 0.5
#: asyncio accepts up to ``backlog`` connections at a time before any of them reaches the limit
#: (and closes the ones making room a moment later): a backlog of an eighth of the open-file
#: limit keeps two such bursts inside what the connections' share leaves over.
BACKLOG_SHARE = 0.125
MAX_BACKLOG = 128
#: The open-file limit assumed when it is unlimited.
UNLIMITED_FILES = 32768


class ConnectionLimit:
    """At most ``limit`` open connections; the oldest one not busy with a request makes room.

    ``backlog`` is the listen backlog to use with it (see ``BACKLOG_SHARE``).
    """

    def __init__(self, limit: int, backlog: int = MAX_BACKLOG) -> None:
        self.limit = limit
        self.backlog = backlog
        self.closed_for_room = 0
        self._busy: set[RequestHandler] = set()  # each leaves when its request is done

    @classmethod
    def for_open_files(cls) -> ConnectionLimit:
        """The limit for this process: half its soft open-file limit (RLIMIT_NOFILE)."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        files = UNLIMITED_FILES if soft == resource.RLIM_INFINITY else soft
        return cls(
            max(16, int(files * CONNECTION_SHARE)), max(8, min(MAX_BACKLOG, int(files * BACKLOG_SHARE)))
        )

    @contextlib.contextmanager
    def busy(self, request: web.BaseRequest) -> Iterator[None]:
        """Mark the request's connection as processing (its request fully read): never closed for room."""
        protocol = request.protocol
        self._busy.add(protocol)
        try:
            yield
        finally:
            self._busy.discard(protocol)

    def make_room(self, connections: list[RequestHandler]) -> None:
        """Close the oldest non-busy connection while ``connections`` (oldest first) is at the limit."""
        open_ones = [handler for handler in connections if handler.transport is not None]
        excess = len(open_ones) - self.limit + 1
        for handler in open_ones:
            if excess <= 0:
                break
            if handler not in self._busy:
                handler.force_close()
                self.closed_for_room += 1
                excess -= 1
        if excess < len(open_ones) - self.limit + 1:
            log.warning(
                "at the limit of %d open HTTP connections: closing the oldest idle or slow ones "
                "(raise LimitNOFILE, or put a reverse proxy in front)",
                self.limit,
            )


class LimitedTCPSite(web.BaseSite):
    """A TCP site like aiohttp's ``TCPSite`` whose connections are bounded by a ConnectionLimit."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, limit: ConnectionLimit) -> None:
        super().__init__(runner, backlog=limit.backlog)
        self._host = host
        self._port = port
        self._limit = limit

    @property
    def name(self) -> str:
        """The site's URL."""
        return f"http://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        """The port listened on (the one chosen when 0 was asked for)."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Listen; each accepted connection first makes room under the limit."""
        await super().start()
        server = self._runner.server
        assert server is not None

        def new_connection() -> RequestHandler:
            self._limit.make_room(server.connections)
            return server()

        self._server = await asyncio.get_running_loop().create_server(
            new_connection, self._host, self._port, backlog=self._backlog
        )
