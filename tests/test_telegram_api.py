"""The local Bot API server used by the Telegram tests: it must behave like Telegram where we rely on it."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from payalert_testing.telegram_api import TOKEN, Fault, FloodLimits, TelegramAPI, parse_html


def call(api, method, token=TOKEN, wait=10, **params):
    """POST form-encoded parameters, as python-telegram-bot does; return (status, body)."""
    data = urllib.parse.urlencode(
        {k: json.dumps(v) if isinstance(v, (dict, list, bool)) else v for k, v in params.items()}
    ).encode()
    request = urllib.request.Request(f"{api.url}/bot{token}/{method}", data=data)
    try:
        with urllib.request.urlopen(request, timeout=wait) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_wrong_token_is_401_and_right_token_gets_me(telegram_api):
    assert call(telegram_api, "getMe", token="1:wrong") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    status, body = call(telegram_api, "getMe")
    assert status == 200 and body["result"]["is_bot"] is True
    assert [c.status for c in telegram_api.calls_to("getMe")] == [401, 200]


def test_send_message_records_the_parsed_text_and_options(telegram_api):
    status, body = call(
        telegram_api,
        "sendMessage",
        chat_id=-1001,
        text="<b>1 &amp; 2</b>",
        parse_mode="HTML",
        message_thread_id=9,
        disable_notification=True,
    )
    assert status == 200 and body["result"]["text"] == "1 & 2"
    assert body["result"]["chat"]["type"] == "supergroup" and body["result"]["is_topic_message"]
    (sent,) = telegram_api.sent(-1001)
    assert (sent.text, sent.html, sent.message_thread_id, sent.disable_notification) == (
        "1 & 2",
        "<b>1 &amp; 2</b>",
        9,
        True,
    )


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>open", "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""),
        (
            "<blink>x</blink>",
            'Bad Request: can\'t parse entities: Unsupported start tag "blink" at byte offset 0',
        ),
        ("<b>x</i>", "Bad Request: can't parse entities: Unmatched end tag at byte offset 4"),
        ("x" * 4097, "Bad Request: message is too long"),
        ("<b> </b>", "Bad Request: message text is empty"),
    ],
)
def test_markup_and_length_errors_are_telegrams_400s(telegram_api, text, description):
    status, body = call(telegram_api, "sendMessage", chat_id=1, text=text, parse_mode="HTML")
    assert status == 400 and body["description"].startswith(description)
    assert telegram_api.sent() == []


def test_length_is_counted_after_parsing_in_utf16_units(telegram_api):
    assert call(telegram_api, "sendMessage", chat_id=1, text="&amp;" * 4096, parse_mode="HTML")[0] == 200
    assert call(telegram_api, "sendMessage", chat_id=2, text="💸" * 2049)[1]["description"] == (
        "Bad Request: message is too long"
    )


def test_parse_html_decodes_entities():
    assert parse_html("&lt;a&gt; &quot;&#39;&#x41; AT&T") == "<a> \"'A AT&T"


def test_flood_limits_are_enforced_with_429_and_retry_after(telegram_api):
    assert call(telegram_api, "sendMessage", chat_id=5, text="one")[0] == 200
    status, body = call(telegram_api, "sendMessage", chat_id=5, text="two")
    assert status == 429 and body["parameters"]["retry_after"] >= 1
    assert body["description"].startswith("Too Many Requests: retry after")
    time.sleep(0.1)  # not a request that was already on its way
    status, _ = call(telegram_api, "sendMessage", chat_id=6, text="other chat, during the ban")
    assert status == 429 and telegram_api.early_calls == 1
    assert telegram_api.count_status(429) == 2


def test_group_and_overall_windows():
    limits = FloodLimits(chat_interval=0, group_messages=2, group_period=30, overall_messages=4, tolerance=0)
    with TelegramAPI(limits=limits) as api:
        assert [call(api, "sendMessage", chat_id=-7, text="g")[0] for _ in range(3)] == [200, 200, 429]
    with TelegramAPI(limits=limits) as api:
        statuses = [call(api, "sendMessage", chat_id=chat, text="u")[0] for chat in range(1, 6)]
        assert statuses == [200, 200, 200, 200, 429]


def test_faults_answer_as_told_then_stop(telegram_api):
    telegram_api.fail("sendMessage", Fault.server_error(502))
    telegram_api.fail("sendMessage", Fault.forbidden(), chat_id=2)
    telegram_api.fail("sendMessage", Fault.migrate(-100999), chat_id=3)
    assert call(telegram_api, "sendMessage", chat_id=1, text="a")[0] == 502
    status, body = call(telegram_api, "sendMessage", chat_id=2, text="a")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    status, body = call(telegram_api, "sendMessage", chat_id=3, text="a")
    assert status == 400 and body["parameters"] == {"migrate_to_chat_id": -100999}
    assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert call(telegram_api, "sendMessage", chat_id=4, text="a")[0] == 200


def test_retry_after_fault_bans_the_bot(telegram_api):
    telegram_api.fail("sendMessage", Fault.retry_after(3))
    status, body = call(telegram_api, "sendMessage", chat_id=1, text="a")
    assert status == 429 and body["parameters"]["retry_after"] == 3
    assert call(telegram_api, "sendMessage", chat_id=2, text="b")[0] == 429  # in flight: not counted
    assert telegram_api.early_calls == 0
    time.sleep(0.1)
    assert call(telegram_api, "sendMessage", chat_id=2, text="b")[0] == 429
    assert telegram_api.early_calls == 1


def test_timeout_fault_holds_the_answer_and_can_accept_first(telegram_api):
    telegram_api.fail("sendMessage", Fault.timeout(30, accepted=True))
    with pytest.raises(TimeoutError):
        call(telegram_api, "sendMessage", chat_id=1, text="lost answer", wait=0.5)
    assert [m.text for m in telegram_api.sent()] == ["lost answer"]  # the duplicate window


def test_persistent_chat_states(telegram_api):
    telegram_api.blocked.add(1)
    telegram_api.missing.add(2)
    telegram_api.migrated[-3] = -1003
    assert call(telegram_api, "sendMessage", chat_id=1, text="a")[0] == 403
    assert (
        call(telegram_api, "sendMessage", chat_id=2, text="a")[1]["description"]
        == "Bad Request: chat not found"
    )
    assert (
        call(telegram_api, "sendMessage", chat_id=-3, text="a")[1]["parameters"]["migrate_to_chat_id"]
        == -1003
    )


def test_edit_message_text(telegram_api):
    _, body = call(telegram_api, "sendMessage", chat_id=1, text="before")
    message_id = body["result"]["message_id"]
    status, body = call(
        telegram_api,
        "editMessageText",
        chat_id=1,
        message_id=message_id,
        text="<i>after</i>",
        parse_mode="HTML",
    )
    assert status == 200 and body["result"]["text"] == "after"
    assert telegram_api.sent(1)[0].text == "after"
    assert call(telegram_api, "editMessageText", chat_id=1, message_id=999, text="x")[0] == 400


def test_get_updates_long_polls_until_a_message_is_queued(telegram_api):
    results = []
    worker = threading.Thread(
        target=lambda: results.append(call(telegram_api, "getUpdates", wait=20, timeout=10))
    )
    worker.start()
    time.sleep(0.3)
    update_id = telegram_api.queue_message("/status", chat_id=42)
    worker.join(15)
    ((_status, body),) = results
    (update,) = body["result"]
    assert update["update_id"] == update_id
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    _, body = call(telegram_api, "getUpdates", offset=update_id + 1)
    assert body["result"] == []  # confirmed by the offset


def test_down_then_up_on_the_same_port(telegram_api):
    port = telegram_api.port
    telegram_api.down()
    with pytest.raises(urllib.error.URLError):
        call(telegram_api, "getMe", wait=2)
    telegram_api.up()
    assert telegram_api.port == port and call(telegram_api, "getMe")[0] == 200


def test_setup_calls_answer(telegram_api):
    assert call(telegram_api, "deleteWebhook")[1]["result"] is True
    assert call(telegram_api, "setMyCommands", commands=[{"command": "status", "description": "x"}])[0] == 200
    assert telegram_api.commands_menu == [{"command": "status", "description": "x"}]
    assert call(telegram_api, "noSuchMethod")[0] == 404


def test_a_message_past_the_edit_window_cannot_be_edited_and_replies_are_recorded(telegram_api):
    telegram_api.limits = None  # two messages to one chat within a second
    _, body = call(telegram_api, "sendMessage", chat_id=1, text="first")
    message_id = body["result"]["message_id"]
    assert call(telegram_api, "editMessageText", chat_id=1, message_id=message_id, text="first")[1][
        "description"
    ].startswith("Bad Request: message is not modified")
    telegram_api.edit_window = 0.0
    status, body = call(telegram_api, "editMessageText", chat_id=1, message_id=message_id, text="late")
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")
    reply = json.dumps({"message_id": message_id})
    assert call(telegram_api, "sendMessage", chat_id=1, text="update", reply_parameters=reply)[0] == 200
    first, update = telegram_api.sent(1)
    assert (first.text, first.edits, update.reply_to) == ("first", 0, message_id)
