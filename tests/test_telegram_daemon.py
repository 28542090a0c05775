"""The telegram notifier inside a real ``payalert run``, against the local Bot API server."""

import itertools
import json

import pytest
from payalert_testing.telegram_api import TOKEN, Fault, FloodLimits

HOSTILE = '<script>alert("x")</script> & <b>co</b> 💸 שלום'
FAST_RETRY = {"delivery": {"retry_initial": "0.2s", "retry_max": "1s"}}


def feed_line(external_id, **fields):
    return json.dumps({"id": external_id, "amount": "250.00", "currency": "INR", **fields}) + "\n"


class Setup:
    """A daemon with a feed-stream source and a telegram notifier; append lines to alert."""

    def __init__(self, factory, api, tmp_path, **telegram):
        self.api = api
        self.feed = tmp_path / "feed.jsonl"
        self.feed.touch()
        self.telegram = {
            "type": "telegram",
            "token": TOKEN,
            "destinations": [111],
            "base_url": api.url,
            "poll_timeout": "1s",
            **telegram,
        }
        self.daemon = factory.start(
            sources={"feed": {"type": "feed-stream", "path": str(self.feed)}},
            notifiers={"tg": self.telegram},
            settings={**FAST_RETRY, "log_level": "DEBUG"},
        )

    def pay(self, *external_ids, **fields):
        with self.feed.open("a", encoding="utf-8") as file:
            for external_id in external_ids:
                file.write(feed_line(external_id, title=f"Payment {external_id}", **fields))

    def health(self):
        return self.daemon.health().json()


@pytest.fixture
def setup(payalert_daemon, telegram_api, tmp_path):
    return lambda **telegram: Setup(payalert_daemon, telegram_api, tmp_path, **telegram)


def titles(messages):
    return [message.text.split("\n")[1] for message in messages]


def test_alerts_reach_every_chat_escaped_and_in_order(setup, telegram_api):
    run = setup(destinations=[111, {"chat_id": -100222, "message_thread_id": 5}])
    run.pay("a", counterparty=HOSTILE)
    run.pay("b", "c")
    for chat in (111, -100222):
        messages = telegram_api.wait_for_messages(3, chat, timeout=20)
        assert titles(messages) == ["Payment a", "Payment b", "Payment c"]
        assert f"From: {HOSTILE}" in messages[0].text
        assert messages[0].html.startswith("🟢 <b>+250.00 INR</b>")
    assert {m.message_thread_id for m in telegram_api.sent(-100222)} == {5}
    assert telegram_api.count_status(429) == 0


def test_pacing_one_chat_never_provokes_429(setup, telegram_api):
    run = setup()
    run.pay(*[f"p{index}" for index in range(4)])
    messages = telegram_api.wait_for_messages(4, 111, timeout=30)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(messages)]
    assert all(gap >= 1.0 - FloodLimits().tolerance for gap in gaps)
    assert telegram_api.count_status(429) == 0


def test_outage_loses_nothing_and_keeps_order(setup, telegram_api):
    run = setup()
    run.pay("before")
    telegram_api.wait_for_messages(1, 111, timeout=20)
    telegram_api.down()
    run.pay(*[f"during{index}" for index in range(4)])
    run.daemon.wait_for(lambda: "not reachable" in (run.health()["notifiers"]["tg"]["last_error"] or ""), 20)
    assert run.health()["deliveries"]["pending"] >= 1
    telegram_api.up()
    run.pay("after")
    messages = telegram_api.wait_for_messages(6, 111, timeout=40)
    assert titles(messages) == ["Payment before", *[f"Payment during{i}" for i in range(4)], "Payment after"]
    run.daemon.wait_for(lambda: run.health()["deliveries"]["pending"] == 0, timeout=10)


