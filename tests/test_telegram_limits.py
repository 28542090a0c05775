"""The flood gate: exact sliding windows per chat, per group and overall, and the 429 pause."""

import asyncio
import math
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from payalert_core.notifiers.telegram_limits import (
    FloodGate,
    FloodWait,
    GateRateLimiter,
    Limits,
    retry_after_seconds,
)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def send(gate, chat_id):
    """Count one request that completes at once."""
    gate.release(gate.record(chat_id))


def test_one_message_per_interval_to_a_private_chat(clock):
    gate = FloodGate(Limits(), clock)
    assert gate.wait_for(42) == 0
    slot = gate.record(42)
    assert gate.wait_for(42) == math.inf  # nothing more until Telegram has answered
    clock.now += 0.3
    gate.release(slot)
    assert gate.wait_for(42) == pytest.approx(1.0)  # counted from the answer, not the send
    assert gate.wait_for(43) == 0  # another chat is not held back
    clock.now += 0.6
    assert gate.wait_for(42) == pytest.approx(0.4)
    clock.now += 0.4
    assert gate.wait_for(42) == 0


def test_groups_get_at_most_their_quota_per_period(clock):
    gate = FloodGate(Limits(group_messages=20, group_period=60), clock)
    for _ in range(20):
        assert gate.wait_for(-100) == 0
        send(gate, -100)
        clock.now += 1
    assert gate.wait_for(-100) == pytest.approx(40)  # the first of the 20 frees its place at +60
    clock.now += 40
    assert gate.wait_for(-100) == 0
    assert gate.wait_for("@channel") == 0  # channels by @username count as groups too
    send(gate, "@channel")
    assert gate.wait_for("@channel") == pytest.approx(1.0)


def test_private_chats_are_not_subject_to_the_group_quota(clock):
    gate = FloodGate(Limits(group_messages=2, group_period=60), clock)
    for _ in range(5):
        assert gate.wait_for(7) == 0
        send(gate, 7)
        clock.now += 1


def test_overall_quota_across_chats(clock):
    gate = FloodGate(Limits(overall_messages=30, overall_period=1), clock)
    slots = [gate.record(chat) for chat in range(30)]
    assert gate.wait_for(999) == math.inf  # all 30 in flight
    clock.now += 0.2
    for slot in slots:
        gate.release(slot)
    assert gate.wait_for(999) == pytest.approx(1.0)
    clock.now += 0.5
    assert gate.wait_for(999) == pytest.approx(0.5)
    assert gate.wait_for(None) == 0  # requests without a chat (getMe) are not counted


def test_a_pause_holds_every_request(clock):
    gate = FloodGate(Limits(), clock)
    gate.pause(5)
    assert gate.wait_for(1) == pytest.approx(5)
    assert gate.wait_for(None) == pytest.approx(5)
    gate.pause(2)  # a shorter pause never shortens the current one
    assert gate.pause_left() == pytest.approx(5)


async def test_turns_go_in_order_of_arrival():
    gate = FloodGate(Limits(chat_interval=0.01, overall_messages=1, overall_period=0.05))
    order = []

    async def request(chat_id, delay):
        await asyncio.sleep(delay)
        slot = await gate.acquire(chat_id)
        order.append(chat_id)
        gate.release(slot)

    await asyncio.gather(*(request(chat, index * 0.005) for index, chat in enumerate([5, 4, 3, 2, 1])))
    assert order == [5, 4, 3, 2, 1]


async def test_acquire_raises_flood_wait_during_a_long_pause_and_sends_nothing(clock):
    gate = FloodGate(Limits(), clock)
    gate.pause(30)
    with pytest.raises(FloodWait) as caught:
        await gate.acquire(1)
    assert retry_after_seconds(caught.value) == pytest.approx(30)
    clock.now += 30
    gate.release(await gate.acquire(1))
    assert gate.wait_for(1) == pytest.approx(1.0)


async def test_acquire_waits_for_the_answer_and_the_interval():
    gate = FloodGate(Limits(chat_interval=0.05))
    first = await gate.acquire(1)
    second = asyncio.create_task(gate.acquire(1))
    await asyncio.sleep(0.1)
    assert not second.done()  # the first request has not been answered
    gate.release(first)
    answered = gate.clock()
    gate.release(await asyncio.wait_for(second, 5))
    assert gate.clock() - answered >= 0.05


# Building a RetryAfter makes PTB 22 warn about its own deprecated int form.
ignore_ptb_deprecation = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@ignore_ptb_deprecation
@pytest.mark.parametrize("value", [7, timedelta(seconds=7)])
def test_retry_after_in_seconds_whatever_the_version_gives(value, monkeypatch):
    for setting in ("true", "false"):
        monkeypatch.setenv("PTB_TIMEDELTA", setting)
        assert retry_after_seconds(RetryAfter(value)) == 7.0


@ignore_ptb_deprecation
async def test_rate_limiter_pauses_the_gate_on_a_429(clock):
    gate = FloodGate(Limits(), clock)
    limiter = GateRateLimiter(gate)

    async def answer_429(*args, **kwargs):
        raise RetryAfter(12)

    with pytest.raises(RetryAfter):
        await limiter.process_request(answer_429, (), {}, "sendMessage", {"chat_id": "5"}, None)
    assert gate.pause_left() == pytest.approx(12)
    assert gate.wait_for(5) == pytest.approx(12)

    calls = []

    async def ok(*args, **kwargs):
        calls.append(args)
        return True

    with pytest.raises(FloodWait):
        await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": 6}, None)
    assert calls == []  # nothing reaches Telegram while paused


@ignore_ptb_deprecation
async def test_a_limiter_allowed_one_retry_sends_again_once_a_short_pause_ends():
    gate = FloodGate(Limits())
    limiter = GateRateLimiter(gate, retries_after_429=1)
    answers = [RetryAfter(1)]
    calls = []

    async def first_429_then_ok(*args, **kwargs):
        calls.append(gate.pause_left())
        if answers:
            raise answers.pop()
        return True

    assert await limiter.process_request(first_429_then_ok, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert len(calls) == 2 and calls[1] == 0  # sent again only once the pause was over

    async def always_429(*args, **kwargs):
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):  # one retry, not more
        await limiter.process_request(always_429, (), {}, "sendMessage", {"chat_id": 6}, None)
