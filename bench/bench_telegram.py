"""Telegram delivery at Telegram's flood limits: 1,000 alerts to 50 chats through a real daemon.

Twenty payments go to fifty destinations (25 private chats, 25 groups), i.e. 1,000 messages,
through ``payalert run`` and the local Bot API server, which enforces the limits itself and answers
429 when one is exceeded. The theoretical minimum comes from the limits alone (30 messages per
second overall, one per second per chat, 20 per minute per group); we report the measured time
from the first to the last accepted message against it, and the 429s the server had to send.

Run: ``python bench/bench_telegram.py`` (about 40 seconds). Exit status 1 if any check fails.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from collections import Counter
from pathlib import Path

from payalert_testing.benchmarks import report_row
from payalert_testing.daemon import DaemonFactory
from payalert_testing.telegram_api import TOKEN, FloodLimits, TelegramAPI

PAYMENTS = 20
CHATS = [*range(1001, 1026), *range(-1002001, -1002026, -1)]
TARGET_RATIO = 1.10


def theoretical_minimum(per_chat: int, chats: int, groups: int, limits: FloodLimits) -> float:
    """Seconds between the first and the last message when every limit is used to the full."""
    total = per_chat * chats
    overall = (math.ceil(total / limits.overall_messages) - 1) * limits.overall_period
    per_chat_time = (per_chat - 1) * limits.chat_interval
    group = (math.ceil(per_chat / limits.group_messages) - 1) * limits.group_period if groups else 0.0
    return max(overall, per_chat_time, group)


def main() -> int:
    """Run the benchmark, print the report, return the exit status."""
    limits = FloodLimits()
    with tempfile.TemporaryDirectory() as folder, TelegramAPI(limits=limits) as api:
        feed = Path(folder) / "feed.jsonl"
        feed.write_text(
            "".join(
                json.dumps({"id": f"b{n}", "amount": "100", "currency": "INR", "title": f"Bench {n:02}"})
                + "\n"
                for n in range(PAYMENTS)
            ),
            encoding="utf-8",
        )
        factory = DaemonFactory(Path(folder))
        try:
            daemon = factory.start(
                sources={"feed": {"type": "feed-stream", "path": str(feed)}},
                notifiers={
                    "tg": {
                        "type": "telegram",
                        "token": TOKEN,
                        "base_url": api.url,
                        "destinations": CHATS,
                        "commands": False,
                    }
                },
                settings={"log_level": "WARNING"},
            )
            total = PAYMENTS * len(CHATS)
            api.wait_for_messages(total, timeout=180)
            daemon.stop()
        finally:
            factory.stop_all()
        return report(api, limits, total)


def report(api: TelegramAPI, limits: FloodLimits, total: int) -> int:
    """Print the measurements and checks; 0 when every check passes."""
    messages = api.sent()
    elapsed = messages[-1].at - messages[0].at
    groups = sum(1 for chat in CHATS if chat < 0)
    minimum = theoretical_minimum(PAYMENTS, len(CHATS), groups, limits)
    ratio = elapsed / minimum
    per_chat = Counter(message.chat_id for message in messages)
    in_order = all(
        [m.text.split("\n")[1] for m in api.sent(chat)] == [f"Bench {n:02}" for n in range(PAYMENTS)]
        for chat in CHATS
    )
    too_many = api.count_status(429)
    print(f"messages delivered     {len(messages)} of {total} to {len(per_chat)} chats")
    print(f"first to last message  {elapsed:.2f} s")
    print(f"theoretical minimum    {minimum:.2f} s (limits: 30/s overall, 1/s per chat, 20/min per group)")
    print(f"ratio                  {ratio:.3f} (target <= {TARGET_RATIO:.2f})")
    print(f"429 answers            {too_many} (server-enforced limits; target 0)")
    print(f"per-chat order kept    {in_order}")
    checks = [len(messages) == total, ratio <= TARGET_RATIO, too_many == 0, in_order]
    report_row(
        f"Telegram: {total:,} alerts to {len(CHATS)} chats through the local Bot API (which enforces the limits)",
        f"{elapsed:.2f} s, {too_many} × 429, order {'kept' if in_order else 'BROKEN'}",
        f"minimum Telegram's limits allow: {minimum:.2f} s",
        f"{ratio:.3f}",
        f"≤ {TARGET_RATIO:.2f}, no 429",
        all(checks),
    )
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
