"""Pacing for Telegram's flood limits, shared by every request one bot makes.

Why not python-telegram-bot's ``AIORateLimiter``: it has no per-chat pace for private chats
(~1 message/s), its leaky buckets let a whole minute's group quota (20) go out in one burst, and on
a 429 it either sleeps and re-sends inside the call (``max_retries > 0``, hiding the wait from the
core's delivery lanes, which then cannot record it) or raises without pausing anything
(``max_retries=0``). :class:`FloodGate` keeps exact quotas instead, measured from when requests
completed, so no delay between us and Telegram can squeeze two requests closer than allowed; after a 429 it holds *every* request of the bot until ``retry_after`` has passed, while
the notifier hands the same ``retry_after`` to the core as :class:`~payalert_core.RetryLater`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

#: A pause shorter than this is waited out inside the call instead of being handed to the core.
INLINE_PAUSE = 1.0


@dataclass(frozen=True)
class Limits:
    """The limits in seconds and message counts."""

    chat_interval: float = 1.0
    group_messages: int = 20
    group_period: float = 60.0
    overall_messages: int = 30
    overall_period: float = 1.0


class FloodWait(RetryAfter):
    """Raised without contacting Telegram: the bot is still paused after a 429."""

    def __init__(self, seconds: float) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PTB 22 reads its own deprecated int form here
            super().__init__(timedelta(seconds=seconds))


def retry_after_seconds(error: RetryAfter) -> float:
    """``error.retry_after`` in seconds, whether this version gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is deprecated
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_group(chat_id: int | str) -> bool:
    """Groups, supergroups and channels have negative ids (or an @username); users positive ids."""
    return isinstance(chat_id, str) or chat_id < 0


class _Pool:
    """``count`` tokens, each reusable ``period`` after the request holding it completed.

    Any ``count + 1`` requests include two that used the same token, the second sent at least
    ``period`` after the first *completed*, hence at least ``period`` after Telegram saw the first:
    so no ``period`` ever holds more than ``count`` of them as Telegram counts, whatever the delays.
    """

    def __init__(self, count: int, period: float) -> None:
        self.period = period
        self.free_at = [-math.inf] * count  # inf while the holder is in flight

    def ready_at(self) -> float:
        """When a token is free (``inf`` while every token is held by a request in flight)."""
        return min(self.free_at)

    def take(self) -> int:
        """Hold the earliest free token (only after ``ready_at`` said it is free)."""
        index = self.free_at.index(min(self.free_at))
        self.free_at[index] = math.inf
        return index

    def give_back(self, index: int, done_at: float) -> None:
        """The holder completed at ``done_at``."""
        self.free_at[index] = done_at + self.period

    def idle_since(self, moment: float) -> bool:
        """True when no token was used after ``moment``."""
        return all(free < moment for free in self.free_at)


class Slot:
    """The tokens one request holds until it completes."""

    __slots__ = ("tokens",)

    def __init__(self, tokens: list[tuple[_Pool, int]]) -> None:
        self.tokens = tokens


