"""Two nodes, one PostgreSQL: a node killed mid-burst, a polled source failing over, the database
restarted mid-burst, and Telegram's command poller on one node only.

Each node has its own config file and data_dir and the same sources; webhooks go to both. What
every node's recording notifier received is counted together: every payment alerted, none lost,
at most one repeated per lane (a send in flight when its node died).
"""

from __future__ import annotations

import time

from payalert_testing import DaemonFactory, PostgresServer, TelegramAPI
from payalert_testing.telegram_api import TOKEN

from ..webhook_client import webhook_source
from .mixed_sources import WebhookBurst, is_2xx, post_payment
from .tallying import tally
from .two_nodes import (
    FeedWriter,
    all_alerts,
    keys,
    lane_holder,
    runner,
    start_nodes,
    store_of,
    wait_all_delivered,
)

WEBHOOKS = 600
FEED_LINES = 100
POLL_INTERVAL = 1.0
#: One recording notifier with one target: one lane, so at most one send in flight at a kill.
LANES = 1


def feed_source(path, interval: float = 0.2) -> dict:
    return {"type": "feed-poll", "path": str(path), "interval": f"{interval}s", "jitter": 0}


def test_kill_9_of_one_node_mid_burst_loses_nothing_and_repeats_at_most_one(
    payalert_daemon: DaemonFactory, postgres_server: PostgresServer, tmp_path, reliability
) -> None:
    started = time.monotonic()
    feed = tmp_path / "feed.jsonl"
    feed.touch()
    url = postgres_server.create_database()
    nodes = start_nodes(
        payalert_daemon,
        url,
        sources={"shop": webhook_source(), "feed": feed_source(feed)},
        recorder={"delay": "0.02s"},
    )
    runner(nodes, "source:feed")
    webhook_keys = [f"w-{number:04d}" for number in range(WEBHOOKS)]
    bursts = [
        WebhookBurst(node, "shop", webhook_keys[index::2], threads=2) for index, node in enumerate(nodes)
    ]
    writer = FeedWriter(feed, "f-", FEED_LINES)
    for burst in bursts:
        burst.start()
    writer.start()
    victim = lane_holder(nodes)
    survivor = next(node for node in nodes if node is not victim)
    victim_burst = bursts[nodes.index(victim)]
    survivor.wait_for(lambda: victim_burst.progress() >= 0.5, timeout=60, interval=0.01)
    # Counted in the database itself: /health's count is refreshed at most once a second.
    pending_at_kill = int(
        postgres_server.psql(
            "SELECT count(*) FROM deliveries WHERE status = 'pending'", url.rsplit("/", 1)[1]
        )
    )
    ran_feed = "source:feed" in store_of(victim)["runs"]
    killed_at = time.monotonic()
    victim.kill()
    for burst in bursts:
        burst.join()
    writer.join()
    unanswered = victim_burst.unacknowledged() + bursts[nodes.index(survivor)].unacknowledged()
    resent = [post_payment(survivor, "shop", key) for key in unanswered]

    expected = {("shop", key) for key in webhook_keys} | {("feed", ident) for ident in writer.ids}
    wait_all_delivered(nodes, expected, timeout=90)
    survivor.wait_for(lambda: survivor.health().json()["deliveries"]["pending"] == 0, timeout=30)
    result = tally(expected, keys(all_alerts(nodes)))
    reliability.record_tally(
        "two nodes: kill -9 of the lane holder mid burst",
        result,
        note=(
            f"{WEBHOOKS} webhooks over 2 nodes + {FEED_LINES} polled; {pending_at_kill} pending at kill; "
            f"the victim {'also ran' if ran_feed else 'did not run'} the polled source; "
            f"{len(unanswered)} resent; kill-to-done {time.monotonic() - killed_at:.1f}s; "
            f"wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert pending_at_kill > 0, "the kill came after every delivery was done: nothing was tested"
    assert all(is_2xx(status) for status in resent), f"the survivor refused resent webhooks: {resent}"
    assert result.unexpected == []
    assert result.lost == [], f"lost {len(result.lost)}: {result.lost[:10]}"
    assert result.extra_copies <= LANES, f"repeated beyond the in-flight send: {result.duplicated}"


def test_a_polled_source_moves_to_the_other_node_within_two_intervals(
    payalert_daemon: DaemonFactory, postgres_server: PostgresServer, tmp_path, reliability
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.touch()
    nodes = start_nodes(
        payalert_daemon, postgres_server.create_database(), sources={"feed": feed_source(feed, POLL_INTERVAL)}
    )
    victim = runner(nodes, "source:feed")
    survivor = next(node for node in nodes if node is not victim)
    assert survivor.health().json()["sources"]["feed"]["standby"] is True
    assert survivor.health().status == 200  # standing by is healthy, not stale
    FeedWriter(feed, "before-", 3).start().join()
    wait_all_delivered(nodes, {("feed", f"before-{n}") for n in range(3)}, timeout=30)

    killed_at = time.monotonic()
    victim.kill()
    FeedWriter(feed, "after-", 3).start().join()
    # The bound is two poll intervals; the deadline is wider so a loaded machine cannot fail it.
    runner([survivor], "source:feed", timeout=2 * POLL_INTERVAL + 10)
    took_over = time.monotonic() - killed_at
    wait_all_delivered([survivor], {("feed", f"after-{n}") for n in range(3)}, timeout=30)
    alerted = time.monotonic() - killed_at
    assert "standby" not in survivor.health().json()["sources"]["feed"]
    result = tally(
        {("feed", f"{p}-{n}") for p in ("before", "after") for n in range(3)}, keys(all_alerts(nodes))
    )
    reliability.record_tally(
        "two nodes: polled source fails over",
        result,
        note=f"interval {POLL_INTERVAL:.0f}s; polled on the survivor {took_over:.1f}s after kill -9, alerted after {alerted:.1f}s",
    )
    assert result.lost == [] and result.extra_copies <= LANES


def test_postgres_restarted_mid_burst_answers_503_then_recovers_losing_nothing(
    payalert_daemon: DaemonFactory, postgres_server: PostgresServer, reliability
) -> None:
    nodes = start_nodes(
        payalert_daemon, postgres_server.create_database(), sources={"shop": webhook_source()}
    )
    webhook_keys = [f"r-{number:04d}" for number in range(400)]
    bursts = [
        WebhookBurst(node, "shop", webhook_keys[index::2], threads=2) for index, node in enumerate(nodes)
    ]
    for burst in bursts:
        burst.start()
    nodes[0].wait_for(lambda: bursts[0].progress() >= 0.3, timeout=60, interval=0.01)
    postgres_server.stop()
    try:
        down = nodes[0].wait_for(lambda: _unwritable(nodes[0]), timeout=30, interval=0.1)
        refused = nodes[0].wait_for(
            lambda: sum(len(b.answered(503)) for b in bursts), timeout=30, interval=0.1
        )
    finally:
        postgres_server.start()
    recovered_at = time.monotonic()
    nodes[0].wait_for(lambda: store_of(nodes[0])["writable"] and store_of(nodes[1])["writable"], timeout=30)
    recovery = time.monotonic() - recovered_at
    for burst in bursts:
        burst.join()
    unanswered = [key for burst in bursts for key in burst.unacknowledged()]
    resent = [post_payment(nodes[n % 2], "shop", key) for n, key in enumerate(unanswered)]

    expected = {("shop", key) for key in webhook_keys}
    wait_all_delivered(nodes, expected, timeout=90)
    result = tally(expected, keys(all_alerts(nodes)))
    reliability.record_tally(
        "two nodes: PostgreSQL restarted mid burst",
        result,
        note=f"{refused} answered 503 while down; writable again {recovery:.1f}s after the server; {len(unanswered)} resent",
    )
    assert "unreachable" in down["problem"] and postgres_server.password not in down["problem"]
    assert refused > 0
    assert all(is_2xx(status) for status in resent), resent
    assert result.lost == [], f"lost {len(result.lost)}: {result.lost[:10]}"
    assert result.extra_copies <= LANES, result.duplicated


def _unwritable(node):
    store = store_of(node)
    return store if not store["writable"] else None


def test_the_telegram_command_poller_runs_on_one_node_and_moves_when_it_dies(
    payalert_daemon: DaemonFactory, postgres_server: PostgresServer, telegram_api: TelegramAPI
) -> None:
    telegram = {
        "type": "telegram",
        "token": TOKEN,
        "destinations": [111],
        "base_url": telegram_api.url,
        "poll_timeout": "1s",
    }
    nodes = start_nodes(
        payalert_daemon, postgres_server.create_database(), sources={}, notifiers={"tg": telegram}
    )
    leader = runner(nodes, "notifier:tg:commands")
    other = next(node for node in nodes if node is not leader)
    telegram_api.wait_for(lambda: telegram_api.commands_menu, timeout=20)
    time.sleep(3 * 1.0)  # a few long polls by the leader; a second consumer would meet 409 here
    assert telegram_api.conflicts == 0
    assert "answering commands by long polling" not in other.output()
    telegram_api.queue_message("/help", chat_id=111)
    (answer,) = telegram_api.wait_for_messages(1, 111, timeout=20)
    assert "/status" in answer.text

    leader.kill()
    runner([other], "notifier:tg:commands", timeout=20)
    telegram_api.queue_message("/help", chat_id=111)
    try:
        telegram_api.wait_for_messages(2, 111, timeout=60)
    except TimeoutError as error:
        raise AssertionError(f"the new leader did not answer:\n{other.output()[-3000:]}") from error
    assert "answering commands by long polling" in other.output()
