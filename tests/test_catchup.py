"""Catch-up after downtime: one line first, naming the downtime and the payments that arrived in it."""

import json
import re
import time
from datetime import UTC, datetime

import pytest

from payalert_core.catchup import downtime_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(40, "40 s"), (12 * 60 + 5, "12 min"), (3 * 3600 + 12 * 60, "3 h 12 min"), (49 * 3600, "2 d 1 h")],
)
def test_downtime_reads_like_a_person_would_say_it(seconds, text):
    assert downtime_text(seconds) == text


def feed_line(external_id: str, occurred_at: float) -> str:
    moment = datetime.fromtimestamp(occurred_at, UTC).isoformat()
    return json.dumps({"id": external_id, "amount": "5.00", "currency": "EUR", "occurred_at": moment}) + "\n"


def start_with_one_alert(payalert_daemon, feed, external_id):
    """A daemon polling ``feed`` (catch-up after 2 s down) that has alerted one payment."""
    feed.write_text(feed_line(external_id, time.time()))
    sources = {"feed": {"type": "feed-poll", "path": str(feed), "interval": "0.5s"}}
    daemon = payalert_daemon.start(sources=sources, settings={"catch_up_after": "2s"})
    daemon.wait_for_alerts(1)
    return daemon


def test_after_a_downtime_one_line_goes_first_then_the_alerts_in_order(payalert_daemon, tmp_path):
    feed = tmp_path / "feed.jsonl"
    daemon = start_with_one_alert(payalert_daemon, feed, "before")
    assert daemon.stop() == 0
    down_at = time.time()
    time.sleep(3)
    with feed.open("a") as file:  # arrived while payalert was down
        for name in ("gap-1", "gap-2", "gap-3"):
            file.write(feed_line(name, down_at + 1))
    daemon.restart()
    alerts = daemon.wait_for_alerts(5)
    titles = [a.payment.title for a in alerts]
    assert titles[0] == "Payment before"
    line = re.fullmatch(r"payalert was down (\d+) s; 3 payments arrived meanwhile", titles[1])
    assert line is not None and int(line.group(1)) >= 3, titles[1]  # at least the 3 s it was stopped
    assert [a.payment.external_id for a in alerts[2:]] == ["gap-1", "gap-2", "gap-3"]


def test_a_short_stop_or_a_downtime_without_payments_says_nothing(payalert_daemon, tmp_path):
    feed = tmp_path / "feed.jsonl"
    daemon = start_with_one_alert(payalert_daemon, feed, "a")
    daemon.stop()
    daemon.restart()  # down less than 2 s
    daemon.stop()
    time.sleep(3)
    daemon.restart()  # down 3 s, but nothing arrived
    daemon.wait_for(lambda: "catch-up: 0 payment(s)" in daemon.output())
    with feed.open("a") as file:
        file.write(feed_line("b", time.time()))
    assert [a.payment.external_id for a in daemon.wait_for_alerts(2)] == ["a", "b"]
