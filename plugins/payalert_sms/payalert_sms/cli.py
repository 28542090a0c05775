"""``payalert sms explain`` and ``payalert sms send-test``."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import click
from payalert_banktext import make_chain, payment_match

from payalert_core import CliContext, UserError, config_option

from .config import SmsSourceConfig
from .gateway import SIGNATURE_HEADER, SMS_RECEIVED, TIMESTAMP_HEADER, ForwardedSms, gateway_signature
from .verdict import SmsSettings, classify_sms

#: The sample ``send-test`` sends: a UPI credit in the wording banks use, to a made-up account.
SAMPLE_SENDER = "VM-HDFCBK"
SAMPLE_TEXT = (
    "Rs.1.00 credited to HDFC Bank A/c XX{account} on {date} from VPA payalert.test@upi "
    "(UPI {ref}). Not you? Call the number on your card. -payalert send-test"
)


@click.group("sms")
def sms_commands() -> None:
    """Bank and UPI alert SMS forwarded from your phone (payalert-sms)."""


def _settings(source_name: str | None) -> tuple[SmsSourceConfig | None, SmsSettings]:
    """The named sms source's rules and settings; without ``--source``, the only one if the config has one."""
    state = click.get_current_context().find_object(CliContext)
    if state is None or (source_name is None and not Path(state.config_path).exists()):
        return None, SmsSettings()
    try:
        _, config = state.source_section(SmsSourceConfig, "sms", source_name)
    except UserError:
        if source_name is not None:
            raise
        return None, SmsSettings()
    return config, SmsSettings.from_config(config)


@sms_commands.command("explain")
@click.option("--text", "text", required=True, help="The SMS text, or - to read it from stdin.")
@click.option("--from", "sender", required=True, help="The sender as the phone shows it, e.g. VM-HDFCBK.")
@click.option("--received-at", default=None, help="When it arrived (ISO-8601 with offset; default now).")
@click.option(
    "--source", "source_name", default=None, help="Use this sms source's rules, accounts and notices."
)
@config_option
def explain(text: str, sender: str, received_at: str | None, source_name: str | None) -> None:
    """Print what payalert makes of one SMS as JSON: trusted sender or not, the payment, or why none.

    With a configured sms source, ``told_before`` lists the stored tellings of the same payment
    (the first alerted; this SMS would be a repeat of it).
    """
    config, settings = _settings(source_name)
    state = click.get_current_context().find_object(CliContext)
    body = sys.stdin.read() if text == "-" else text
    try:
        when = datetime.fromisoformat(received_at) if received_at else datetime.now(UTC)
    except ValueError:
        raise click.BadParameter("write an ISO-8601 time such as 2026-06-22T15:46:11+05:30") from None
    if when.tzinfo is None:
        raise click.BadParameter(
            "needs a UTC offset, e.g. 2026-06-22T15:46:11+05:30", param_hint="--received-at"
        )
    manager = state.plugins.manager if state is not None else None
    chain = make_chain(config.rules if config else (), manager)
    verdict = classify_sms(ForwardedSms(sender.strip(), body.strip(), when), chain, settings)
    document: dict[str, Any] = verdict.to_json()
    match = (
        payment_match(verdict.alert, when, settings.repeat_window, verdict.issuer)
        if verdict.outcome == "payment" and verdict.alert
        else None
    )
    document["same_payment_as"] = (
        None
        if match is None
        else {
            "issuer": match.issuer,
            "reference": match.reference,
            "fingerprint": match.fingerprint,
            "window_seconds": match.window.total_seconds(),
        }
    )
    document["told_before"] = (
        [
            {
                "source": t.source,
                "external_id": t.external_id,
                "alerted": not t.is_repeat,
                "told_at": t.told_at.isoformat(),
            }
            for t in state.stored_tellings(match)
        ]
        if match is not None and config is not None and state is not None
        else None
    )
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def gateway_request(
    key: str, sender: str, text: str, received_at: datetime, now: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of an ``sms:received`` webhook exactly as SMS Gateway for Android sends them."""
    body = json.dumps(
        {
            "deviceId": "payalert-send-test",
            "event": SMS_RECEIVED,
            "id": uuid.uuid4().hex[:21],
            "payload": {
                "messageId": uuid.uuid4().hex[:16],
                "message": text,
                "phoneNumber": sender,
                "simNumber": 1,
                "receivedAt": received_at.isoformat(timespec="milliseconds"),
            },
            "webhookId": "payalert-send-test",
        }
    ).encode("utf-8")
    timestamp = str(int(time.time() if now is None else now))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: gateway_signature(key, body, timestamp),
    }
    return body, headers


async def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status, response.reason or "", (await response.text())[:2000]


@sms_commands.command("send-test")
@click.option("--from", "sender", default=SAMPLE_SENDER, show_default=True, help="Sender id of the SMS.")
@click.option("--text", default=None, help="SMS text (default: a ₹1.00 UPI credit with a fresh reference).")
@click.option("--url", default=None, help="Where to post (default: this source's /hooks/<name>/).")
@click.option(
    "--source", "source_name", default=None, help="Name of the sms source (needed if there are several)."
)
@click.option(
    "--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait for the answer."
)
@config_option
def send_test(
    sender: str, text: str | None, url: str | None, source_name: str | None, timeout: float
) -> None:
    """Post a signed sms:received webhook, as the app sends it, to the running daemon."""
    state = click.get_current_context().find_object(CliContext)
    if state is None:
        raise click.ClickException("run this as `payalert sms send-test` so the config can be loaded")
    name, config = state.source_section(SmsSourceConfig, "sms", source_name)
    now = datetime.now(UTC).astimezone()
    account = config.accounts[0] if config.accounts else "0000"  # one of the user's, so it alerts
    message = text or SAMPLE_TEXT.format(
        account=account, date=now.strftime("%d-%m-%y"), ref=str(uuid.uuid4().int)[:12]
    )
    body, headers = gateway_request(config.signing_key.get_secret_value(), sender, message, now)
    target = url or state.hook_url(name)
    click.echo(f"POST {target} (sms:received from {sender}, signed with the configured signing key)")
    try:
        status, reason, answer = asyncio.run(_post(target, body, headers, timeout))
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise click.ClickException(
            f"could not reach {target}: {error or type(error).__name__}; is `payalert run` running?"
        ) from None
    click.echo(f"{status} {reason}")
    if answer.strip():
        click.echo(answer.strip())
    if status == 401:
        raise click.ClickException(
            "the daemon refused the signature: the signing key in this config differs from the running "
            "daemon's, or this machine's clock is more than 5 minutes off"
        )
    if not 200 <= status < 300:
        raise click.ClickException(f"the daemon answered {status}; see its log for why")
