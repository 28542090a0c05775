"""Bot commands over long polling: answers for configured chats only."""

import asyncio
import logging

import pytest
from payalert_testing.telegram_api import FloodLimits

from payalert_core.notifiers.telegram_commands import HELP, REFUSAL

from .test_telegram_notifier import HOSTILE, FakeRuntime, make_notifier, make_payment

STATUS = {
    "status": "degraded",
    "unhealthy": ["imap"],
    "sources": {
        "github": {"kind": "push", "healthy": True, "last_success": "2025-03-05T08:30:00+00:00"},
        "imap": {
            "kind": "stream",
            "healthy": False,
            "problem": "disconnected",
            "last_failure": "2025-03-05T08:31:00+00:00",
            "last_error": f"login failed {HOSTILE}",
        },
    },
    "notifiers": {"tg": {"kind": "notifier", "healthy": True, "pending": 2, "failed": 1}},
    "deliveries": {"pending": 2, "failed": 1},
}


@pytest.fixture
async def bot(telegram_api):
    """Start a notifier with commands on; yield a helper that sends a command and waits for replies."""
    started = []
    telegram_api.limits = FloodLimits(chat_interval=0.05)

    async def start(runtime=None, **options):
        runtime = runtime or FakeRuntime(
            [make_payment(f"p{i}", title=f"{HOSTILE} {i}") for i in range(10)], STATUS
        )
        settings = {
            "commands": True,
            "poll_timeout": "1s",
            "rate_limits": {"chat_interval": "0.05s"},
            **options,
        }
        notifier = make_notifier(telegram_api, runtime, **settings)
        await notifier.start()
        started.append(notifier)
        await asyncio.wait_for(notifier.commands.polling.wait(), 10)
        return notifier

    yield start
    for notifier in started:
        await notifier.close()


async def ask(api, text, chat_id, replies=1, **sender):
    """Type ``text`` in ``chat_id``; return the bot's next ``replies`` messages there."""
    before = len(api.sent(chat_id))
    api.queue_message(text, chat_id=chat_id, **sender)
    messages = await asyncio.to_thread(api.wait_for_messages, before + replies, chat_id, 10)
    return [message.text for message in messages[before:]]


async def test_status_shows_sources_deliveries_and_latest_payments(telegram_api, bot):
    await bot(destinations=[111])
    (answer,) = await ask(telegram_api, "/status", 111)
    assert answer.startswith("⚠️ payalert: degraded")
    assert "✅ github · last ok 5 Mar 08:30" in answer
    assert f"⚠️ imap · disconnected · last error: login failed {HOSTILE}" in answer
    assert "✅ tg · 2 pending, 1 failed" in answer
    assert "Deliveries: 2 pending, 1 failed" in answer
    assert f"+1,234.50 INR · my_bank — {HOSTILE} 0" in answer
    assert f"{HOSTILE} 4" in answer and f"{HOSTILE} 5" not in answer  # the last five


async def test_last_n(telegram_api, bot):
    await bot(destinations=[111])
    (answer,) = await ask(telegram_api, "/last 3", 111)
    lines = answer.split("\n")
    assert lines[0] == "Last 3 payments"
    assert [line.rsplit(" ", 1)[1] for line in lines[1:]] == ["0", "1", "2"]
    (answer,) = await ask(telegram_api, "/last", 111)
    assert answer.startswith("Last 5 payments")
    for wrong in ("/last 0", "/last 51", "/last many", "/last 1 2"):
        (answer,) = await ask(telegram_api, wrong, 111)
        assert answer == "Usage: /last N, where N is 1 to 50."


async def test_last_with_no_payments(telegram_api, bot):
    await bot(FakeRuntime([], STATUS), destinations=[111])
    assert await ask(telegram_api, "/last 2", 111) == ["Last 0 payments\nNo payments yet."]


