"""What the late sweep may skip: records stored with the same status, finished, inside its window."""

from __future__ import annotations

from payalert_binance.config import BinanceConfig
from payalert_binance.feeds import DepositFeed
from payalert_binance.known import StoredRecords
from payalert_testing.binance import deposit_record

CONFIG = BinanceConfig.model_validate({"type": "binance", "api_key": "k" * 16, "api_secret": "s" * 16})


def feed() -> DepositFeed:
    return DepositFeed(None, CONFIG, "bn")  # type: ignore[arg-type]  # no request is made


def test_a_stored_credited_deposit_is_known_with_its_status_only():
    deposits, stored = feed(), StoredRecords()
    credited = deposit_record("d1", insert_time=1_000)
    stored.add(deposits, [credited])
    assert stored.known(deposits, credited)
    assert stored.known(deposits, {**credited, "confirmTimes": "21/20"})  # same id and status
    assert not stored.known(deposits, {**credited, "status": 6})  # a new status is built again
    assert not stored.known(deposits, deposit_record("d2", insert_time=1_000))


def test_an_unfinished_or_unreadable_record_is_never_skipped():
    deposits, stored = feed(), StoredRecords()
    pending = deposit_record("p1", status=0, insert_time=1_000)
    unreadable = {"id": "u1", "status": 1}  # no insertTime
    stored.add(deposits, [pending, unreadable])
    assert not stored.known(deposits, pending)  # it must still be followed until credited
    assert not stored.known(deposits, unreadable)


def test_records_older_than_the_window_are_forgotten():
    deposits, stored = feed(), StoredRecords()
    old, recent = deposit_record("old", insert_time=1_000), deposit_record("recent", insert_time=5_000)
    stored.add(deposits, [old, recent])
    stored.forget_before(2_000)
    assert not stored.known(deposits, old) and stored.known(deposits, recent)
