"""A push source receiving one payment per request as JSON signed with an HMAC-SHA256 of the body.

The built-in ``webhook`` source and the plugin template's push source are both this handler with
their own ``parse``: verify the signature (401), parse the body exactly (400 naming the field),
store, and only then answer 202 (stored) or 200 (a duplicate, or a payment a filter dropped).
"""

from __future__ import annotations

from decimal import InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from .bounds import InvalidPayment
from .configtypes import SourceConfig, WebhookSecret
from .exactjson import parse_exact_json
from .model import Payment
from .signatures import sha256_signature_problem
from .source import PushSource

if TYPE_CHECKING:
    from aiohttp import web

_STORED = b'{"stored": 1, "duplicate": false}'
_DUPLICATE = b'{"stored": 0, "duplicate": true}'
_FILTERED = b'{"stored": 0, "filtered": true}'
#: What a ``parse`` may raise for a body it refuses (the answer is then 400, with the message).
BAD_BODY_ERRORS = (ValueError, TypeError, LookupError, InvalidOperation, RecursionError)


class SignedJsonSourceConfig(SourceConfig):
    """A signed-JSON push source's section: the shared secret."""

    secret: WebhookSecret = Field(description="Shared secret for the HMAC-SHA256 signature (16+ characters).")


class SignedJsonPushSource(PushSource):
    """Receives ``POST /hooks/<name>/`` with a JSON payment signed ``sha256=<hex HMAC of the body>``.

    Subclasses set :attr:`signature_header` and implement :meth:`parse`; the config is a
    :class:`SignedJsonSourceConfig` (or a subclass adding options).
    """

    Config: ClassVar[type[SourceConfig]] = SignedJsonSourceConfig
    #: The request header carrying the signature.
    signature_header: ClassVar[str] = "X-Payalert-Signature"
    config: SignedJsonSourceConfig

    def add_routes(self, app: web.Application) -> None:
        """One route: ``POST /hooks/<name>/``."""
        app.router.add_post("/", self.receive)

    def parse(self, data: Any) -> Payment:
        """A Payment from the parsed JSON body; raise :class:`~payalert_core.InvalidPayment` to refuse it."""
        raise NotImplementedError

    async def receive(self, request: web.Request) -> web.Response:
        """Verify, parse, store, then answer."""
        from aiohttp import web  # here, not at the top: importing payalert_core stays free of aiohttp

        body = await request.read()
        secret = self.config.secret.get_secret_value()
        problem = sha256_signature_problem(secret, body, request.headers.get(self.signature_header))
        if problem:
            self.runtime.count("signature_rejected")
            self.log.warning("rejected a request from %s: signature %s", request.remote, problem)
            return web.Response(status=401)
        try:
            payment = self.parse(parse_exact_json(body))
        except BAD_BODY_ERRORS as error:
            self.runtime.count("bad_request")
            answer = {"error": f"bad payment: {error}"}
            if isinstance(error, InvalidPayment):
                answer["field"] = error.field
            return web.json_response(answer, status=400)
        result = await self.ingest([payment])
        self.runtime.health.succeeded()
        if result.stored:
            return web.Response(status=202, body=_STORED, content_type="application/json")
        if result.filtered:
            return web.Response(status=200, body=_FILTERED, content_type="application/json")
        return web.Response(status=200, body=_DUPLICATE, content_type="application/json")
