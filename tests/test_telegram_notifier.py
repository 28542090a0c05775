"""The telegram notifier with the real python-telegram-bot Bot against the local Bot API server."""

import asyncio
import itertools
import logging
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from payalert_testing import RecordingHealth
from payalert_testing.telegram_api import TOKEN, Fault, FloodLimits, TelegramAPI

from payalert_core import Direction, Payment, PermanentFailure, RetryLater, StartupError
from payalert_core.notifiers.telegram import TelegramNotifier
from payalert_core.notifiers.telegram_config import TelegramConfig

# python-telegram-bot 22 warns about its own deprecated int retry_after whenever a 429 arrives.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

HOSTILE = '<script>alert("x")</script> & co 💸 שלום'


class FakeRuntime:
    """Stands in for the core's NotifierRuntime."""

    def __init__(self, payments=(), document=None, in_daemon=True):
        self.in_daemon = in_daemon
        self.health = RecordingHealth()
        self.state = {}
        self.payments = list(payments)
        self.document = document or {"status": "ok", "sources": {}, "notifiers": {}, "deliveries": {}}

    async def load_state(self, key):
        return self.state.get(key)

    async def save_state(self, key, value):
        self.state[key] = value

    async def status(self):
        return self.document

    async def recent_payments(self, limit):
        return self.payments[:limit]

    async def run_exclusively(self, job, work):
        await work()


def make_payment(external_id="p1", **changes):
    base = dict(
        source="my_bank",
        kind="bank.upi.credit",
        external_id=external_id,
        amount=Decimal("1234.50"),
        currency="INR",
        direction=Direction.IN,
        occurred_at=datetime(2025, 3, 5, 8, 33, tzinfo=UTC),
        title=f"Payment {external_id}",
        counterparty="Ramesh",
    )
    base.update(changes)
    return Payment(**base)


def make_notifier(api, runtime=None, **options):
    settings = {"token": TOKEN, "destinations": [111], "base_url": api.url, "commands": False, **options}
    config = TelegramConfig(type="telegram", **settings)
    return TelegramNotifier.create("tg", config, runtime or FakeRuntime())


@pytest.fixture
async def started(telegram_api):
    notifiers = []

    async def start(runtime=None, **options):
        notifier = make_notifier(telegram_api, runtime, **options)
        await notifier.start()
        notifiers.append(notifier)
        return notifier

    yield start
    for notifier in notifiers:
        await notifier.close()


async def test_one_html_message_per_payment_with_hostile_values_shown_as_typed(telegram_api, started):
    notifier = await started(destinations=[111, -100222], timezone="Asia/Kolkata")
    assert list(notifier.targets()) == ["111", "-100222"]
    payment = make_payment(title=HOSTILE, counterparty=HOSTILE, reference="R&D <1>")
    for target in notifier.targets():
        await notifier.send(payment, target)
    first, second = telegram_api.sent()
    assert (first.chat_id, second.chat_id) == (111, -100222)
    assert first.html.startswith("🟢 <b>+1,234.50 INR</b>\n")
    assert first.text.count(HOSTILE) == 2 and "Ref: R&D <1>" in first.text
    assert "Time: Wed 5 Mar 2025, 14:03 IST" in first.text
    (call,) = [c for c in telegram_api.calls_to("sendMessage") if c.params["chat_id"] == 111]
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}


async def test_topics_channels_and_silent_delivery(telegram_api, started):
    notifier = await started(
        destinations=[
            {"chat_id": -1005, "message_thread_id": 7},
            "@pay_channel",
            {"chat_id": 9, "silent": True},
        ],
        silent_kinds=["github.sponsorship"],
    )
    await notifier.send(make_payment("a"), "-1005/7")
    await notifier.send(make_payment("b", kind="github.sponsorship.created"), "@pay_channel")
    await notifier.send(make_payment("c"), "9")
    topic, channel, private = telegram_api.sent()
    assert (topic.chat_id, topic.message_thread_id, topic.disable_notification) == (-1005, 7, False)
    assert (channel.chat_id, channel.disable_notification) == ("@pay_channel", True)
    assert (private.chat_id, private.disable_notification) == (9, True)


async def test_silent_sources(telegram_api, started):
    notifier = await started(silent_sources=["github"])
    await notifier.send(make_payment("a", source="github"), "111")
    await notifier.send(make_payment("b", source="my_bank"), "111")
    assert [m.disable_notification for m in telegram_api.sent()] == [True, False]


async def test_a_very_long_alert_arrives_as_several_messages_in_order(telegram_api, started):
    notifier = await started(rate_limits={"chat_interval": "0.1s"})
    telegram_api.limits = FloodLimits(chat_interval=0.1)
    details = {f"field {index:02}": "<&>" * 85 for index in range(32)}  # as many as a payment holds
    await notifier.send(make_payment(details=details), "111")
    messages = telegram_api.sent(111)
    assert len(messages) == 3  # 8,160 visible characters (each "&lt;&amp;&gt;" shows as 3)
    text = "\n".join(m.text for m in messages)
    assert all(f"field {index:02}: {'<&>' * 85}" in text for index in range(32))
    assert [text.index(f"field {index:02}") for index in range(32)] == sorted(
        text.index(f"field {index:02}") for index in range(32)
    )


