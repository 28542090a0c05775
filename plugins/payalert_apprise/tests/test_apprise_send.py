"""Sending through Apprise to a real HTTP server on 127.0.0.1: content, lanes and failure mapping."""

from __future__ import annotations

import asyncio
import base64
import logging
from decimal import Decimal

import pytest
from aiohttp import web
from payalert_testing.apprise import SECRET_PATH, payment

from payalert_core import Direction, PermanentFailure, RetryLater, StatusUpdate

TITLE = "+1,250.00 INR  UPI credit"
TEXT_BODY = (
    "Received via Google Pay\n"
    "Source: bank\n"
    "From: Asha Rao\n"
    "Ref: 405912345678\n"
    "When: 2026-01-31 04:30 UTC\n"
    "Account: XX1234\n"
    "Link: https://bank.example/txn/405912345678"
)


async def started(notifier):
    await notifier.start()
    return notifier


async def test_json_url_receives_title_body_and_type(receiver, make_notifier):
    notifier = await started(make_notifier(urls=[receiver.url("json")]))
    [target] = notifier.targets()
    assert target == f"json://127.0.0.1:{receiver.port}"
    await notifier.send(payment(), target)
    [request] = receiver.all()
    assert (request.method, request.path, request.headers["Content-Type"]) == (
        "POST",
        SECRET_PATH,
        "application/json",
    )
    assert request.json() == {
        "version": "1.0",
        "title": TITLE,
        "message": TEXT_BODY,
        "attachments": [],
        "type": "success",
    }
    assert notifier.runtime.health.info["targets"] == [target]


async def test_form_url_with_basic_auth_receives_the_same_alert(receiver, make_notifier):
    notifier = await started(make_notifier(urls=[receiver.url("form", "/alerts", auth="payalert:hunter22@")]))
    [target] = notifier.targets()
    await notifier.send(payment(direction="out", link=None, details={}), target)
    [request] = receiver.all()
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"payalert:hunter22").decode()
    assert request.form() == {
        "version": "1.0",
        "title": "-1,250.00 INR  UPI credit",
        "message": (
            "Received via Google Pay\nSource: bank\nTo: Asha Rao\nRef: 405912345678\nWhen: 2026-01-31 04:30 UTC"
        ),
        "type": "info",
    }


async def test_markdown_and_html_bodies_arrive_as_written(receiver, make_notifier):
    hostile = "<b>Eve</b> **x**"
    for body_format, expected in [
        ("markdown", "**From:** \\<b\\>Eve\\</b\\> \\*\\*x\\*\\*"),
        ("html", "<b>From:</b> &lt;b&gt;Eve&lt;/b&gt; **x**<br/>"),
    ]:
        notifier = await started(
            make_notifier(urls=[receiver.url()], format=body_format, timezone="Asia/Kolkata")
        )
        await notifier.send(payment(counterparty=hostile), notifier.targets()[0])
        message = receiver.all()[-1].json()["message"]
        assert expected in message.splitlines()
        assert "2026-01-31 10:00 IST" in message


async def test_each_url_is_its_own_lane(receiver, make_notifier):
    notifier = await started(make_notifier(urls=[receiver.url("json", "/one"), receiver.url("form", "/two")]))
    first, second = notifier.targets()
    assert (first, second) == (f"json://127.0.0.1:{receiver.port}", f"form://127.0.0.1:{receiver.port}")
    await notifier.send(payment(), second)
    assert [r.path for r in receiver.all()] == ["/two"]
    await notifier.send(payment(), first)
    assert [r.path for r in receiver.all()] == ["/two", "/one"]


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (500, RetryLater, "HTTP 500 Internal Server Error"),
        (503, RetryLater, "HTTP 503 Service Unavailable"),
        (429, RetryLater, "rate limited (HTTP 429 Too Many Requests)"),
        (401, PermanentFailure, "HTTP 401 Unauthorized: check the credentials or token in the URL"),
        (400, PermanentFailure, "HTTP 400 Bad Request: the service refused the message"),
        (404, PermanentFailure, "HTTP 404 Not Found: check the URL's path"),
    ],
)
async def test_http_failures_map_onto_retry_or_permanent(receiver, make_notifier, status, kind, reason):
    notifier = await started(make_notifier(urls=[receiver.url("json")]))
    [target] = notifier.targets()
    receiver.answer(status, headers={"Retry-After": "7"} if status == 429 else None)
    with pytest.raises((RetryLater, PermanentFailure)) as caught:
        await notifier.send(payment(), target)
    assert type(caught.value) is kind
    assert str(caught.value).startswith(f"{target}: {reason}")
    assert "T0K3N" not in str(caught.value)
    if kind is RetryLater:
        assert caught.value.retry_after is None  # Apprise does not pass Retry-After on
    assert len(receiver.all()) == 1  # Apprise itself did not retry: the core's lane does
    await notifier.send(payment(), target)  # the next request is answered 200
    assert len(receiver.accepted()) == 1