class FloodGate:
    """Per-chat spacing, per-group and overall quotas, and a bot-wide pause after a 429.

    Spacing is measured from when earlier requests *completed*, not from when they were sent:
    Telegram saw a request at some moment between our send and its answer, so waiting from the
    answer is provably enough, however long a request sat in buffers, event loops or the network.
    The price is about one round trip per ``period`` of throughput at full speed.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.paused_until = 0.0
        self._chats: dict[int | str, _Pool] = {}
        self._groups: dict[int | str, _Pool] = {}
        self._overall = _Pool(limits.overall_messages, limits.overall_period)
        self._released = asyncio.Event()
        self._tickets = itertools.count()
        self._waiting: dict[int, int | str | None] = {}

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` from now (a 429's ``retry_after``)."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    def pause_left(self) -> float:
        """Seconds until the pause ends (0 when not paused)."""
        return max(0.0, self.paused_until - self.clock())

    def _pools(self, chat_id: int | str) -> list[_Pool]:
        limits = self.limits
        pools = [self._chats.setdefault(chat_id, _Pool(1, limits.chat_interval)), self._overall]
        if is_group(chat_id):
            pools.append(self._groups.setdefault(chat_id, _Pool(limits.group_messages, limits.group_period)))
        return pools

    def wait_for(self, chat_id: int | str | None) -> float:
        """Seconds until a message to ``chat_id`` may go out; ``inf`` while that awaits an answer."""
        ready = self.paused_until
        if chat_id is not None:
            ready = max(ready, *(pool.ready_at() for pool in self._pools(chat_id)))
        return max(0.0, ready - self.clock())

    def record(self, chat_id: int | str) -> Slot:
        """Count a message to ``chat_id`` going out now; pass the slot to :meth:`release` after."""
        if len(self._chats) > 4096:
            self._forget_idle()
        return Slot([(pool, pool.take()) for pool in self._pools(chat_id)])

    def release(self, slot: Slot | None) -> None:
        """The request holding ``slot`` has completed (successfully or not)."""
        if slot is not None:
            done_at = self.clock()
            for pool, index in slot.tokens:
                pool.give_back(index, done_at)
            self._released.set()
            self._released = asyncio.Event()

    async def acquire(self, chat_id: int | str | None) -> Slot | None:
        """Wait for a turn, count the request and return its slot; raise FloodWait in a long pause.

        Turns go in order of arrival among requests that may go now, so every chat advances at
        the same pace and no chat is left with a backlog that its own one-a-second limit drags out.
        """
        limits = self.limits
        deadline = (
            self.clock() + 2 * (limits.group_period + limits.overall_period + limits.chat_interval) + 120
        )
        ticket = next(self._tickets)
        self._waiting[ticket] = chat_id
        try:
            for _ in range(1_000_000):
                pause = self.pause_left()
                if pause > INLINE_PAUSE:
                    raise FloodWait(pause)
                delay = self.wait_for(chat_id)
                if delay <= 0 and not self._older_may_go(ticket):
                    return None if chat_id is None else self.record(chat_id)
                if self.clock() >= deadline:
                    break
                if delay <= 0:
                    await asyncio.sleep(0)  # an older request may go now: let it
                elif math.isinf(delay):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._released.wait(), timeout=1.0)
                else:
                    await asyncio.sleep(delay)
        finally:
            del self._waiting[ticket]
        raise RuntimeError("flood gate did not open in time")  # only a hung request gets here

    def _older_may_go(self, ticket: int) -> bool:
        for older, chat_id in self._waiting.items():
            if older >= ticket:
                return False
            if chat_id is not None and self.wait_for(chat_id) <= 0:
                return True
        return False

    def _forget_idle(self) -> None:
        moment = self.clock()
        for chat_id, pool in list(self._chats.items()):
            group = self._groups.get(chat_id)
            if pool.idle_since(moment) and (group is None or group.idle_since(moment)):
                del self._chats[chat_id]
                self._groups.pop(chat_id, None)


class GateRateLimiter(BaseRateLimiter[None]):
    """Puts every request of a python-telegram-bot ``ExtBot`` through a :class:`FloodGate`.

    ``retries_after_429``: how many times a request refused with 429 is made again once the gate
    reopens (0: the caller decides, as the delivery lane does for alerts).
    """

    def __init__(self, gate: FloodGate, retries_after_429: int = 0) -> None:
        self.gate = gate
        self.retries_after_429 = retries_after_429

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Any:
        """Wait for the gate and make the request; on a 429, pause the gate (and retry, if allowed)."""
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        retries = self.retries_after_429
        while True:
            slot = await self.gate.acquire(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.gate.pause(retry_after_seconds(error))
                if retries <= 0:
                    raise
                retries -= 1
            finally:
                self.gate.release(slot)