def test_retry_after_is_honoured_by_every_chat(setup, telegram_api):
    telegram_api.fail("sendMessage", Fault.retry_after(3))
    run = setup(destinations=[111, 222])
    run.pay("x")
    telegram_api.wait_for_messages(2, timeout=30)
    calls = telegram_api.calls_to("sendMessage")
    first_429 = next(call for call in calls if call.status == 429)
    accepted = [call for call in calls if call.status == 200]
    assert len(accepted) == 2 and all(call.at - first_429.at >= 3 for call in accepted)
    # At most the other chat's request, already on its way when the 429 came, was refused too.
    assert telegram_api.count_status(429) <= 2
    assert "Telegram asked to wait 3.0s (429)" in run.daemon.output()


def test_chat_migration_is_followed_saved_and_shown(setup, telegram_api):
    telegram_api.migrated[-5] = -1005
    run = setup(destinations=[-5])
    run.pay("a")
    telegram_api.wait_for_messages(1, -1005, timeout=20)
    assert run.health()["notifiers"]["tg"]["migrated_chats"] == {"-5": -1005}
    assert "chat -5 was upgraded to supergroup -1005" in run.daemon.output()
    run.daemon.restart()
    run.pay("b")
    telegram_api.wait_for_messages(2, -1005, timeout=20)
    assert [c.params["chat_id"] for c in telegram_api.calls_to("sendMessage")] == [-5, -1005, -1005]


def test_blocked_chat_fails_permanently_and_retry_failed_sends_it(setup, telegram_api):
    telegram_api.blocked.add(111)
    run = setup(destinations=[111, 222])
    run.pay("a", "b")
    telegram_api.wait_for_messages(2, 222, timeout=20)
    run.daemon.wait_for(lambda: run.health()["deliveries"]["failed"] == 2, timeout=20)
    assert "bot was blocked by the user" in run.health()["notifiers"]["tg"]["last_error"]
    assert "retry-failed" in run.daemon.output()
    telegram_api.blocked.clear()
    assert run.daemon.cli("retry-failed").returncode == 0
    assert titles(telegram_api.wait_for_messages(2, 111, timeout=20)) == ["Payment a", "Payment b"]


def test_commands_answer_configured_chats_only(setup, telegram_api):
    run = setup(destinations=[111])
    run.pay("a", "b")
    telegram_api.wait_for_messages(2, 111, timeout=20)
    telegram_api.wait_for(lambda: telegram_api.commands_menu, timeout=20)
    telegram_api.queue_message("/status", chat_id=111)
    status = telegram_api.wait_for_messages(3, 111, timeout=20)[-1].text
    assert "payalert: ok" in status and "feed" in status and "Deliveries: 0 pending, 0 failed" in status
    assert "+250.00 INR · feed — Payment b" in status
    telegram_api.queue_message("/last 1", chat_id=111)
    assert telegram_api.wait_for_messages(4, 111, timeout=20)[-1].text.endswith("Payment b")
    telegram_api.queue_message("/status", chat_id=666)
    (refusal,) = telegram_api.wait_for_messages(1, 666, timeout=20)
    assert "INR" not in refusal.text
    assert "refused '/status' from user 666 in chat 666" in run.daemon.output()


def test_test_notify_and_secrets(setup, telegram_api):
    run = setup(destinations=[111, "@alerts_channel"])
    run.daemon.stop()
    answer = run.daemon.cli("test-notify")
    assert answer.returncode == 0, answer.stderr
    assert "tg -> 111: sent" in answer.stdout and "tg -> @alerts_channel: sent" in answer.stdout
    for chat in (111, "@alerts_channel"):
        assert "Test alert" in telegram_api.sent(chat)[0].text
    assert TOKEN not in run.daemon.output() + answer.stdout + answer.stderr


def test_a_wrong_token_stops_the_start_with_one_clear_line(payalert_daemon, telegram_api):
    notifier = {"type": "telegram", "token": "42:wrong", "destinations": [1], "base_url": telegram_api.url}
    with pytest.raises(RuntimeError) as caught:
        payalert_daemon.start(notifiers={"tg": notifier})
    assert "notifiers.tg: Telegram rejected the bot token" in str(caught.value)
    assert "42:wrong" not in str(caught.value)
