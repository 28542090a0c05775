"""The ``type: github`` push source: GitHub Sponsors webhooks at ``POST /hooks/<name>/``."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web

from payalert_core import PushSource, SourceConfig, sha256_signature_problem

from .body import InvalidBody, UnsupportedContentType, decode_body
from .config import SPONSORSHIP_ACTIONS, GitHubSponsorsConfig
from .signature import SIGNATURE_HEADER
from .sponsorship import PayloadError, sponsorship_payment

DELIVERY_HEADER = "X-GitHub-Delivery"
EVENT_HEADER = "X-GitHub-Event"
_MAX_DELIVERY_ID = 100


def loggable(value: str | None, limit: int = 80) -> str:
    """A header value safe to put in a log line (unverified input: printable, bounded)."""
    if not value:
        return "-"
    text = "".join(char if char.isprintable() else "?" for char in value[:limit])
    return text + ("…" if len(value) > limit else "")


class GitHubSponsorsSource(PushSource):
    """Receives GitHub Sponsors webhook deliveries; one alert per ``sponsorship`` event."""

    type_name = "github"
    Config: ClassVar[type[SourceConfig]] = GitHubSponsorsConfig
    config: GitHubSponsorsConfig

    async def start(self) -> None:
        """Warn, at every start, when deliveries are accepted without a signature."""
        if self.config.secret is None:
            self.log.warning(
                "source %s accepts UNSIGNED webhooks (allow_unsigned: true, no secret): anyone who can reach "
                "/hooks/%s/ can post fake sponsorships; set secret to the one typed into GitHub",
                self.name,
                self.name,
            )
        self.runtime.health.set(signed=self.config.secret is not None, actions=list(self.config.actions))

    def add_routes(self, app: web.Application) -> None:
        """``POST /hooks/<name>/``."""
        app.router.add_post("/", self.handle_delivery)

    async def handle_delivery(self, request: web.Request) -> web.Response:
        """Verify, decode, turn into a payment, store; answer 2xx only once stored."""
        claimed_id = request.headers.get(DELIVERY_HEADER)
        raw = await request.read()
        if self.config.secret is not None:
            problem = sha256_signature_problem(
                self.config.secret.get_secret_value(), raw, request.headers.get(SIGNATURE_HEADER)
            )
            if problem is not None:
                self.runtime.count("signature_rejected")
                self.log.warning(
                    "rejected delivery %s from %s: signature %s",
                    loggable(claimed_id),
                    request.remote,
                    problem,
                )
                return web.Response(status=401)

        # From here on the body is authentic (or the user chose allow_unsigned).
        delivery_id = self._delivery_id(claimed_id, raw)
        event = request.headers.get(EVENT_HEADER, "")
        try:
            payload = decode_body(raw, request.headers.get("Content-Type", ""))
        except UnsupportedContentType as error:
            self.runtime.count("unsupported_content_type")
            self.log.warning(
                "delivery %s has content type %s; choose application/json in GitHub's webhook settings",
                delivery_id,
                loggable(str(error)),
            )
            return web.Response(status=415, text="unsupported content type\n")
        except InvalidBody as error:
            self.runtime.count("invalid_payload")
            self.log.warning("delivery %s (event %s) rejected: %s", delivery_id, loggable(event), error)
            return web.Response(status=400, text=f"{error}\n")

        if event == "ping":
            return self._ping(delivery_id, payload)
        if event != "sponsorship":
            self.runtime.count("event_ignored")
            self.log.info(
                "delivery %s: ignored event %s (only sponsorship alerts)", delivery_id, loggable(event)
            )
            return _answer("ignored", delivery_id, reason="event")
        return await self._sponsorship(delivery_id, payload)

    def _delivery_id(self, claimed: str | None, raw: bytes) -> str:
        """GitHub's delivery GUID (kept by redeliveries), or a hash of the body when a sender omits it."""
        if claimed and len(claimed) <= _MAX_DELIVERY_ID and claimed.isprintable():
            return claimed
        self.log.warning(
            "delivery without a usable %s header; deduplicating on the body's hash", DELIVERY_HEADER
        )
        return "sha256-" + hashlib.sha256(raw).hexdigest()

    def _ping(self, delivery_id: str, payload: dict[str, Any]) -> web.Response:
        found = payload.get("hook")
        hook: dict[str, Any] = found if isinstance(found, dict) else {}
        listed = hook.get("events")
        events: list[Any] = listed if isinstance(listed, list) else []
        hook_type = hook.get("type")
        self.log.info(
            "webhook connected: hook %s (%s), events %s, delivery %s",
            payload.get("hook_id", hook.get("id")),
            hook_type or "unknown type",
            ",".join(str(event) for event in events) or "-",
            delivery_id,
        )
        if hook_type != "SponsorsListing" and "sponsorship" not in events:
            self.log.warning(
                "this webhook (type %s) will not send sponsorship events: add the webhook in your "
                "GitHub Sponsors dashboard (Your sponsors > Dashboard > Webhooks) instead",
                hook_type or "unknown",
            )
        self.runtime.count("ping")
        self.runtime.health.succeeded()
        return _answer("pong", delivery_id)

    async def _sponsorship(self, delivery_id: str, payload: dict[str, Any]) -> web.Response:
        action = payload.get("action")
        if action not in SPONSORSHIP_ACTIONS:
            self.runtime.count("action_ignored")
            self.log.warning(
                "delivery %s: unknown sponsorship action %s, ignored", delivery_id, loggable(str(action))
            )
            return _answer("ignored", delivery_id, reason="action")
        if action not in self.config.actions:
            self.runtime.count("action_filtered")
            self.log.info("delivery %s: sponsorship %s is not in actions, no alert", delivery_id, action)
            return _answer("ignored", delivery_id, reason="filtered")
        try:
            payment = sponsorship_payment(
                payload,
                delivery_id,
                datetime.now(UTC),
                mask_private=self.config.mask_private_sponsors,
            )
        except PayloadError as error:
            self.runtime.count("invalid_payload")
            self.log.warning("delivery %s rejected: %s", delivery_id, error)
            return web.Response(status=400, text=f"{error}\n")
        result = await self.ingest([payment])
        self.runtime.health.succeeded()
        if result.duplicates:
            self.runtime.count("duplicate")
            self.log.info(
                "delivery %s (sponsorship %s) seen before: redelivery, no new alert", delivery_id, action
            )
            return _answer("duplicate", delivery_id)
        if result.filtered:
            return _answer("filtered", delivery_id)
        self.log.info("delivery %s: sponsorship %s stored", delivery_id, action)
        return _answer("stored", delivery_id)


def _answer(status: str, delivery_id: str, **extra: str) -> web.Response:
    return web.json_response({"status": status, "delivery": delivery_id, **extra})