async def test_a_retried_long_alert_does_not_resend_parts_already_delivered(telegram_api, started):
    notifier = await started(rate_limits={"chat_interval": "0.1s"})
    telegram_api.limits = FloodLimits(chat_interval=0.1)
    payment = make_payment(details={f"f{index:02}": "x" * 256 for index in range(32)})
    telegram_api.fail("sendMessage", Fault.server_error(502), skip=1)  # part 1 goes, part 2 fails
    with pytest.raises(RetryLater):
        await notifier.send(payment, "111")
    assert len(telegram_api.sent()) == 1
    await notifier.send(payment, "111")
    messages = telegram_api.sent()
    assert len(messages) == 3 and len({m.text for m in messages}) == 3


async def test_after_a_permanent_failure_of_a_later_part_retry_failed_sends_only_the_rest(
    telegram_api, started
):
    notifier = await started(rate_limits={"chat_interval": "0.1s"})
    telegram_api.limits = FloodLimits(chat_interval=0.1)
    payment = make_payment(details={f"f{index:02}": "x" * 256 for index in range(32)})
    telegram_api.fail("sendMessage", Fault.forbidden(), skip=1)
    with pytest.raises(PermanentFailure):
        await notifier.send(payment, "111")
    await notifier.send(payment, "111")  # what `payalert retry-failed` leads to
    assert len(telegram_api.sent()) == 3 and len({m.text for m in telegram_api.sent()}) == 3


async def test_pacing_keeps_every_limit_so_the_server_never_answers_429(started):
    limits = FloodLimits(
        chat_interval=0.2, group_messages=3, group_period=1.0, overall_messages=4, overall_period=0.5
    )
    with TelegramAPI(limits=limits) as api:
        notifier = make_notifier(
            api,
            destinations=[-1, -2, 3, 4],
            rate_limits={
                "chat_interval": "0.2s",
                "group_messages": 3,
                "group_period": "1s",
                "overall_messages": 4,
                "overall_period": "0.5s",
            },
        )
        await notifier.start()
        try:

            async def lane(target):
                for index in range(5):
                    await notifier.send(make_payment(f"{target}-{index}"), target)

            await asyncio.gather(*(lane(target) for target in notifier.targets()))
        finally:
            await notifier.close()
        assert api.count_status(429) == 0
        assert len(api.sent()) == 20
        for chat in (-1, -2, 3, 4):
            times = [m.at for m in api.sent(chat)]
            assert [m.text.split("\n")[1] for m in api.sent(chat)] == [
                f"Payment {chat}-{i}" for i in range(5)
            ]
            assert all(
                later - earlier >= 0.2 - limits.tolerance for earlier, later in itertools.pairwise(times)
            )
            if chat < 0:  # at most 3 per second in a group
                assert all(times[i + 3] - times[i] >= 1.0 - limits.tolerance for i in range(len(times) - 3))


async def test_429_pauses_every_chat_and_is_handed_to_the_core(telegram_api, started):
    notifier = await started(destinations=[111, 222])
    telegram_api.fail("sendMessage", Fault.retry_after(3))
    with pytest.raises(RetryLater) as caught:
        await notifier.send(make_payment("a"), "111")
    got_429 = time.monotonic()
    assert caught.value.retry_after == 3
    with pytest.raises(RetryLater) as held:
        await notifier.send(make_payment("b"), "222")  # another chat: held without asking Telegram
    assert 1 < held.value.retry_after <= 3
    assert len(telegram_api.calls_to("sendMessage")) == 1
    await asyncio.sleep(max(0.0, got_429 + 3 - time.monotonic()))
    await notifier.send(make_payment("b"), "222")
    await notifier.send(make_payment("a"), "111")
    calls = telegram_api.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 200, 200]
    assert calls[1].at - calls[0].at >= 3  # nothing reached Telegram before retry_after elapsed
    assert telegram_api.early_calls == 0
    assert any("rate limited" in failure for failure in notifier.runtime.health.failures)