async def test_closed_port_is_retried_later(receiver, make_notifier):
    notifier = await started(make_notifier(urls=[receiver.url("form")]))
    receiver.down()
    with pytest.raises(RetryLater) as caught:
        await notifier.send(payment(), notifier.targets()[0])
    assert str(caught.value) == (
        f"form://127.0.0.1:{receiver.port}: cannot reach the service "
        "(A Connection error occurred sending Form notification to [redacted])"
    )


async def test_no_answer_within_the_timeout_is_retried_later(receiver, make_notifier):
    notifier = await started(make_notifier(urls=[receiver.url()], timeout="0.5s"))
    receiver.hold()
    with pytest.raises(RetryLater) as caught:
        await notifier.send(payment(), notifier.targets()[0])
    assert str(caught.value) == f"json://127.0.0.1:{receiver.port}: no answer within 0.5s"
    receiver.release()


async def test_a_send_never_blocks_the_event_loop(make_notifier):
    """The server runs in the test's own loop: a blocking send would starve it until it gave up."""
    arrived, proceed = asyncio.Event(), asyncio.Event()

    async def handle(request: web.Request) -> web.Response:
        arrived.set()
        await asyncio.wait_for(proceed.wait(), 10)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/slow", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        notifier = await started(make_notifier(urls=[f"json://127.0.0.1:{port}/slow"]))
        sending = asyncio.create_task(notifier.send(payment(), notifier.targets()[0]))
        await asyncio.wait_for(arrived.wait(), 10)
        assert not sending.done()
        proceed.set()
        await asyncio.wait_for(sending, 10)  # succeeded: raises nothing
    finally:
        await runner.cleanup()


async def test_secrets_stay_out_of_logs_even_at_debug(receiver, make_notifier, caplog):
    caplog.set_level(logging.DEBUG)
    url = receiver.url("json", auth="payalert:hunter22@") + "?token=T0K3Nquery"
    notifier = await started(make_notifier(urls=[url]))
    receiver.answer(500)
    with pytest.raises(RetryLater):
        await notifier.send(payment(), notifier.targets()[0])
    apprise_lines = [r.getMessage() for r in caplog.records if r.name == "apprise"]
    assert any("error=500" in line for line in apprise_lines)  # Apprise's own lines were shown...
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("T0K3N", "hunter22", url):  # ...with every secret part scrubbed
        assert secret not in everything


async def test_a_url_reaching_several_recipients_is_warned_about(make_notifier, caplog):
    notifier = make_notifier(
        urls=["mailtos://alerts:hunter22@mail.example.com?to=a@example.com,b@example.com"]
    )
    with caplog.at_level(logging.WARNING, logger="payalert.notifier.ap"):
        await notifier.start()  # no connection is made before the first send
    assert notifier.targets() == ["mailtos://mail.example.com"]
    [record] = caplog.records
    assert record.getMessage().startswith("mailtos://mail.example.com sends to 2 recipients in one call")
    assert "hunter22" not in record.getMessage()


async def test_a_status_change_goes_as_a_short_follow_up_naming_the_first_alert(receiver, make_notifier):
    notifier = await started(make_notifier(urls=[receiver.url("json")]))
    [target] = notifier.targets()
    pending = payment(
        kind="binance.deposit.pending",
        external_id="deposit-pending:7",
        amount=None,
        currency=None,
        direction="none",
        title="Deposit pending: 0.001 BNB (not yet received)",
        details={"Amount": "0.001 BNB (not yet received)"},
        identity="deposit:7",
        status="pending",
    )
    credited = pending.replace(
        kind="binance.deposit.credited",
        external_id="deposit:7",
        amount=Decimal("0.001"),
        currency="BNB",
        direction=Direction.IN,
        title="Deposit credited: 0.001 BNB",
        status="credited",
    )
    await notifier.send_update(StatusUpdate(credited, pending), target)
    [request] = receiver.all()
    assert request.json()["title"].startswith("✔ credited: +0.001 BNB deposit from 04:30")
    assert "Deposit credited: 0.001 BNB" in request.json()["message"]
