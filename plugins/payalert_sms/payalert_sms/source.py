"""The ``type: sms`` push source: SMS forwarded from the user's phone at ``POST /hooks/<name>/``.

The request is checked before anything is read from it: SMS Gateway for Android's signature and
timestamp, or, for other forwarders, payalert's webhook signature. Answers: 202 once a payment or
notice is stored; 200 for a redelivery, a repeat of a payment another source told first, an SMS
that is no payment, and ``system:ping``; 401 for a missing, wrong or stale signature; 400 for a
signed body that is no forwarded SMS; 413 for a body over 64 KiB. The app retries anything but
2xx, so everything it need not send again gets a 2xx.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web
from payalert_banktext import ParserChain, make_chain

from payalert_core import PushSource, SourceConfig, one_line, parse_exact_json

from .config import SmsSourceConfig
from .gateway import (
    FORWARDER_SIGNATURE_HEADER,
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    SMS_RECEIVED,
    SYSTEM_PING,
    TIMESTAMP_HEADER,
    BadRequest,
    ForwardedSms,
    forwarder_signature_problem,
    gateway_event,
    gateway_signature_problem,
    sms_from_forwarder,
    sms_from_gateway,
)
from .verdict import SmsSettings, SmsVerdict, classify_sms

#: Outcomes of an SMS that came from no issuer's DLT header.
UNTRUSTED = ("spoofed", "untrusted")


class SmsSource(PushSource):
    """Receives SMS from SMS Gateway for Android (or another signed forwarder) and alerts bank payments."""

    type_name = "sms"
    Config: ClassVar[type[SourceConfig]] = SmsSourceConfig
    config: SmsSourceConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chain: ParserChain = make_chain(self.config.rules)
        self.settings = SmsSettings.from_config(self.config)

    async def start(self) -> None:
        """Build the parser chain (rules, plugin parsers, the grammar); show it in ``/health``."""
        self.chain = make_chain(self.config.rules, self.runtime.plugin_manager)
        self.runtime.health.set(parsers=self.chain.names, last_ping=None, gateway=None, last_sms=None)

    def add_routes(self, app: web.Application) -> None:
        """``POST /hooks/<name>/``."""
        app.router.add_post("/", self.receive)

    async def receive(self, request: web.Request) -> web.Response:
        """Check the signature, read the SMS, store its payment or notice, then answer."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return self._too_large(request)
        body = await request.read()
        if len(body) > MAX_BODY_BYTES:
            return self._too_large(request)
        from_gateway = FORWARDER_SIGNATURE_HEADER not in request.headers
        problem = self._signature_problem(request, body, from_gateway)
        if problem:
            self.runtime.count("signature_rejected")
            self.log.warning("rejected a request from %s: %s", request.remote, problem)
            return web.Response(status=401)
        try:
            data = parse_exact_json(body)
            if from_gateway:
                event, payload = gateway_event(data)
                if event == SYSTEM_PING:
                    return self._ping(payload)
                if event != SMS_RECEIVED:
                    return self._other_event(event)
                sms = sms_from_gateway(payload)
            else:
                sms = sms_from_forwarder(data)
        except (ValueError, RecursionError) as error:  # BadRequest, or JSON that is not JSON
            self.runtime.count("bad_request")
            reason = str(error) if isinstance(error, BadRequest) else "the body is not JSON"
            self.log.warning("rejected a signed request from %s: %s", request.remote, reason)
            return web.json_response({"error": reason}, status=400)
        return await self._sms(sms)

    def _signature_problem(self, request: web.Request, body: bytes, from_gateway: bool) -> str | None:
        key = self.config.signing_key.get_secret_value()
        headers = request.headers
        if from_gateway:
            return gateway_signature_problem(
                key, body, headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER), datetime.now(UTC)
            )
        return forwarder_signature_problem(key, body, headers.get(FORWARDER_SIGNATURE_HEADER))

    def _too_large(self, request: web.Request) -> web.Response:
        self.runtime.count("body_too_large")
        self.log.warning("rejected a request from %s: body over %d bytes", request.remote, MAX_BODY_BYTES)
        return web.Response(status=413)

    def _ping(self, payload: dict[str, Any]) -> web.Response:
        """``system:ping``: the gateway is alive; its own health status goes to ``/health``."""
        health = payload.get("health")
        status = health.get("status") if isinstance(health, dict) else None
        self.runtime.count("ping")
        self.runtime.health.set(
            last_ping=datetime.now(UTC).isoformat(timespec="seconds"),
            gateway=one_line(status, 20) if isinstance(status, str) else None,
        )
        self.runtime.health.succeeded()
        return web.json_response({"status": "pong"})

    def _other_event(self, event: str) -> web.Response:
        self.runtime.count("event_ignored")
        self.log.warning(
            "ignored a %s event: register this URL for sms:received (and system:ping) only",
            one_line(event, 40),
        )
        return web.json_response({"status": "ignored", "reason": "event"})

    async def _sms(self, sms: ForwardedSms) -> web.Response:
        verdict = classify_sms(sms, self.chain, self.settings)
        self.runtime.count(f"sms_{verdict.outcome}")
        if verdict.outcome in UNTRUSTED:
            self.runtime.count("untrusted_sender")
        self.runtime.health.set(last_sms=datetime.now(UTC).isoformat(timespec="seconds"))
        self._log(verdict)
        payment = verdict.to_payment(self.name, self.settings)
        if payment is None:
            self.runtime.health.succeeded()
            return web.json_response({"status": verdict.outcome})
        result = await self.ingest([payment])
        self.runtime.health.succeeded()
        if result.stored:
            return web.json_response({"status": "stored", "outcome": verdict.outcome}, status=202)
        if result.repeats:
            return web.json_response({"status": "repeat"})
        if result.filtered:
            return web.json_response({"status": "filtered"})
        self.runtime.count("duplicate")
        return web.json_response({"status": "duplicate"})

    def _log(self, verdict: SmsVerdict) -> None:
        """One line per SMS, never its text (an OTP is a secret)."""
        sender = one_line(verdict.sms.sender, 64)
        if verdict.outcome == "payment":
            self.log.info("SMS %s from %s: a payment", verdict.external_id, sender)
        elif verdict.outcome in ("ignored", "not_bank", "other_account"):
            self.log.debug(
                "SMS %s from %s %s: %s", verdict.external_id, sender, verdict.outcome, verdict.reason
            )
        else:
            self.log.warning(
                "SMS %s from %s %s: %s", verdict.external_id, sender, verdict.outcome, verdict.reason
            )
