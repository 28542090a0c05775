"""A local Binance stand-in (aiohttp, 127.0.0.1) for tests and benchmarks.

It checks ``X-MBX-APIKEY``, the HMAC-SHA256 ``signature`` over the query string exactly as sent and
``timestamp`` against ``recvWindow`` (with a settable clock offset), serves deposit, P2P and Pay
history with Binance's paging and window limits, answers scripted faults per request, and records
every request. Point a source at it with ``base_url: <server.url>``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import hashlib
import hmac
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .binance_data import deposit_record, p2p_record, pay_record
from .binance_faults import Fault, load_error_messages
from .loopback import LoopbackServer

__all__ = [
    "DEPOSITS",
    "P2P",
    "PAY",
    "PING",
    "RESTRICTIONS",
    "TIME",
    "BinanceTestServer",
    "Fault",
    "RecordedRequest",
    "deposit_record",
    "load_error_messages",
    "p2p_record",
    "pay_record",
]

DAY_MS = 86_400_000
DEPOSITS = "/sapi/v1/capital/deposit/hisrec"
P2P = "/sapi/v1/c2c/orderMatch/listUserOrderHistory"
PAY = "/sapi/v1/pay/transactions"
RESTRICTIONS = "/sapi/v1/account/apiRestrictions"
TIME = "/api/v3/time"
PING = "/api/v3/ping"
READ_ONLY = {
    "ipRestrict": False,
    "enableReading": True,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableFutures": False,
    "enableMargin": False,
    "enableSpotAndMarginTrading": False,
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, and the status it answered.

    ``at`` is its arrival (``time.time()``); ``answered_at`` when the answer was ready, or, for an
    answer carrying ``Retry-After`` (kept in ``retry_after``), once it was written out: no client
    can have read it earlier. ``answered_at`` stays 0 until the request is answered.
    """

    method: str
    path: str
    params: dict[str, str]
    api_key: str | None
    status: int
    at: float
    answered_at: float = 0.0
    retry_after: str | None = None


class _Records:
    """Records kept sorted by a time field, for window queries with bisect."""

    def __init__(self, time_field: str, id_field: str) -> None:
        self.time_field = time_field
        self.id_field = id_field
        self.items: list[tuple[int, int, dict[str, Any]]] = []
        self._seq = 0

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self._seq += 1
            bisect.insort(
                self.items, (int(record[self.time_field]), self._seq, dict(record)), key=lambda i: i[:2]
            )

    def update(self, ident: str, changes: Mapping[str, Any]) -> None:
        for _, _, record in self.items:
            if str(record.get(self.id_field)) == str(ident):
                record.update(changes)
                return
        raise KeyError(ident)

    def window(self, start: int, end: int) -> list[dict[str, Any]]:
        """Records with ``start <= time <= end``, newest first."""
        low = bisect.bisect_left(self.items, start, key=lambda i: i[0])
        high = bisect.bisect_right(self.items, end, key=lambda i: i[0])
        return [dict(record) for _, _, record in reversed(self.items[low:high])]