async def test_a_migrated_group_is_followed_and_remembered(telegram_api, started, caplog):
    runtime = FakeRuntime()
    fast = {"destinations": [-5], "rate_limits": {"chat_interval": "0.1s"}}
    telegram_api.limits = FloodLimits(chat_interval=0.1)
    notifier = await started(runtime, **fast)
    telegram_api.migrated[-5] = -1005
    with caplog.at_level(logging.WARNING):
        await notifier.send(make_payment("a"), "-5")
    assert [m.chat_id for m in telegram_api.sent()] == [-1005]
    assert runtime.state["chat_migrations"] == {"-5": -1005}
    assert runtime.health.info["migrated_chats"] == {"-5": -1005}
    assert "chat -5 was upgraded to supergroup -1005" in caplog.text
    await notifier.send(make_payment("b"), "-5")
    assert [c.params["chat_id"] for c in telegram_api.calls_to("sendMessage")] == [-5, -1005, -1005]
    assert notifier.is_allowed(-1005, None, None)  # commands from the new chat id are answered

    restarted = await started(runtime, **fast)  # a restart keeps the new id
    await asyncio.sleep(0.1)  # the new process does not know when the last message went out
    await restarted.send(make_payment("c"), "-5")
    assert telegram_api.calls_to("sendMessage")[-1].params["chat_id"] == -1005


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.forbidden(), "bot was blocked by the user"),
        (Fault.forbidden("Forbidden: bot was kicked from the supergroup chat"), "kicked"),
        (Fault.bad_request("Bad Request: chat not found"), "chat not found"),
        (Fault.bad_request("Bad Request: can't parse entities: Unsupported start tag"), "parse entities"),
    ],
)
async def test_forbidden_and_bad_request_are_permanent_and_loud(telegram_api, started, caplog, fault, reason):
    notifier = await started()
    telegram_api.fail("sendMessage", fault)
    with caplog.at_level(logging.ERROR), pytest.raises(PermanentFailure, match=f"(?i){reason}"):
        await notifier.send(make_payment(), "111")
    assert reason in caplog.text.lower() and "retry-failed" in caplog.text
    assert reason in notifier.runtime.health.failures[-1].lower()
    await notifier.send(make_payment(), "111")  # `retry-failed` later: the same alert goes out
    assert len(telegram_api.sent()) == 1


@pytest.mark.parametrize("fault", [Fault.server_error(502), Fault.server_error(500), Fault.timeout(10)])
async def test_timeouts_and_server_errors_are_temporary(telegram_api, started, fault):
    notifier = await started(timeout="0.5s")
    telegram_api.fail("sendMessage", fault)
    with pytest.raises(RetryLater):
        await notifier.send(make_payment(), "111")
    await notifier.send(make_payment(), "111")
    assert len(telegram_api.sent()) == 1


async def test_the_duplicate_window_accepted_but_answer_lost(telegram_api, started):
    notifier = await started(timeout="0.5s", rate_limits={"chat_interval": "0.1s"})
    telegram_api.limits = FloodLimits(chat_interval=0.1)
    telegram_api.fail("sendMessage", Fault.timeout(10, accepted=True))
    with pytest.raises(RetryLater, match="may already be there"):
        await notifier.send(make_payment(), "111")
    await notifier.send(make_payment(), "111")
    assert len(telegram_api.sent()) == 2  # documented: a lost answer means one duplicate


async def test_server_down_then_up(telegram_api, started):
    notifier = await started()
    telegram_api.down()
    with pytest.raises(RetryLater, match="not reachable"):
        await notifier.send(make_payment(), "111")
    telegram_api.up()
    await notifier.send(make_payment(), "111")
    assert len(telegram_api.sent()) == 1


async def test_unreachable_at_start_does_not_stop_the_daemon(telegram_api, started):
    telegram_api.down()
    notifier = await started()
    assert "not reachable" in notifier.runtime.health.failures[0]
    telegram_api.up()
    await notifier.send(make_payment(), "111")
    assert len(telegram_api.sent()) == 1


async def test_a_rejected_token_refuses_to_start_without_showing_it(telegram_api):
    api = TelegramAPI(token="987654321:other-token").start()
    try:
        notifier = make_notifier(api)
        with pytest.raises(StartupError, match="rejected the bot token") as caught:
            await notifier.start()
        assert TOKEN not in str(caught.value)
    finally:
        api.stop()


async def test_a_token_revoked_later_fails_permanently(telegram_api, started):
    notifier = await started()
    telegram_api.token = "987654321:new-token"
    with pytest.raises(PermanentFailure, match="rejected the bot token"):
        await notifier.send(make_payment(), "111")


async def test_the_token_never_reaches_the_logs(telegram_api, started, caplog):
    with caplog.at_level(logging.DEBUG):
        notifier = await started(commands=True, poll_timeout="0.2s")
        telegram_api.fail("sendMessage", Fault.server_error(502))
        with pytest.raises(RetryLater):
            await notifier.send(make_payment(), "111")
        await notifier.send(make_payment(), "111")
        await notifier.close()
    assert "/bot<token>/sendMessage" in caplog.text  # httpx logged the URL, redacted
    assert TOKEN not in caplog.text


async def test_outage_loses_nothing_and_keeps_order(telegram_api, started):
    """A lane like the core's: retry the head until it is sent, then move on."""
    notifier = await started(rate_limits={"chat_interval": "0.05s"})
    telegram_api.limits = FloodLimits(chat_interval=0.05)
    payments = [make_payment(f"p{index}") for index in range(8)]
    outage = asyncio.get_running_loop().call_later(0.1, telegram_api.down)
    recovery = asyncio.get_running_loop().call_later(1.0, telegram_api.up)
    failures = 0
    for payment in payments:
        for _ in range(100):
            try:
                await notifier.send(payment, "111")
                break
            except RetryLater:
                failures += 1
                await asyncio.sleep(0.1)
    outage.cancel()
    recovery.cancel()
    assert failures > 0  # the outage really happened
    assert [m.text.split("\n")[1] for m in telegram_api.sent()] == [f"Payment p{index}" for index in range(8)]
