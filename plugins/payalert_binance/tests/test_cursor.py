"""Cursor parsing and time-window arithmetic."""

from __future__ import annotations

import pytest
from payalert_binance.cursor import FeedCursor, clusters, halves, read_start, split_windows


def test_split_windows_covers_every_millisecond_once():
    windows = split_windows(0, 249, 100)
    assert windows == [(0, 99), (100, 199), (200, 249)]
    covered = [ms for low, high in windows for ms in range(low, high + 1)]
    assert covered == list(range(250))


def test_split_windows_single_point_and_empty():
    assert split_windows(5, 5, 100) == [(5, 5)]
    assert split_windows(6, 5, 100) == []
    with pytest.raises(ValueError):
        split_windows(0, 10, 0)


def test_halves_are_disjoint_and_complete():
    first, second = halves(10, 21)
    assert first == (10, 15) and second == (16, 21)
    assert halves(7, 8) == ((7, 7), (8, 8))


def test_clusters_join_close_times_and_respect_the_window_size():
    assert clusters([], 10, 100) == []
    assert clusters([5], 10, 100) == [(5, 5)]
    assert clusters([30, 5, 15, 5, 200, 205], 10, 100) == [(5, 15), (30, 30), (200, 205)]
    steps = list(range(0, 300, 10))  # each 10 apart: one chain, cut wherever a window would pass 100
    assert clusters(steps, 10, 100) == [(0, 90), (100, 190), (200, 290)]
    assert all(high - low + 1 <= 100 for low, high in clusters(steps, 10, 100))
    with pytest.raises(ValueError):
        clusters([1], 10, 0)


def test_read_start_never_goes_below_floor():
    assert read_start(FeedCursor(since=10_000, floor=0), 600) == 9_400
    assert read_start(FeedCursor(since=10_000, floor=9_800), 600) == 9_800


@pytest.mark.parametrize("state", [None, "x", {}, {"since": "a", "floor": 1}, {"since": 1}])
def test_unreadable_state_is_a_first_run(state):
    assert FeedCursor.from_state(state) is None


def test_state_round_trip():
    cursor = FeedCursor(since=123, floor=100)
    assert FeedCursor.from_state(cursor.to_state()) == cursor


def test_followed_records_round_trip_and_an_empty_set_is_not_stored():
    cursor = FeedCursor(since=5, floor=3, tracked={"d-1": 2, "d-2": 1})
    assert FeedCursor.from_state(cursor.to_state()) == cursor
    assert FeedCursor(since=5, floor=3).to_state() == {"since": 5, "floor": 3}  # as saved before
    unreadable = {"since": 50, "floor": 3, "tracked": ["not", "a", "mapping"]}
    assert FeedCursor.from_state(unreadable) == FeedCursor(since=50, floor=3)  # the window cursor holds
    # Read back far enough to find the lost records again, never below the floor.
    assert FeedCursor.from_state(unreadable, rewind_ms=20) == FeedCursor(since=30, floor=3)
    assert FeedCursor.from_state(unreadable, rewind_ms=90) == FeedCursor(since=3, floor=3)
    assert FeedCursor.from_state({"since": 50, "floor": 3}, rewind_ms=20) == FeedCursor(since=50, floor=3)


def test_the_last_sweep_round_trips_and_an_unreadable_one_means_sweep_again():
    cursor = FeedCursor(since=5, floor=3, swept=4)
    assert FeedCursor.from_state(cursor.to_state()) == cursor
    assert FeedCursor.from_state({"since": 5, "floor": 3, "swept": "soon"}) == FeedCursor(since=5, floor=3)
