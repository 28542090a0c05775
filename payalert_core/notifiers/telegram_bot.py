"""The built-in ``telegram`` notifier: one HTML message per payment, sent by a Telegram bot.

Each configured destination (a user, group, supergroup, channel or forum topic) is a delivery
target, so the core keeps one ordered lane per chat. All requests of one bot pass through a
:class:`~.telegram_limits.FloodGate` that keeps Telegram's flood limits (about one message a second
per chat, 20 a minute per group, 30 a second in total) and, after a 429, holds every request of
the bot until ``retry_after`` has passed.

How failures map onto the core's contract:

* ``RetryAfter`` (429) -> :class:`RetryLater` with the same ``retry_after``; the bot pauses.
* ``ChatMigrated`` (a group became a supergroup) -> sent again to the new chat id, which is saved
  with ``runtime.save_state`` and used from then on, logged and shown in ``/health``.
* ``Forbidden`` (bot blocked or removed), ``BadRequest`` (chat not found, bad markup) and a
  rejected token -> :class:`PermanentFailure`, logged as an error; the core keeps the delivery
  for ``payalert retry-failed``.
* ``TimedOut`` and other ``NetworkError`` (connection refused, 5xx) -> :class:`RetryLater`.

The one duplicate window: when Telegram has accepted a message but its answer is lost (a read
timeout or a dropped connection after the request was written), we cannot tell that from a
request that never arrived, and the Bot API has no idempotency key, so the retry posts the alert
a second time. We prefer a rare duplicate to a lost alert. Long alerts are split into several
messages; parts already sent are not sent again when a later part is retried, also after a
permanent failure and ``retry-failed`` (within one run of the daemon).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from typing import Any

from telegram import LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from .. import Payment, PermanentFailure, RetryLater, StartupError, StatusUpdate
from .telegram import TelegramNotifier
from .telegram_commands import CommandResponder
from .telegram_config import Destination, TelegramConfig
from .telegram_format import AlertFormatter
from .telegram_limits import FloodGate, FloodWait, GateRateLimiter, Limits, retry_after_seconds

MIGRATIONS_KEY = "chat_migrations"
_MAX_MIGRATIONS = 3
_NOISY_LOGGERS = ("httpx", "httpcore", "telegram")


class TokenFilter(logging.Filter):
    """Replaces the bot token in log records (httpx logs request URLs, which contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message and any traceback text; never drops a record."""
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


class TelegramBotNotifier(TelegramNotifier):
    """Posts each payment to every configured Telegram chat and answers bot commands."""

    config: TelegramConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config = self.config
        self._token = config.token.get_secret_value()
        self._destinations = {destination.target: destination for destination in config.destinations}
        self.formatter = AlertFormatter(config.zone(), config.templates)
        limits = config.rate_limits
        self.gate = FloodGate(
            Limits(
                chat_interval=limits.chat_interval.total_seconds(),
                group_messages=limits.group_messages,
                group_period=limits.group_period.total_seconds(),
                overall_messages=limits.overall_messages,
                overall_period=limits.overall_period.total_seconds(),
            )
        )
        self.migrations: dict[str, int] = {}
        self._parts_sent: dict[tuple[str, str, str], int] = {}
        self._filter = TokenFilter(self._token)
        self._bot: ExtBot[None] | None = None
        self.commands: CommandResponder | None = None

    def targets(self) -> Sequence[str]:
        """One target per destination: ``chat_id`` or ``chat_id/topic``."""
        return list(self._destinations)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Check the token (when Telegram answers), restore chat migrations, start commands."""
        self._install_log_filter()
        saved = await self.runtime.load_state(MIGRATIONS_KEY) or {}
        self.migrations = {str(old): int(new) for old, new in saved.items()}
        if self.migrations:
            self.runtime.health.set(migrated_chats=dict(self.migrations))
        timeout = self.config.timeout.total_seconds()
        self._bot = ExtBot(
            self._token,
            base_url=f"{self.config.api_root}/bot",
            base_file_url=f"{self.config.api_root}/file/bot",
            request=HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout),
            rate_limiter=GateRateLimiter(self.gate),
        )
        try:
            await self._bot.initialize()
            self.log.info("sending as @%s to %d chat(s)", self._bot.username, len(self._destinations))
        except InvalidToken:
            await self._bot.shutdown()
            self._remove_log_filter()
            raise StartupError(
                f"notifiers.{self.name}: Telegram rejected the bot token; copy it again from @BotFather"
            ) from None
        except TelegramError as error:
            self.log.warning(
                "Telegram is not reachable yet (%s); alerts wait until it is", self._redact(error)
            )
            self.runtime.health.failed(f"Telegram not reachable: {self._redact(error)}")
        if self.config.commands and self.runtime.in_daemon:
            self.commands = CommandResponder(
                token=self._token,
                api_root=self.config.api_root,
                timeout=timeout,
                poll_timeout=self.config.poll_timeout.total_seconds(),
                gate=self.gate,
                runtime=self.runtime,
                formatter=self.formatter,
                allowed=self.is_allowed,
                log=self.log,
                redact=self._redact,
            )
            await self.commands.start()

    async def close(self) -> None:
        """Stop the command poller and close connections."""
        if self.commands is not None:
            await self.commands.close()
        if self._bot is not None:
            await self._bot.shutdown()
        self._remove_log_filter()

    # -- sending -----------------------------------------------------------------------------
    def render(self, payment: Payment, target: str) -> list[str]:
        """The HTML message texts for ``payment`` (one, or a few when it is long)."""
        return self.formatter.messages(payment)

    async def send(self, payment: Payment, target: str) -> None:
        """Send one payment to one destination as one message (or several when very long)."""
        destination = self._destinations.get(target)
        if destination is None:
            raise PermanentFailure(f"{target} is no longer a destination of notifier {self.name}")
        if self._bot is None:
            raise RetryLater("the Telegram notifier has not started")
        messages = self.render(payment, target)
        key = (target, payment.source, payment.external_id)
        silent = self._is_silent(payment, destination)
        for index in range(self._parts_sent.get(key, 0), len(messages)):
            sent = await self._send_text(destination, messages[index], silent)
            if index == 0 and payment.identity is not None:
                # Where this payment's later status changes will be shown (by editing it).
                where = {"chat_id": sent.chat_id, "message_id": sent.message_id}
                await self.runtime.save_state(_first_message_key(target, payment), where)
            self._parts_sent[key] = index + 1
        self._parts_sent.pop(key, None)
        self.runtime.health.succeeded()

    async def send_update(self, update: StatusUpdate, target: str) -> None:
        """Edit the payment's first message to show its new status (``editMessageText``).

        The chat keeps its order: nothing new is posted. A message Telegram no longer lets us
        edit (older than 48 hours, or deleted) gets a short reply naming the new status instead;
        when the first alert never reached this chat, the update is sent as a full alert.
        """
        destination = self._destinations.get(target)
        if destination is None:
            raise PermanentFailure(f"{target} is no longer a destination of notifier {self.name}")
        if self._bot is None:
            raise RetryLater("the Telegram notifier has not started")
        where = await self.runtime.load_state(_first_message_key(target, update.first))
        if not isinstance(where, dict):
            await self.send(update.payment, target)
            return
        chat_id, message_id = where["chat_id"], where["message_id"]
        messages = self.render(update.payment, target)
        if len(messages) == 1 and await self._edited(chat_id, message_id, messages[0]):
            self.runtime.health.succeeded()
            return
        line = html.escape(update.follow_up_line(self.formatter.zone), quote=False)
        await self._send_text(
            destination, line, self._is_silent(update.payment, destination), reply_to=message_id
        )
        self.runtime.health.succeeded()

    async def _edited(self, chat_id: int | str, message_id: int, text: str) -> bool:
        """Edit a sent message; False when Telegram no longer lets us (too old, deleted)."""
        assert self._bot is not None
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=not self.config.link_previews),
            )
        except BadRequest as error:
            said = str(error).lower()
            if "not modified" in said:
                return True  # already shows this text (an edit repeated after a lost answer)
            if "can't be edited" in said or "not found" in said:
                self.log.info("message %s in chat %s can no longer be edited; replying", message_id, chat_id)
                return False
            raise self._classify(error, chat_id) from None
        except TelegramError as error:
            raise self._classify(error, chat_id) from None
        return True

    async def _send_text(
        self, destination: Destination, text: str, silent: bool, reply_to: int | None = None
    ) -> Message:
        assert self._bot is not None
        reply = None if reply_to is None else ReplyParameters(reply_to, allow_sending_without_reply=True)
        for _ in range(_MAX_MIGRATIONS + 1):
            chat_id = self.chat_id(destination)
            try:
                return await self._bot.send_message(
                    chat_id=chat_id,
                    text=text,
                    parse_mode=ParseMode.HTML,
                    disable_notification=silent,
                    message_thread_id=destination.message_thread_id,
                    link_preview_options=LinkPreviewOptions(is_disabled=not self.config.link_previews),
                    reply_parameters=reply,
                )
            except ChatMigrated as migrated:
                await self._migrate(chat_id, int(migrated.new_chat_id))
            except TelegramError as error:
                raise self._classify(error, chat_id) from None
        raise PermanentFailure(f"chat {destination.chat_id} keeps moving to new chat ids")

    def _classify(self, error: TelegramError, chat_id: int | str) -> Exception:
        """The core's exception for a Telegram error (BadRequest and TimedOut are NetworkErrors)."""
        reason = self._redact(error)
        if isinstance(error, FloodWait):
            return RetryLater("Telegram flood wait in progress", retry_after=retry_after_seconds(error))
        if isinstance(error, RetryAfter):
            seconds = retry_after_seconds(error)
            self.log.warning("Telegram asked to wait %ss (429): pausing every request of this bot", seconds)
            self.runtime.health.failed(f"rate limited by Telegram for {seconds}s")
            return RetryLater(f"Telegram rate limit (retry after {seconds}s)", retry_after=seconds)
        if isinstance(error, (Forbidden, BadRequest, InvalidToken)):
            what = "rejected the bot token" if isinstance(error, InvalidToken) else f"refused chat {chat_id}"
            message = f"Telegram {what}: {reason}"
            self.log.error("%s; the alert is kept as failed, fix it and run `payalert retry-failed`", message)
            self.runtime.health.failed(message)
            return PermanentFailure(message)
        if isinstance(error, TimedOut):
            message = f"Telegram timed out ({reason}); the alert may already be there and will be sent again"
        elif isinstance(error, NetworkError):
            message = f"Telegram not reachable: {reason}"
        else:
            message = f"Telegram error: {reason}"
        self.runtime.health.failed(message)
        return RetryLater(message)

    async def _migrate(self, old: int | str, new: int) -> None:
        self.migrations[str(old)] = new
        await self.runtime.save_state(MIGRATIONS_KEY, dict(self.migrations))
        self.runtime.health.set(migrated_chats=dict(self.migrations))
        self.log.warning(
            "chat %s was upgraded to supergroup %s; sending there from now on (update destinations)", old, new
        )

    def chat_id(self, destination: Destination) -> int | str:
        """Where a destination's messages go now, following saved migrations."""
        chat_id: int | str = destination.chat_id
        for _ in range(_MAX_MIGRATIONS + 1):
            moved = self.migrations.get(str(chat_id))
            if moved is None or moved == chat_id:
                break
            chat_id = moved
        return chat_id

    def _is_silent(self, payment: Payment, destination: Destination) -> bool:
        kinds = self.config.silent_kinds
        return (
            destination.silent
            or payment.source in self.config.silent_sources
            or any(payment.kind == kind or payment.kind.startswith(kind + ".") for kind in kinds)
        )

    # -- commands access ---------------------------------------------------------------------
    def is_allowed(self, chat_id: int, chat_username: str | None, user_id: int | None) -> bool:
        """May this chat or user use commands? Default: the destinations (and their new ids)."""
        if user_id is not None and user_id in self.config.allowed_users:
            return True
        if self.config.allowed_chats is not None:
            chats: list[int | str] = list(self.config.allowed_chats)
        else:
            chats = [destination.chat_id for destination in self.config.destinations]
        chats += [self.migrations[str(chat)] for chat in chats if str(chat) in self.migrations]
        if chat_id in chats:
            return True
        return chat_username is not None and f"@{chat_username}".lower() in {str(c).lower() for c in chats}

    # -- secrets -----------------------------------------------------------------------------
    def _redact(self, error: object) -> str:
        return str(error).replace(self._token, "<token>")

    def _install_log_filter(self) -> None:
        # The daemon's handler redacts configured secrets too; this also covers library use.
        for logger in _loggers():
            logger.addFilter(self._filter)

    def _remove_log_filter(self) -> None:
        for logger in _loggers():
            logger.removeFilter(self._filter)


def _first_message_key(target: str, payment: Payment) -> str:
    """Where the state keeps the message that showed a payment's first alert in one destination."""
    return f"first_message/{target}/{payment.source}/{payment.identity}"


def _loggers() -> list[logging.Logger]:
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if name in _NOISY_LOGGERS or name.startswith(tuple(f"{prefix}." for prefix in _NOISY_LOGGERS))
    ]
    return [logging.getLogger(name) for name in {*names, *_NOISY_LOGGERS}]


__all__ = ["TelegramBotNotifier", "TokenFilter"]
