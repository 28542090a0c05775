"""Bot commands (/start, /help, /status, /last N) answered by long polling in the daemon's loop.

Only configured chats and users get answers; anyone else gets one short refusal (at most one per
chat per minute, so a stranger cannot make the bot spend its flood budget) and every refusal is
logged. The poller starts in the background and retries while Telegram is unreachable, so an
outage never holds up the daemon's start. Telegram allows one ``getUpdates`` consumer per bot, so
with several nodes on one store the poller runs on one node at a time (``run_exclusively``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from .. import NotifierRuntime
from .telegram_format import AlertFormatter, escape
from .telegram_html import split_html
from .telegram_limits import FloodGate, GateRateLimiter

LAST_DEFAULT = 5
LAST_MAX = 50
REFUSAL = "Sorry, this bot answers only the chats it was set up for."
REFUSAL_EVERY = 60.0
_RETRY_START = (1, 2, 5, 10, 30, 60)

HELP = (
    "<b>payalert</b> posts one alert per payment here.\n\n"
    "/status: health of each source, pending and failed deliveries, latest payments\n"
    "/last N: the N newest payments (default 5, at most 50)\n"
    "/help: this message"
)
MENU = [
    BotCommand("status", "Sources, deliveries and latest payments"),
    BotCommand("last", "The newest payments: /last 10"),
    BotCommand("help", "What this bot does"),
]


class CommandResponder:
    """Runs a python-telegram-bot Application with an Updater for one notifier."""

    def __init__(
        self,
        *,
        token: str,
        api_root: str,
        timeout: float,
        poll_timeout: float,
        gate: FloodGate,
        runtime: NotifierRuntime,
        formatter: AlertFormatter,
        allowed: Callable[[int, str | None, int | None], bool],
        log: logging.Logger,
        redact: Callable[[str], str],
    ) -> None:
        self.runtime = runtime
        self.formatter = formatter
        self.allowed = allowed
        self.log = log
        self.redact = redact
        self.poll_timeout = poll_timeout
        self.application: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_root}/bot")
            .base_file_url(f"{api_root}/file/bot")
            .request(HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout))
            .get_updates_request(
                HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)
            )
            # An answer refused by a flood limit (another node may have just written to the chat
            # before handing the poller over) goes out once the limit allows, not never.
            .rate_limiter(GateRateLimiter(gate, retries_after_429=1))
            .job_queue(None)
            .build()
        )
        self.application.add_handler(CommandHandler(["start", "help"], self._help))
        self.application.add_handler(CommandHandler("status", self._status))
        self.application.add_handler(CommandHandler("last", self._last))
        self.application.add_handler(MessageHandler(filters.COMMAND, self._help))
        self.application.add_error_handler(self._on_error)
        self._task: asyncio.Task[None] | None = None
        self._refused_at: dict[int, float] = {}
        self.polling = asyncio.Event()

    async def start(self) -> None:
        """Start polling in the background, on the node that holds the poller (retrying while
        Telegram cannot be reached)."""
        self._task = asyncio.create_task(
            self.runtime.run_exclusively("commands", self._serve), name="telegram-commands"
        )

    async def close(self) -> None:
        """Stop polling, let running handlers finish, and release connections."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self._stop_polling()
            await self.application.shutdown()
        except TelegramError as error:
            self.log.warning("stopping the command poller: %s", self.redact(str(error)))

    async def _serve(self) -> None:
        """Poll until cancelled (at close, or when another node takes the poller over)."""
        try:
            await self._start_polling()
            await asyncio.Event().wait()
        finally:
            self.polling.clear()
            try:
                await self._stop_polling()
            except TelegramError as error:
                self.log.warning("stopping the command poller: %s", self.redact(str(error)))

    async def _stop_polling(self) -> None:
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()

    async def _start_polling(self) -> None:
        application = self.application
        for attempt in range(10_000):
            try:
                await application.initialize()
                await application.updater.start_polling(  # type: ignore[union-attr]
                    timeout=timedelta(seconds=self.poll_timeout),
                    allowed_updates=[Update.MESSAGE],
                    error_callback=self._on_poll_error,
                )
                await application.start()
                break
            except InvalidToken:
                self.log.error("commands are off: Telegram rejected the bot token")
                return
            except (NetworkError, TelegramError) as error:
                delay = _RETRY_START[min(attempt, len(_RETRY_START) - 1)]
                self.log.warning(
                    "command poller cannot start yet (%s); retrying in %ss", self.redact(str(error)), delay
                )
                await asyncio.sleep(delay)
        self.polling.set()
        self.log.info("answering commands by long polling")
        try:
            await application.bot.set_my_commands(MENU)
        except TelegramError as error:
            self.log.warning("could not set the command menu: %s", self.redact(str(error)))

    def _on_poll_error(self, error: TelegramError) -> None:
        self.log.warning("polling for commands failed: %s", self.redact(str(error)))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.log.warning("answering a command failed: %s", self.redact(str(context.error)))

    # -- access ------------------------------------------------------------------------------
    async def _admit(self, update: Update) -> bool:
        chat, user, message = update.effective_chat, update.effective_user, update.effective_message
        if chat is None or message is None:
            return False
        if self.allowed(chat.id, chat.username, user.id if user else None):
            return True
        who = f"user {user.id}" if user else "an unknown sender"
        self.log.warning("refused %r from %s in chat %s", (message.text or "")[:40], who, chat.id)
        now = time.monotonic()
        if now - self._refused_at.get(chat.id, -REFUSAL_EVERY) >= REFUSAL_EVERY:
            self._refused_at[chat.id] = now
            await message.reply_text(REFUSAL, do_quote=False)
        return False

    async def _reply(self, update: Update, html: str) -> None:
        message = update.effective_message
        assert message is not None
        for chunk in split_html(html):
            await message.reply_text(chunk, parse_mode=ParseMode.HTML, do_quote=False)

    # -- commands ----------------------------------------------------------------------------
    async def _help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self._admit(update):
            await self._reply(update, HELP)

    async def _status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._admit(update):
            return
        document = await self.runtime.status()
        recent = await self.runtime.recent_payments(LAST_DEFAULT)
        await self._reply(update, status_text(document, recent, self.formatter))

    async def _last(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._admit(update):
            return
        args = context.args or []
        if len(args) > 1 or (args and not (args[0].isdigit() and 1 <= int(args[0]) <= LAST_MAX)):
            await self._reply(update, f"Usage: /last N, where N is 1 to {LAST_MAX}.")
            return
        count = int(args[0]) if args else LAST_DEFAULT
        payments = await self.runtime.recent_payments(count)
        lines = [self.formatter.compact(payment) for payment in payments] or ["No payments yet."]
        await self._reply(update, f"<b>Last {len(payments)} payments</b>\n" + "\n".join(lines))


def status_text(document: dict[str, Any], recent: Iterable[Any], formatter: AlertFormatter) -> str:
    """The /status answer, built from the /health document and the newest payments."""
    overall = document.get("status", "unknown")
    lines = [f"{'✅' if overall == 'ok' else '⚠️'} <b>payalert: {escape(overall)}</b>"]
    for section in ("sources", "notifiers"):
        components = document.get(section) or {}
        if components:
            lines += ["", f"<b>{section.capitalize()}</b>"]
        for name, info in components.items():
            lines.append(_component_line(name, info if isinstance(info, dict) else {}, formatter))
    deliveries = document.get("deliveries") or {}
    lines += [
        "",
        f"Deliveries: {int(deliveries.get('pending', 0))} pending, {int(deliveries.get('failed', 0))} failed",
    ]
    recent_lines = [formatter.compact(payment) for payment in recent]
    if recent_lines:
        lines += ["", "<b>Latest payments</b>", *recent_lines]
    return "\n".join(lines)


def _component_line(name: str, info: dict[str, Any], formatter: AlertFormatter) -> str:
    parts = [f"{'✅' if info.get('healthy', True) else '⚠️'} {escape(name)}"]
    if info.get("problem"):
        parts.append(escape(info["problem"]))
    if "pending" in info or "failed" in info:
        parts.append(f"{int(info.get('pending', 0))} pending, {int(info.get('failed', 0))} failed")
    success, failure = _when(info.get("last_success")), _when(info.get("last_failure"))
    if success is not None:
        parts.append(f"last ok {escape(formatter.short_time(success))}")
    if info.get("last_error") and (success is None or failure is None or failure >= success):
        parts.append(f"last error: {escape(info['last_error'])}")
    return " · ".join(parts)


def _when(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
