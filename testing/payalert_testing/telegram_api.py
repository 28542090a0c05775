"""A local server that behaves like the Telegram Bot API, for tests and benchmarks.

It serves ``/bot<token>/<method>`` on 127.0.0.1 (a free port) in a thread of its own, so both
synchronous tests (driving a ``payalert run`` subprocess) and asynchronous ones can use it. It
answers ``getMe``, ``sendMessage``, ``editMessageText``, ``getUpdates`` (long polling),
``deleteWebhook`` and ``setMyCommands``; checks the token, Telegram's HTML markup and the
4,096-character limit; enforces the flood limits itself (429 with ``retry_after``); records every
call with its arrival time; and can be told to fail: 429 (for the whole bot or one chat), 5xx,
slow answers, timeouts, a blocked bot (403), a migrated group (400 with ``migrate_to_chat_id``).
It also keeps what fault tests measure: each 429 with the moment its bytes were written
(``flood_answers``), and each message it accepted whose success the client never learned
(``unconfirmed``: the duplicate window). As Telegram does, it answers 409 to a ``getUpdates``
while another is still polling (one consumer per bot), counted in ``conflicts``.

Use the ``telegram_api`` fixture, or ``with TelegramAPI() as api:`` in scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from aiohttp import web

from .loopback import LoopbackServer

TOKEN = "123456789:TEST-token_for-payalert"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "payalert test", "username": "payalert_test_bot"}
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
         "tg-spoiler", "tg-emoji", "blockquote"}  # fmt: skip
#: Requests arriving this soon after a 429 were already on their way: not counted as early.
IN_FLIGHT = 0.05
#: How long Telegram lets a bot edit its message.
EDIT_WINDOW_SECONDS = 48 * 3600
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_RATE_LIMITED = {"sendmessage", "editmessagetext", "setmycommands"}
#: On a 429 answer: the chat it binds (None: the whole bot), its retry_after and the method.
_FLOOD: web.ResponseKey[tuple[int | str | None, int, str]] = web.ResponseKey("flood")


@dataclass(frozen=True)
class FloodLimits:
    """The limits the server enforces; ``tolerance`` seconds of leniency (none by default)."""

    chat_interval: float = 1.0
    group_messages: int = 20
    group_period: float = 60.0
    overall_messages: int = 30
    overall_period: float = 1.0
    tolerance: float = 0.0


@dataclass(frozen=True)
class Fault:
    """One misbehaviour: build with the class methods below."""

    kind: str
    seconds: float = 0.0
    status: int = 0
    description: str = ""
    new_chat_id: int = 0
    accepted: bool = False
    chat_only: bool = False

    @classmethod
    def retry_after(cls, seconds: int, chat_only: bool = False) -> Fault:
        """429 Too Many Requests with ``parameters.retry_after``: the whole bot waits, or one chat."""
        return cls("retry_after", seconds=seconds, chat_only=chat_only)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        """A 5xx answer."""
        return cls(
            "error", status=status, description={500: "Internal Server Error"}.get(status, "Bad Gateway")
        )

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally after ``seconds``."""
        return cls("slow", seconds=seconds)

    @classmethod
    def timeout(cls, seconds: float = 30, accepted: bool = False) -> Fault:
        """Hold the request ``seconds`` (past the client's timeout); ``accepted``: deliver it first."""
        return cls("timeout", seconds=seconds, accepted=accepted)

    @classmethod
    def forbidden(cls, description: str = "Forbidden: bot was blocked by the user") -> Fault:
        """403."""
        return cls("error", status=403, description=description)

    @classmethod
    def bad_request(cls, description: str = "Bad Request: chat not found") -> Fault:
        """400."""
        return cls("error", status=400, description=description)

    @classmethod
    def migrate(cls, new_chat_id: int) -> Fault:
        """400 "group chat was upgraded to a supergroup chat" with ``migrate_to_chat_id``."""
        return cls("migrate", new_chat_id=new_chat_id)


