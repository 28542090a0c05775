"""Fault scenario: storms of 429 Too Many Requests, per chat and bot-wide, judged by the server's clock.

The local Bot API notes when each 429 was written out and when every request arrived (one
monotonic clock for both processes). No request may arrive before a 429's ``retry_after`` has run
out: for that chat, or for any chat when the 429 held the whole bot. No tolerance is allowed.

For the bot-wide case the notifier is set to keep one request in flight at a time
(``overall_messages: 1``). Otherwise a message to another chat that was already on its way when
the 429 was written arrives during the wait through no fault of the client, and no clock at the
server can tell it from an early one.
"""

from __future__ import annotations

import time

from payalert_testing.telegram_api import Call, Fault, FloodAnswer, TelegramAPI

from ..webhook_client import signed_post, webhook_source
from .tallying import tally
from .telegram_sink import FAST_RETRY, received_ids, telegram_section

CHATS = (111, 222, -100333)
PER_STORM = 3
RATE_LIMITED = ("sendmessage", "editmessagetext", "setmycommands")


def early_arrivals(api: TelegramAPI) -> list[tuple[FloodAnswer, Call, float]]:
    """Each request that arrived while a 429 it was bound by still ran, with how early it was."""
    calls = [call for call in api.calls if call.method.lower() in RATE_LIMITED]
    found = []
    for answer in api.flood_answers:
        ends = answer.at + answer.seconds
        for call in calls:
            bound = answer.chat_id is None or call.params.get("chat_id") == answer.chat_id
            if bound and answer.at < call.at < ends:
                found.append((answer, call, ends - call.at))
    return found


def margins(api: TelegramAPI) -> list[float]:
    """For each 429: seconds from the end of its wait to the next request it bound."""
    calls = [call for call in api.calls if call.method.lower() in RATE_LIMITED]
    result = []
    for answer in api.flood_answers:
        later = [
            call.at
            for call in calls
            if call.at > answer.at
            and (answer.chat_id is None or call.params.get("chat_id") == answer.chat_id)
        ]
        if later:
            result.append(min(later) - (answer.at + answer.seconds))
    return result


def test_429_storms_are_waited_out_to_the_second(payalert_daemon, telegram_api, reliability) -> None:
    started = time.monotonic()
    api = telegram_api
    serial = {"overall_messages": 1, "overall_period": "0.05s"}
    daemon = payalert_daemon.start(
        sources={"shop": webhook_source()},
        notifiers={"tg": telegram_section(api, CHATS, rate_limits=serial)},
        settings=FAST_RETRY,
    )
    api.wait_for(lambda: api.commands_menu, timeout=20)  # the start-up calls are done before the storm
    posted: list[str] = []

    def pay(storm: str) -> None:
        for index in range(PER_STORM):
            external_id = f"{storm}-{index}"
            payload = {"id": external_id, "amount": "5.00", "currency": "USD", "title": external_id}
            assert signed_post(daemon, "shop", payload).status == 202
            posted.append(external_id)

    def everything_arrived() -> bool:
        return all(set(posted) <= set(received_ids(api, chat)) for chat in CHATS)

    # Chat storms: 111 is refused twice in a row (2 s, then 3 s), 222 on its second alert (2 s).
    api.fail("sendMessage", Fault.retry_after(2, chat_only=True), chat_id=111)
    api.fail("sendMessage", Fault.retry_after(3, chat_only=True), chat_id=111)
    api.fail("sendMessage", Fault.retry_after(2, chat_only=True), chat_id=222, skip=1)
    pay("chat-storm")
    api.wait_for(everything_arrived, timeout=60)
    # A bot-wide flood wait, answered to the group's next message.
    api.fail("sendMessage", Fault.retry_after(3), chat_id=-100333)
    pay("bot-flood")
    api.wait_for(everything_arrived, timeout=60)
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["pending"] == 0, timeout=20)
    wall = time.monotonic() - started

    received = {chat: received_ids(api, chat) for chat in CHATS}
    counts = tally(
        [(chat, item) for chat in CHATS for item in posted],
        [(chat, item) for chat in CHATS for item in received[chat]],
    )
    early = early_arrivals(api)
    scopes = sorted((str(answer.chat_id), answer.seconds) for answer in api.flood_answers)
    waited = margins(api)
    reliability.record_tally(
        "telegram 429 storms: per chat and bot-wide",
        counts,
        note=(
            f"{len(api.flood_answers)} x 429 (chat, retry_after): {scopes}; early arrivals: {len(early)}; "
            f"next request came {min(waited, default=0) * 1000:.0f}-"
            f"{max(waited, default=0) * 1000:.0f} ms after each wait ended; wall {wall:.1f}s"
        ),
    )

    assert early == [], early
    assert api.early_calls == 0
    assert ("111", 2) in scopes and ("111", 3) in scopes and ("222", 2) in scopes and ("None", 3) in scopes
    assert len(waited) == len(api.flood_answers)  # each 429 was followed by a request it bound
    assert counts.lost == [] and counts.duplicated == {}, received
    for chat in CHATS:
        assert received[chat] == posted, (chat, received[chat])
    assert "Telegram asked to wait 3.0s (429)" in daemon.output()