async def test_start_help_and_unknown_commands_answer_with_help(telegram_api, bot):
    await bot(destinations=[111])
    help_text = (await ask(telegram_api, "/help", 111))[0]
    assert "/status" in help_text and "/last N" in help_text
    assert await ask(telegram_api, "/start", 111) == [help_text]
    assert await ask(telegram_api, "/what", 111) == [help_text]
    assert HELP.startswith("<b>payalert</b>")


async def test_group_commands_addressed_to_the_bot(telegram_api, bot):
    await bot(destinations=[-100500])
    (answer,) = await ask(telegram_api, "/status@payalert_test_bot", -100500, user_id=7)
    assert answer.startswith("⚠️ payalert: degraded")


async def test_strangers_get_a_short_refusal_and_nothing_else(telegram_api, bot, caplog):
    await bot(destinations=[111])
    with caplog.at_level(logging.WARNING):
        assert await ask(telegram_api, "/status", 999) == [REFUSAL]
        assert await ask(telegram_api, "/last 50", -100999, user_id=998) == [REFUSAL]
        telegram_api.queue_message("/last 10", chat_id=999)
        await ask(telegram_api, "/help", 111)  # answered after the stranger's second try was handled
    assert [m.text for m in telegram_api.sent(999)] == [REFUSAL]  # one refusal a minute per chat
    assert caplog.text.count("refused") == 3
    assert "refused '/last 10' from user 999 in chat 999" in caplog.text
    for message in telegram_api.sent(999) + telegram_api.sent(-100999):
        assert "INR" not in message.text and "my_bank" not in message.text


async def test_allowed_users_and_chats_replace_the_default(telegram_api, bot):
    await bot(destinations=[111], allowed_chats=[-100777], allowed_users=[55])
    assert (await ask(telegram_api, "/last 1", 333, user_id=55))[0].startswith("Last 1 payments")
    assert (await ask(telegram_api, "/last 1", -100777, user_id=8))[0].startswith("Last 1 payments")
    assert await ask(telegram_api, "/last 1", 111) == [REFUSAL]  # a destination, but not listed


async def test_command_menu_is_set(telegram_api, bot):
    await bot()
    await asyncio.to_thread(telegram_api.wait_for, lambda: telegram_api.commands_menu, 10)
    assert [entry["command"] for entry in telegram_api.commands_menu] == ["status", "last", "help"]


async def test_commands_off_means_no_polling(telegram_api):
    notifier = make_notifier(telegram_api, commands=False)
    await notifier.start()
    await notifier.send(make_payment(), "111")
    await notifier.close()
    assert notifier.commands is None
    assert telegram_api.calls_to("getUpdates") == [] and telegram_api.calls_to("deleteWebhook") == []


async def test_close_stops_polling(telegram_api, bot):
    notifier = await bot()
    await notifier.close()
    polls = len(telegram_api.calls_to("getUpdates"))
    await asyncio.sleep(1.5)
    assert len(telegram_api.calls_to("getUpdates")) == polls


async def test_poller_waits_for_telegram_to_come_back(telegram_api):
    telegram_api.down()
    notifier = make_notifier(telegram_api, commands=True, poll_timeout="1s")
    await notifier.start()  # does not wait for Telegram
    try:
        assert not notifier.commands.polling.is_set()
        telegram_api.up()
        await asyncio.wait_for(notifier.commands.polling.wait(), 20)
        assert await ask(telegram_api, "/last 1", 111) == ["Last 0 payments\nNo payments yet."]
    finally:
        await notifier.close()


async def test_one_shot_commands_never_poll_for_updates(telegram_api):
    notifier = make_notifier(telegram_api, FakeRuntime(in_daemon=False), commands=True, destinations=[111])
    await notifier.start()
    try:
        await notifier.send(make_payment("one-shot"), "111")
    finally:
        await notifier.close()
    assert notifier.commands is None
    assert telegram_api.calls_to("getUpdates") == []
    assert len(telegram_api.sent(111)) == 1