@dataclass(frozen=True)
class Call:
    """One request as the server saw it."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() on arrival
    status: int
    description: str = ""


@dataclass(frozen=True)
class FloodAnswer:
    """A 429 the server sent: to whom it applies, when it was written out, and its retry_after."""

    chat_id: int | str | None  # None: every chat of the bot must wait
    at: float  # time.monotonic() once the answer's bytes were handed to the connection
    seconds: int
    method: str


@dataclass(frozen=True)
class SentMessage:
    """A message the server accepted."""

    message_id: int
    chat_id: int | str
    text: str  # as a user sees it (markup parsed)
    html: str  # as sent
    at: float
    message_thread_id: int | None = None
    disable_notification: bool = False
    reply_to: int | None = None  # the message_id this one replies to
    edits: int = 0  # how many times editMessageText changed it


class ApiError(Exception):
    """An error answer: HTTP status, description and optional parameters."""

    def __init__(
        self,
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        flood_chat: int | str | None = None,
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters
        self.flood_chat = flood_chat  # for a 429: the one chat it applies to (None: the whole bot)


@dataclass
class _Rule:
    method: str
    fault: Fault
    times: int
    chat_id: int | str | None = None
    skip: int = 0


@dataclass
class _Flood:
    last: dict[int | str, float] = field(default_factory=dict)
    groups: dict[int | str, deque[float]] = field(default_factory=dict)
    overall: deque[float] = field(default_factory=deque)
    banned_until: float = 0.0
    banned_at: float = 0.0
    chat_bans: dict[int | str, tuple[float, float]] = field(default_factory=dict)  # chat: (at, until)


def parse_html(text: str) -> str:
    """The text a user sees; raise ApiError(400) where Telegram cannot parse the markup."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    tag = re.compile(r"<(/?)([a-zA-Z0-9-]*)([^<>]*)>")
    while pos < len(text):
        char = text[pos]
        offset = _ByteOffset(text, pos)
        if char == "<":
            match = tag.match(text, pos)
            if match is None:
                _parse_error(f"Unexpected end of name token at byte offset {offset}")
            closing, name = match.group(1), match.group(2).lower()
            if closing:
                if not stack or stack[-1] != name:
                    expected = f'"</{stack[-1]}>"' if stack else "nothing"
                    _parse_error(
                        f'Unmatched end tag at byte offset {offset}, expected {expected}, found "</{name}>"'
                    )
                stack.pop()
            else:
                if name not in _TAGS:
                    _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
                if name == "a" and not re.match(r"""^\s+href\s*=\s*("[^"]*"|'[^']*')\s*$""", match.group(3)):
                    _parse_error(f'Tag "a" must have attribute "href" at byte offset {offset}')
                stack.append(name)
            pos = match.end()
        elif char == "&":
            match = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);").match(text, pos)
            out.append(html.unescape(match.group(0)) if match else "&")
            pos = match.end() if match else pos + 1
        else:
            out.append(char)
            pos += 1
    if stack:
        _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


class _ByteOffset:
    """A character position shown as Telegram's byte offset, computed only when printed."""

    def __init__(self, text: str, position: int) -> None:
        self.text, self.position = text, position

    def __str__(self) -> str:
        return str(len(self.text[: self.position].encode()))


def _parse_error(detail: str) -> NoReturn:
    raise ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chat(chat_id: int | str) -> dict[str, Any]:
    if isinstance(chat_id, str):
        return {
            "id": -1000000000000 - (sum(map(ord, chat_id)) % 10**6),
            "type": "channel",
            "username": chat_id[1:],
        }
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": f"chat {chat_id}"}


