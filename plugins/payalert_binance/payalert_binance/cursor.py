"""Per-feed cursors and the time windows a poll reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_WINDOWS = 10_000  # a 800-year gap in 30-day windows: a bound, never reached in practice


@dataclass(frozen=True)
class FeedCursor:
    """What a feed saved: ``since`` (everything before it is final and stored) and ``floor``.

    ``floor`` is where the feed started on its first run (now, or now minus ``backfill``); the
    overlap re-read never reaches below it, so the first run never floods old history.
    """

    since: int
    floor: int
    #: Unfinished records (a pending deposit, an open P2P order), by id, with their time: the
    #: cursor moves past them, and each poll re-reads them (see ``clusters``) until they finish.
    tracked: dict[str, int] = field(default_factory=dict)
    #: When the last late sweep finished (Binance time, ms); None: never, so one is due.
    swept: int | None = None

    @classmethod
    def from_state(cls, state: Any, rewind_ms: int = 0) -> FeedCursor | None:
        """Parse a saved cursor; None for a first run (or an unreadable value).

        An unreadable list of followed records moves ``since`` back by ``rewind_ms`` (never below
        ``floor``), so the poll reads those records again and follows them anew.
        """
        if not isinstance(state, dict):
            return None
        try:
            since, floor = int(state["since"]), int(state["floor"])
        except (KeyError, TypeError, ValueError):
            return None
        try:
            tracked = {str(ident): int(at) for ident, at in (state.get("tracked") or {}).items()}
        except (AttributeError, TypeError, ValueError):
            tracked = {}
            since = max(floor, since - rewind_ms)
        try:
            swept = None if state.get("swept") is None else int(state["swept"])
        except (TypeError, ValueError):
            swept = None  # the next poll sweeps again: a sweep only re-reads what is already stored
        return cls(since=since, floor=floor, tracked=tracked, swept=swept)

    def to_state(self) -> dict[str, Any]:
        """The JSON value stored with the events."""
        state: dict[str, Any] = {"since": self.since, "floor": self.floor}
        if self.tracked:
            state["tracked"] = dict(self.tracked)
        if self.swept is not None:
            state["swept"] = self.swept
        return state


def read_start(cursor: FeedCursor, overlap_ms: int) -> int:
    """Where a poll starts reading: ``overlap_ms`` before the cursor, never below the floor."""
    return max(cursor.floor, cursor.since - overlap_ms)


def split_windows(start_ms: int, end_ms: int, size_ms: int) -> list[tuple[int, int]]:
    """``[start_ms, end_ms]`` as consecutive inclusive windows of at most ``size_ms`` each."""
    if size_ms <= 0:
        raise ValueError("size_ms must be > 0")
    windows: list[tuple[int, int]] = []
    low = start_ms
    while low <= end_ms and len(windows) < MAX_WINDOWS:
        high = min(low + size_ms - 1, end_ms)
        windows.append((low, high))
        low = high + 1
    return windows


def halves(start_ms: int, end_ms: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Split an inclusive window of at least two milliseconds in two."""
    middle = (start_ms + end_ms) // 2
    return (start_ms, middle), (middle + 1, end_ms)


def clusters(times: Iterable[int], gap_ms: int, size_ms: int) -> list[tuple[int, int]]:
    """Inclusive windows covering ``times`` (in order), each at most ``size_ms`` long.

    Times at most ``gap_ms`` apart share a window; each window starts and ends on one of ``times``,
    so it reads only what lies between records that are re-read anyway.
    """
    if size_ms <= 0:
        raise ValueError("size_ms must be > 0")
    windows: list[tuple[int, int]] = []
    for at in sorted(set(times)):
        if windows and at - windows[-1][1] <= gap_ms and at - windows[-1][0] < size_ms:
            windows[-1] = (windows[-1][0], at)
        else:
            windows.append((at, at))
    return windows