class BinanceTestServer(LoopbackServer):
    """The fake Binance: data, scripted faults and a request log. Use ``start()`` or ``start_async()``."""

    thread_name = "binance-test-server"

    def __init__(
        self,
        api_key: str = "payalert-test-key-0123456789",
        api_secret: str = "payalert-test-secret-9876543210",
        error_messages: Mapping[int, list[str]] | None = None,
        clock_offset_ms: int = 0,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.error_messages = dict(error_messages or {})
        self.clock_offset_ms = clock_offset_ms
        self.permissions: dict[str, Any] = dict(READ_ONLY)
        self.deposits = _Records("insertTime", "id")
        self.p2p_orders = _Records("createTime", "orderNumber")
        self.pay_transactions = _Records("transactionTime", "transactionId")
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._always: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def source_config(self, **overrides: Any) -> dict[str, Any]:
        """A ``type: binance`` config section pointing at this server (short interval), plus ``overrides``."""
        return {
            "type": "binance",
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "base_url": self.url,
            "interval": "0.5s",
            "jitter": "0s",
            "request_timeout": "2s",
            **overrides,
        }

    def now_ms(self) -> int:
        """The server's clock (real time plus ``clock_offset_ms``)."""
        return int(time.time() * 1000) + self.clock_offset_ms

    # -- data and scripting ----------------------------------------------------------------
    def add_deposits(self, *records: dict[str, Any]) -> None:
        """Add deposit records (``insertTime`` in ms)."""
        with self._lock:
            self.deposits.add(records)

    def add_p2p_orders(self, *records: dict[str, Any]) -> None:
        """Add C2C order records (``createTime`` in ms)."""
        with self._lock:
            self.p2p_orders.add(records)

    def add_pay_transactions(self, *records: dict[str, Any]) -> None:
        """Add Pay transactions (``transactionTime`` in ms)."""
        with self._lock:
            self.pay_transactions.add(records)

    def update_deposit(self, ident: str, **changes: Any) -> None:
        """Change a deposit in place (e.g. ``status=1`` once credited)."""
        with self._lock:
            self.deposits.update(ident, changes)

    def update_p2p_order(self, order_number: str, **changes: Any) -> None:
        """Change an order in place (e.g. ``orderStatus="COMPLETED"``)."""
        with self._lock:
            self.p2p_orders.update(order_number, changes)

    def script(self, path: str, *faults: Fault) -> None:
        """Answer the next requests to ``path`` (or ``"*"`` for any) with ``faults``, in order."""
        with self._lock:
            self._faults[path].extend(faults)

    def fail_always(self, path: str, fault: Fault | None) -> None:
        """Answer every request to ``path`` (or ``"*"``) with ``fault``; None stops."""
        with self._lock:
            if fault is None:
                self._always.pop(path, None)
            else:
                self._always[path] = fault

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests to ``path``."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def message(self, code: int, hint: str = "", *args: object) -> str:
        """The real Binance message for ``code`` (the variant containing ``hint``), ``%s`` filled from ``args``."""
        variants = self.error_messages.get(code) or [f"Binance error {code}."]
        chosen = next((text for text in variants if hint and hint in text), variants[0])
        for arg in args:
            chosen = chosen.replace("%s", str(arg), 1)
        return chosen

    # -- lifecycle -------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        """Every path: the handler answers like the API or records a 404."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    # -- request handling ------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        entry = RecordedRequest(
            request.method,
            request.path,
            dict(request.query),
            request.headers.get("X-MBX-APIKEY"),
            0,  # not answered yet (a request the client gave up on keeps 0)
            time.time(),
        )
        with self._lock:
            index = len(self.requests)
            self.requests.append(entry)
        response = await self._answer(request)
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None and request.transport is not None and not request.transport.is_closing():
            await response.prepare(request)
            await response.write_eof()
        answered = dataclasses.replace(
            entry, status=response.status, answered_at=time.time(), retry_after=retry_after
        )
        with self._lock:
            self.requests[index] = answered
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        with self._lock:
            fault = self._next_fault(request.path)
        if fault is not None:
            if fault.delay and self.closing is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.closing.wait(), fault.delay)
            if not fault.passthrough:
                return self._fault_response(fault)
        if request.path == PING:
            return web.json_response({})
        if request.path == TIME:
            return web.json_response({"serverTime": self.now_ms()})
        handler = {
            DEPOSITS: self._deposits,
            P2P: self._p2p,
            PAY: self._pay,
            RESTRICTIONS: self._restrictions,
        }.get(request.path)
        if handler is None:
            return web.Response(status=404, text="<html>404 Not Found</html>", content_type="text/html")
        params, refusal = self._authenticate(request)
        if refusal is not None:
            return refusal
        try:
            with self._lock:
                return handler(params)
        except _ApiError as error:
            return self._error(error.code, error.status, error.detail)

    def _next_fault(self, path: str) -> Fault | None:
        for key in (path, "*"):
            if self._faults.get(key):
                return self._faults[key].popleft()
        return self._always.get(path) or self._always.get("*")

    def _fault_response(self, fault: Fault) -> web.Response:
        headers = dict(fault.headers)
        if fault.body is None and fault.code is not None:
            body = {
                "code": fault.code,
                "msg": self.message(fault.code, fault.message_hint, *fault.message_args),
            }
            return web.json_response(body, status=fault.status, headers=headers)
        if isinstance(fault.body, str):
            return web.Response(
                status=fault.status, text=fault.body, content_type="text/html", headers=headers
            )
        return web.json_response(fault.body or {}, status=fault.status, headers=headers)

    def _error(self, code: int, status: int = 400, detail: str = "") -> web.Response:
        message = detail or self.message(code)
        return web.json_response({"code": code, "msg": message}, status=status)

    def _authenticate(self, request: web.Request) -> tuple[dict[str, str], web.Response | None]:
        """Check key, signature (over the raw query minus ``signature``) and timestamp."""
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            return {}, self._error(-2014, 401)
        if not hmac.compare_digest(key, self.api_key):
            return {}, self._error(-2015, 401)
        parts = request.rel_url.raw_query_string.split("&") if request.rel_url.raw_query_string else []
        signed = [part for part in parts if not part.startswith("signature=")]
        signatures = [part.split("=", 1)[1] for part in parts if part.startswith("signature=")]
        params = dict(request.query)
        params.pop("signature", None)
        for name, present in (("timestamp", "timestamp" in params), ("signature", len(signatures) == 1)):
            if not present:
                return params, self._error(-1102, 400, self.message(-1102, "Mandatory parameter '%s'", name))
        expected = hmac.new(self.api_secret.encode(), "&".join(signed).encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signatures[0].lower(), expected):
            return params, self._error(-1022)
        try:
            timestamp = int(params["timestamp"])
            recv_window = int(params.get("recvWindow", "5000"))
        except ValueError:
            return params, self._error(-1102)
        if not 0 < recv_window <= 60_000:
            return params, self._error(
                -1130, 400, f"Data sent for parameter 'recvWindow' is not valid: {recv_window}"
            )
        now = self.now_ms()
        if timestamp > now + 1000:
            return params, self._error(-1021, 400, self.message(-1021, "ahead"))
        if now - timestamp > recv_window:
            return params, self._error(-1021, 400, self.message(-1021, "recvWindow"))
        return params, None

    # -- endpoints (called with the lock held) ---------------------------------------------
    def _window(
        self, params: dict[str, str], start: str, end: str, max_ms: int, strict: bool
    ) -> tuple[int, int]:
        now = self.now_ms()
        low = _int(params, start)
        high = _int(params, end)
        if low is None and high is None:
            high, low = now, now - max_ms
        elif low is None:
            low = high - max_ms
        elif high is None:
            high = min(low + max_ms, now)
        if high - low > max_ms or (strict and high - low == max_ms):
            raise _ApiError(-1127, detail=f"More than {max_ms // 3_600_000} hours between {start} and {end}.")
        return low, high

    def _deposits(self, params: dict[str, str]) -> web.Response:
        low, high = self._window(params, "startTime", "endTime", 90 * DAY_MS, strict=True)
        offset = _int(params, "offset") or 0
        limit = _int(params, "limit") or 1000
        if not 0 < limit <= 1000:
            raise _ApiError(-1130, detail="Data sent for parameter 'limit' is not valid.")
        rows = self.deposits.window(low, high)
        if "coin" in params:
            rows = [row for row in rows if row.get("coin") == params["coin"]]
        if "status" in params:
            rows = [row for row in rows if str(row.get("status")) == params["status"]]
        return web.json_response(rows[offset : offset + limit])

    def _p2p(self, params: dict[str, str]) -> web.Response:
        trade_type = params.get("tradeType")
        if trade_type not in ("BUY", "SELL"):
            raise _ApiError(
                -1102, detail="Mandatory parameter 'tradeType' was not sent, was empty/null, or malformed."
            )
        low, high = self._window(params, "startTimestamp", "endTimestamp", 30 * DAY_MS, strict=False)
        page = _int(params, "page") or 1
        rows_per_page = _int(params, "rows") or 100
        if not 0 < rows_per_page <= 100 or page < 1:
            raise _ApiError(-1130, detail="Data sent for parameter 'rows' is not valid.")
        rows = [row for row in self.p2p_orders.window(low, high) if row.get("tradeType") == trade_type]
        start = (page - 1) * rows_per_page
        body = {
            "code": "000000",
            "message": "success",
            "data": rows[start : start + rows_per_page],
            "total": len(rows),
            "success": True,
        }
        return web.json_response(body)

    def _pay(self, params: dict[str, str]) -> web.Response:
        low, high = self._window(params, "startTime", "endTime", 90 * DAY_MS, strict=False)
        limit = _int(params, "limit") or 100
        if not 0 < limit <= 100:
            raise _ApiError(-1130, detail="Data sent for parameter 'limit' is not valid.")
        rows = self.pay_transactions.window(low, high)[:limit]
        return web.json_response({"code": "000000", "message": "success", "data": rows, "success": True})

    def _restrictions(self, params: dict[str, str]) -> web.Response:
        return web.json_response({"createTime": 1623840271000, **self.permissions})


class _ApiError(Exception):
    def __init__(self, code: int, status: int = 400, detail: str = "") -> None:
        super().__init__(detail)
        self.code = code
        self.status = status
        self.detail = detail


def _int(params: Mapping[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        return int(params[name])
    except ValueError:
        raise _ApiError(
            -1102, detail=f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
        ) from None