def _value(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    if raw in ("true", "false"):
        return raw == "true"
    if raw[:1] in "{[":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


class TelegramAPI(LoopbackServer):
    """The fake Bot API server. Thread-safe: call its methods from any thread."""

    thread_name = "telegram-api"

    def __init__(self, token: str = TOKEN, limits: FloodLimits | None = FloodLimits(), port: int = 0) -> None:
        super().__init__(port)
        self.token = token
        self.limits = limits
        self.calls: list[Call] = []
        self.messages: list[SentMessage] = []
        self.commands_menu: list[dict[str, Any]] = []
        self.blocked: set[int | str] = set()
        self.missing: set[int | str] = set()
        self.migrated: dict[int | str, int] = {}
        #: Seconds after sending during which a message may be edited (Telegram: 48 hours).
        self.edit_window = EDIT_WINDOW_SECONDS
        #: Each flood limit a sendMessage broke: (chat_id, "chat" | "group" | "overall", seconds short).
        self.flood_violations: list[tuple[int | str, str, float]] = []
        #: Rate-limited calls that arrived while a 429's retry_after was still running (not
        #: counting those already in flight when the 429 was answered).
        self.early_calls = 0
        #: Every 429 answered, with the moment it was written out (see :class:`FloodAnswer`).
        self.flood_answers: list[FloodAnswer] = []
        #: Messages accepted although the client never learned it (it had given up waiting, or it
        #: got a timeout answer): a retry will post each again. This is the duplicate window.
        self.unconfirmed: list[SentMessage] = []
        #: Requests being held right now by a slow or timeout fault.
        self.held = 0
        #: getUpdates calls answered 409 because another was still polling (Telegram allows one
        #: consumer per bot), and how many polls run right now.
        self.conflicts = 0
        self.polling = 0
        self._rules: list[_Rule] = []
        self._updates: list[dict[str, Any]] = []
        self._flood = _Flood()
        self._next_update = 1
        self._next_message = 1
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        """Every method under ``/bot<token>/``."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def on_stop(self) -> None:
        """End anything still running in the server's own loop (held answers, long polls)."""
        if self._thread is None:  # serving in the test's loop: its tasks are not ours to end
            return
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- test controls -----------------------------------------------------------------------
    def fail(
        self, method: str, fault: Fault, times: int = 1, chat_id: int | str | None = None, skip: int = 0
    ) -> None:
        """Answer ``times`` calls of ``method`` ("*": any method; to ``chat_id``, if given) with ``fault``.

        The first ``skip`` matching calls are answered normally. Rules are tried in the order given.
        """
        with self._lock:
            self._rules.append(_Rule(method.lower(), fault, times, chat_id, skip))

    def clear_faults(self) -> None:
        """Forget every fault rule not used up yet (requests already held keep their fault)."""
        with self._lock:
            self._rules.clear()

    def queue_message(
        self,
        text: str,
        chat_id: int,
        user_id: int | None = None,
        username: str | None = None,
        thread_id: int | None = None,
    ) -> int:
        """Queue an incoming message (e.g. ``/status``) for getUpdates; returns its update_id."""
        user = {
            "id": user_id or chat_id,
            "is_bot": False,
            "first_name": "Tester",
            "username": username or "tester",
        }
        message: dict[str, Any] = {
            "message_id": 0,
            "from": user,
            "chat": _chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            message["message_id"] = 10_000 + update_id
            self._updates.append({"update_id": update_id, "message": message})
        return update_id

    def sent(self, chat_id: int | str | None = None) -> list[SentMessage]:
        """Accepted messages, oldest first (to ``chat_id`` only, if given)."""
        with self._lock:
            return [m for m in self.messages if chat_id is None or m.chat_id == chat_id]

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method."""
        with self._lock:
            return [call for call in self.calls if call.method.lower() == method.lower()]

    def count_status(self, status: int) -> int:
        """How many answers had this HTTP status (e.g. 429)."""
        with self._lock:
            return sum(1 for call in self.calls if call.status == status)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15) -> Any:
        """Poll ``predicate`` until it is truthy (blocking; use ``asyncio.to_thread`` in async tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.02)
        raise TimeoutError(f"condition not met within {timeout}s; {len(self.calls)} calls so far")

    def wait_for_messages(
        self, count: int, chat_id: int | str | None = None, timeout: float = 15
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages (to ``chat_id``) were accepted."""

        def enough() -> list[SentMessage] | None:
            messages = self.sent(chat_id)
            return messages if len(messages) >= count else None

        return self.wait_for(enough, timeout)

    # -- request handling --------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        response = await self._respond(request)
        flood = response.get(_FLOOD)
        if flood is not None and request.transport is not None and not request.transport.is_closing():
            # Write a 429 out before noting its time: no client can have read it any earlier.
            # (A 429 for a client that already hung up is never read, so it binds no one.)
            await response.prepare(request)
            await response.write_eof()
            chat_id, seconds, method = flood
            with self._lock:
                self.flood_answers.append(FloodAnswer(chat_id, time.monotonic(), seconds, method))
        return response

    async def _respond(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        method = request.match_info["method"]
        params = await self._params(request)
        if request.match_info["token"] != self.token:
            return self._answer(method, params, arrived, ApiError(401, "Unauthorized"))
        fault = self._take_fault(method.lower(), params.get("chat_id"))
        try:
            if fault is not None and fault.kind in ("slow", "timeout"):
                return await self._held(request, method, params, arrived, fault)
            if fault is not None:
                raise self._fault_error(fault, arrived, params.get("chat_id"))
            if method.lower() == "getupdates":
                result: Any = await self._get_updates(params)
            else:
                result = self._dispatch(method.lower(), params, time.monotonic())
        except ApiError as error:
            return self._answer(method, params, arrived, error)
        return self._answer(method, params, arrived, result)

    async def _held(
        self, request: web.Request, method: str, params: dict[str, Any], arrived: float, fault: Fault
    ) -> web.Response:
        """Answer after ``fault.seconds``: normally (slow) or 504 (timeout, accepted first if asked)."""
        with self._lock:
            self.held += 1
        try:
            if fault.kind == "timeout":
                if fault.accepted:
                    self._unconfirmed(self._dispatch(method.lower(), params, time.monotonic()))
                await self._sleep(fault.seconds)
                return self._answer(method, params, arrived, ApiError(504, "Gateway Timeout"))
            await self._sleep(fault.seconds)
            if method.lower() == "getupdates":
                result: Any = await self._get_updates(params)
            else:
                result = self._dispatch(method.lower(), params, time.monotonic())
            if request.transport is None or request.transport.is_closing():
                self._unconfirmed(result)  # the client hung up while we held it: the answer is lost
            return self._answer(method, params, arrived, result)
        except ApiError as error:
            return self._answer(method, params, arrived, error)
        finally:
            with self._lock:
                self.held -= 1

    def _unconfirmed(self, result: Any) -> None:
        """Note the message behind a sendMessage ``result`` as accepted but never confirmed."""
        if not isinstance(result, dict) or "message_id" not in result:
            return
        with self._lock:
            found = [m for m in self.messages if m.message_id == result["message_id"]]
            self.unconfirmed.extend(found[-1:])

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw.update(await request.json())
        elif request.can_read_body:
            raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        return {key: value if key == "text" else _value(value) for key, value in raw.items()}

    def _answer(self, method: str, params: dict[str, Any], arrived: float, outcome: Any) -> web.Response:
        if isinstance(outcome, ApiError):
            body: dict[str, Any] = {
                "ok": False,
                "error_code": outcome.status,
                "description": outcome.description,
            }
            if outcome.parameters:
                body["parameters"] = outcome.parameters
            status, description = outcome.status, outcome.description
        else:
            body, status, description = {"ok": True, "result": outcome}, 200, ""
        with self._lock:
            self.calls.append(Call(method, params, arrived, status, description))
        response = web.json_response(body, status=status)
        if isinstance(outcome, ApiError) and outcome.parameters and "retry_after" in outcome.parameters:
            response[_FLOOD] = (outcome.flood_chat, outcome.parameters["retry_after"], method)
        return response

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.times > 0 and rule.method in (method, "*") and rule.chat_id in (None, chat_id):
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    rule.times -= 1
                    return rule.fault
        return None

    def _fault_error(self, fault: Fault, now: float, chat_id: Any = None) -> ApiError:
        if fault.kind == "retry_after":
            if fault.chat_only and isinstance(chat_id, (int, str)):
                with self._lock:
                    self._flood.chat_bans[chat_id] = (now, now + fault.seconds)
                return _too_many(fault.seconds, chat_id)
            with self._lock:
                self._ban(now, fault.seconds)
            return _too_many(fault.seconds)
        if fault.kind == "migrate":
            description = "Bad Request: group chat was upgraded to a supergroup chat"
            return ApiError(400, description, {"migrate_to_chat_id": fault.new_chat_id})
        return ApiError(fault.status, fault.description)

    async def _sleep(self, seconds: float) -> None:
        assert self.closing is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.closing.wait(), timeout=min(seconds, 120))

    def _dispatch(self, method: str, params: dict[str, Any], now: float) -> Any:
        if method == "getme":
            return BOT_USER
        if method in ("deletewebhook", "close"):
            return True
        if method in _RATE_LIMITED:
            self._check_ban(now, params.get("chat_id"))
        if method == "setmycommands":
            commands = params.get("commands")
            self.commands_menu = commands if isinstance(commands, list) else []
            return True
        if method == "sendmessage":
            return self._send_message(params, now)
        if method == "editmessagetext":
            return self._edit_message(params, now)
        raise ApiError(404, "Not Found")

    def _check_ban(self, now: float, chat_id: Any = None) -> None:
        with self._lock:
            left = self._flood.banned_until - now
            # Requests already on their way when the 429 went out could not have known about it.
            in_flight = now - self._flood.banned_at <= IN_FLIGHT
            if left > 0 and not in_flight:
                self.early_calls += 1
            chat_ban = self._flood.chat_bans.get(chat_id) if isinstance(chat_id, (int, str)) else None
            chat_left = chat_ban[1] - now if chat_ban else 0.0
            if chat_left > 0 >= left:
                self.early_calls += 1  # one chat's requests go one at a time: none is in flight
        if left > 0:
            raise _too_many(left)
        if chat_left > 0:
            raise _too_many(chat_left, chat_id)

    def _ban(self, now: float, seconds: float) -> None:
        """Start a bot-wide flood wait (caller holds the lock)."""
        if now + seconds > self._flood.banned_until:
            self._flood.banned_until, self._flood.banned_at = now + seconds, now

    def _chat_checks(self, params: dict[str, Any]) -> int | str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, (int, str)) or isinstance(chat_id, bool) or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self.migrated:
            description = "Bad Request: group chat was upgraded to a supergroup chat"
            raise ApiError(400, description, {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id in self.missing:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _text(self, params: dict[str, Any]) -> tuple[str, str]:
        raw = params.get("text")
        raw = "" if raw is None else str(raw)
        text = parse_html(raw) if str(params.get("parse_mode", "")).lower() == "html" else raw
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return raw, text

    def _send_message(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        chat_id = self._chat_checks(params)
        raw, text = self._text(params)
        thread = params.get("message_thread_id")
        reply = params.get("reply_parameters")
        reply_to = reply.get("message_id") if isinstance(reply, dict) else params.get("reply_to_message_id")
        with self._lock:
            self._check_flood(chat_id, now)
            message = SentMessage(
                self._next_message, chat_id, text, raw, now, thread if isinstance(thread, int) else None,
                params.get("disable_notification") is True, reply_to if isinstance(reply_to, int) else None,
            )  # fmt: skip
            self._next_message += 1
            self.messages.append(message)
        return self._message_json(message)

    def _edit_message(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        chat_id = self._chat_checks(params)
        raw, text = self._text(params)
        with self._lock:
            for index, old in enumerate(self.messages):
                if old.chat_id == chat_id and old.message_id == params.get("message_id"):
                    if now - old.at > self.edit_window:
                        raise ApiError(400, "Bad Request: message can't be edited")
                    if old.html == raw:
                        raise ApiError(400, NOT_MODIFIED)
                    new = dataclasses.replace(old, text=text, html=raw, edits=old.edits + 1)
                    self.messages[index] = new
                    return {**self._message_json(new), "edit_date": int(time.time())}
        raise ApiError(400, "Bad Request: message to edit not found")

    def _message_json(self, message: SentMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id, "from": BOT_USER, "chat": _chat(message.chat_id),
            "date": int(time.time()), "text": message.text,
        }  # fmt: skip
        if message.message_thread_id is not None:
            body.update(message_thread_id=message.message_thread_id, is_topic_message=True)
        return body

    def _check_flood(self, chat_id: int | str, now: float) -> None:
        """Apply the flood limits (caller holds the lock); answer 429 and ban when exceeded."""
        limits, flood = self.limits, self._flood
        if limits is None:
            return
        slack = limits.tolerance
        waits = []
        last = flood.last.get(chat_id)
        if last is not None and now - last < limits.chat_interval - slack:
            waits.append(("chat", last + limits.chat_interval - now))
        group = (
            flood.groups.setdefault(chat_id, deque()) if (isinstance(chat_id, str) or chat_id < 0) else None
        )
        for rule, window, count, period in (
            ("group", group, limits.group_messages, limits.group_period),
            ("overall", flood.overall, limits.overall_messages, limits.overall_period),
        ):
            if window is None:
                continue
            while window and window[0] <= now - period + slack:
                window.popleft()
            if len(window) >= count:
                waits.append((rule, window[0] + period - now))
        if waits:
            self.flood_violations.extend((chat_id, rule, wait) for rule, wait in waits)
            seconds = max(1, math.ceil(max(wait for _, wait in waits)))
            self._ban(now, seconds)
            raise _too_many(seconds)
        flood.last[chat_id] = now
        flood.overall.append(now)
        if group is not None:
            group.append(now)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self.closing is not None
        with self._lock:
            if self.polling:
                self.conflicts += 1
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            self.polling += 1
        try:
            return await self._wait_for_updates(params)
        finally:
            with self._lock:
                self.polling -= 1

    async def _wait_for_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self.closing is not None
        offset = params.get("offset") or 0
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 60)
        while True:
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates)
            if pending or time.monotonic() >= deadline or self.closing.is_set():
                return pending[: int(params.get("limit") or 100)]
            await asyncio.sleep(0.02)


def _too_many(seconds: float, chat_id: int | str | None = None) -> ApiError:
    """429 with a whole-second ``retry_after``; ``chat_id``: it holds that chat only."""
    seconds = max(1, math.ceil(seconds))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}, chat_id)
