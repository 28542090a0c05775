"""Fault scenario: Telegram is down for a while, in phases, while signed payments keep arriving.

Phases: up, connection refused (the Bot API stopped), 5xx answers, answers slower than the
client's timeout, up again. A send that times out after Telegram accepted it is the documented
duplicate window: the server counts those (``unconfirmed``) and every repeat must be one of them.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from payalert_testing import DaemonProcess, TelegramAPI
from payalert_testing.telegram_api import Fault

from ..webhook_client import signed_post, webhook_source
from .tallying import tally
from .telegram_sink import FAST_RETRY, first_seen, received_ids, telegram_section

CHATS = (111, 222, -100333)
PER_PHASE = 2
CLIENT_TIMEOUT = "1s"
HOLD_SECONDS = 2.5  # how long each answer takes in the slow phase: past the client's timeout
FOREVER = 100_000  # fault rules last until cleared


class Outage:
    """A daemon taking signed payments and alerting three chats through the local Bot API."""

    def __init__(self, factory: Any, api: TelegramAPI) -> None:
        self.api = api
        self.daemon: DaemonProcess = factory.start(
            sources={"shop": webhook_source()},
            notifiers={"tg": telegram_section(api, CHATS, timeout=CLIENT_TIMEOUT)},
            settings=FAST_RETRY,
        )
        self.posted: list[str] = []
        self.health_seen: dict[str, tuple[int, str, bool, str, int]] = {}

    def pay(self, phase: str) -> None:
        """Post this phase's payments; each must be stored (202) whatever Telegram does."""
        for index in range(PER_PHASE):
            external_id = f"{phase}-{index}"
            payload = {"id": external_id, "amount": f"{10 + len(self.posted)}.00", "currency": "INR"}
            answer = signed_post(self.daemon, "shop", {**payload, "title": f"Payment {external_id}"})
            assert answer.status == 202, answer.body
            self.posted.append(external_id)

    def health(self) -> tuple[int, dict[str, Any]]:
        """/health's status code and body."""
        response = self.daemon.health()
        return response.status, response.json()

    def wait_failing(self, phase: str, error_text: str) -> None:
        """Wait until /health shows this phase's failure with alerts pending; keep what it showed.

        This is what /health offers about a failing notifier: its last error and the alerts
        waiting; a phase that never shows them fails the test here.
        """

        def failing() -> tuple[int, dict[str, Any]] | None:
            status, body = self.health()
            entry = body["notifiers"]["tg"]
            shown = error_text in (entry["last_error"] or "") and entry["pending"] >= 1
            return (status, body) if shown else None

        status, body = self.daemon.wait_for(failing, timeout=30)
        entry = body["notifiers"]["tg"]
        self.health_seen[phase] = (
            status,
            body["status"],
            entry["healthy"],
            entry["last_error"],
            body["deliveries"]["pending"],
        )

    def all_received(self) -> bool:
        """Every chat has every posted payment at least once."""
        return all(set(self.posted) <= set(received_ids(self.api, chat)) for chat in CHATS)


def test_telegram_outage_in_phases_loses_nothing(payalert_daemon, telegram_api, reliability) -> None:
    started = time.monotonic()
    api = telegram_api
    run = Outage(payalert_daemon, api)

    run.pay("up")
    api.wait_for(run.all_received, timeout=30)

    api.down()  # connection refused
    run.pay("refused")
    run.wait_failing("refused", "not reachable")

    api.fail("*", Fault.server_error(502), times=FOREVER)
    api.up()
    run.pay("5xx")
    run.wait_failing("5xx", "Bad Gateway")

    api.clear_faults()
    api.fail("*", Fault.slow(HOLD_SECONDS), times=FOREVER)
    run.pay("slow")
    run.wait_failing("slow", "timed out")
    api.wait_for(lambda: api.unconfirmed, timeout=30)  # the duplicate window did open

    api.clear_faults()
    run.pay("back")
    api.wait_for(run.all_received, timeout=60)
    run.daemon.wait_for(lambda: run.health()[1]["deliveries"]["pending"] == 0, timeout=30)
    api.wait_for(lambda: api.held == 0, timeout=30)  # late acceptances of held requests are in
    final_status, final = run.health()
    wall = time.monotonic() - started

    received = {chat: received_ids(api, chat) for chat in CHATS}
    counts = tally(
        [(chat, item) for chat in CHATS for item in run.posted],
        [(chat, item) for chat in CHATS for item in received[chat]],
    )
    window = Counter((message.chat_id, message.text.split("\n", 1)[0]) for message in api.unconfirmed)
    repeats = Counter(
        {(chat, item): n - 1 for chat in CHATS for item, n in Counter(received[chat]).items() if n > 1}
    )
    during = "; ".join(
        f"{phase}: HTTP {seen[0]} status={seen[1]} notifier healthy={seen[2]} pending={seen[4]}"
        for phase, seen in run.health_seen.items()
    )
    reliability.record_tally(
        "telegram outage: refused, 5xx, slow, back",
        counts,
        note=(
            f"{len(run.posted)} payments x {len(CHATS)} chats; duplicate window (accepted, never "
            f"confirmed): {sum(window.values())}; wall {wall:.1f}s; /health during the outage: {during}"
        ),
    )

    assert counts.lost == [], received
    for chat in CHATS:
        assert first_seen(received[chat]) == run.posted, (chat, received[chat])
    # Every repeat is a message Telegram accepted while the client had already given up on it.
    assert repeats == window, (repeats, window)
    for phase, (status, seen_status, healthy, _, _) in run.health_seen.items():
        assert (status, seen_status, healthy) == (503, "degraded", False), phase
    assert final_status == 200 and final["status"] == "ok"
    assert final["deliveries"] == {"pending": 0, "failed": 0}
    assert final["notifiers"]["tg"]["last_success"] >= final["notifiers"]["tg"]["last_failure"]


def test_health_degrades_while_the_notifier_cannot_deliver(payalert_daemon, telegram_api) -> None:
    run = Outage(payalert_daemon, telegram_api)
    telegram_api.down()
    run.pay("refused")
    run.wait_failing("refused", "not reachable")
    status, seen_status, healthy, _, _ = run.health_seen["refused"]
    assert status != 200 or seen_status != "ok" or not healthy
