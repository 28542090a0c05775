"""Base class for notifiers: where alerts go."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Protocol

from .configtypes import NotifierConfig
from .formatting import format_plain
from .lifecycle import StatusUpdate
from .model import Payment
from .source import ComponentHealth


class NotifierRuntime(Protocol):
    """The core's side of a notifier: state, reporting and a read-only view of the daemon."""

    @property
    def health(self) -> ComponentHealth:
        """Where this notifier reports its state for ``/health``."""

    @property
    def in_daemon(self) -> bool:
        """True inside ``payalert run``; False in one-shot commands such as ``test-notify``."""

    async def load_state(self, key: str) -> Any:
        """A JSON value this notifier saved earlier under ``key``, or None."""

    async def save_state(self, key: str, value: Any) -> None:
        """Durably save a JSON value (e.g. a migrated chat id)."""

    async def status(self) -> dict[str, Any]:
        """The same document ``GET /health`` returns."""

    async def recent_payments(self, limit: int) -> list[Payment]:
        """The newest stored payments, newest first."""

    async def run_exclusively(self, job: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work()`` on one node at a time, for something only one consumer may do (Telegram's
        ``getUpdates``). With several nodes on one store it runs on the node holding ``job``, is
        cancelled if that node loses it, and starts on another; alone, it simply runs. Returns when
        ``work`` returns; cancel it to stop.

        .. versionadded:: 0.2
        """


class Notifier:
    """Sends alerts somewhere. The core runs one ordered delivery lane per target."""

    #: The ``type:`` users write in ``config.yaml``.
    type_name: ClassVar[str]
    #: The pydantic model of this notifier's config section.
    Config: ClassVar[type[NotifierConfig]] = NotifierConfig

    def __init__(self, name: str, config: NotifierConfig, runtime: NotifierRuntime) -> None:
        self.name = name
        self.config = config
        self.runtime = runtime
        self.log = logging.getLogger(f"payalert.notifier.{name}")

    @classmethod
    def create(cls, name: str, config: NotifierConfig, runtime: NotifierRuntime) -> Notifier:
        """Make the instance for one config entry.

        The default is ``cls(name, config, runtime)``. Override it to import heavy libraries only
        when an entry of this type is configured (the class itself is loaded at every start-up).
        """
        return cls(name, config, runtime)

    def targets(self) -> Sequence[str]:
        """Independent destinations (e.g. chat ids); each gets its own delivery row and lane."""
        return ("default",)

    async def start(self) -> None:
        """Called once before the first send; raise StartupError to refuse."""

    def render(self, payment: Payment, target: str) -> Any:
        """The alert for ``payment`` as this notifier sends it (text, a message object…), built without I/O.

        The core calls it before every :meth:`send`. An exception raised here means the payment
        cannot be shown: retrying cannot change that, so the delivery fails at once (listed by
        ``payalert deliveries``) and the core sends :func:`~payalert_core.fallback_alert` instead,
        a plain notice that a payment arrived and could not be shown; later alerts keep flowing.
        The default renders the core's plain text (:func:`~payalert_core.format_plain`); override
        it with the formatting :meth:`send` really does, and let ``send`` call it. It must be
        pure and cheap: it may run more than once per delivery.
        """
        return format_plain(payment)

    async def send(self, payment: Payment, target: str) -> None:
        """Deliver one alert to one target.

        Return on success. Raise :class:`~payalert_core.RetryLater` for a temporary failure
        (optionally with ``retry_after``) and :class:`~payalert_core.PermanentFailure` when retrying
        cannot help. Any other exception is treated as temporary: keep formatting in
        :meth:`render`, where an error is known to be permanent.
        """
        raise NotImplementedError

    async def send_update(self, update: StatusUpdate, target: str) -> None:
        """Deliver a status change of a payment already alerted (a deposit credited after pending).

        ``update.payment`` is the new alert, ``update.first`` the first alert of the same payment.
        The default sends one short follow-up line naming the first alert
        (``✔ credited: +0.001 BNB deposit from 14:02``) through :meth:`send`; a notifier that can
        change a sent message (Telegram) overrides this to edit it instead. Failures are reported
        as for :meth:`send`.
        """
        await self.send(update.follow_up(), target)

    async def close(self) -> None:
        """Called once at shutdown, after the last send."""
