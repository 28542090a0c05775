"""The bound on open HTTP connections: who is closed to make room, and how big the bound is."""

import resource
from types import SimpleNamespace

from payalert_core import connections as connections_module
from payalert_core.connections import ConnectionLimit


class FakeConnection:
    """Stands for an aiohttp RequestHandler: an open transport until force_close()."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.transport = object()

    def force_close(self) -> None:
        self.transport = None


def test_the_oldest_connection_not_processing_a_request_makes_room():
    limit = ConnectionLimit(3)
    oldest, processing, idle = FakeConnection("oldest"), FakeConnection("processing"), FakeConnection("idle")
    request = SimpleNamespace(protocol=oldest)
    with limit.busy(request):
        limit.make_room([oldest, processing, idle])
    assert [c.name for c in (oldest, processing, idle) if c.transport is None] == ["processing"]
    assert limit.closed_for_room == 1


def test_below_the_limit_nobody_is_closed_and_closing_ones_do_not_count():
    limit = ConnectionLimit(3)
    closing = FakeConnection("closing")
    closing.force_close()
    group = [closing, FakeConnection("a"), FakeConnection("b")]
    limit.make_room(group)
    assert all(c.transport is not None for c in group[1:]) and limit.closed_for_room == 0


def test_the_bound_is_half_the_open_file_limit_with_a_small_backlog(monkeypatch):
    monkeypatch.setattr(connections_module.resource, "getrlimit", lambda _: (256, 4096))
    small = ConnectionLimit.for_open_files()
    assert (small.limit, small.backlog) == (128, 32)
    monkeypatch.setattr(connections_module.resource, "getrlimit", lambda _: (65536, 65536))
    assert (ConnectionLimit.for_open_files().limit, ConnectionLimit.for_open_files().backlog) == (32768, 128)
    monkeypatch.setattr(
        connections_module.resource, "getrlimit", lambda _: (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    )
    assert ConnectionLimit.for_open_files().limit == connections_module.UNLIMITED_FILES // 2
