"""Base classes for sources: polled, push (webhooks) and stream (long-running)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, Protocol

from .configtypes import PolledSourceConfig, SourceConfig, StreamSourceConfig
from .model import Payment

if TYPE_CHECKING:
    import pluggy
    from aiohttp import web

#: How the daemon drives a source: scheduled polls, HTTP routes, or a supervised long-running task.
SourceKind = Literal["polled", "push", "stream"]
#: A polled source is unhealthy after this many intervals without a successful poll.
STALE_INTERVALS = 3


class IngestResult(NamedTuple):
    """What happened to a batch handed to :meth:`Source.ingest`."""

    stored: int = 0
    duplicates: int = 0
    filtered: int = 0
    #: Payments another source or message told first (see :class:`~payalert_core.PaymentMatch`): kept, not alerted.
    repeats: int = 0


class ComponentHealth(Protocol):
    """What a source or notifier tells ``/health`` about itself."""

    def succeeded(self) -> None:
        """Record a successful poll, request or connection."""

    def failed(self, error: str) -> None:
        """Record a failure with a one-line reason (no secrets)."""

    def set(self, **info: Any) -> None:
        """Add or replace extra JSON-able fields shown in ``/health`` (e.g. ``connection="idle"``)."""

    def set_connected(self, connected: bool) -> None:
        """For streams and long connections: ``False`` makes ``/health`` answer 503."""


class SourceRuntime(Protocol):
    """The core's side of a source: storage, state and reporting."""

    @property
    def health(self) -> ComponentHealth:
        """Where this source reports its state for ``/health``."""

    async def ingest(
        self, payments: Sequence[Payment], cursors: Mapping[str, Any] | None = None
    ) -> IngestResult:
        """Store payments and cursors in one durable transaction; return after the commit."""

    async def load_state(self, key: str = "cursor") -> Any:
        """The JSON value last saved under ``key`` (through ``ingest``'s cursors), or None."""

    def count(self, event: str) -> None:
        """Increment ``payalert_source_events_total{source=…, event=…}`` in ``/metrics``."""

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The loaded plugins, to call a hook a plugin declared itself (e.g. parser registration)."""


class Source:
    """A place payments come from. Subclass one of the three kinds below, not this."""

    #: The ``type:`` users write in ``config.yaml``.
    type_name: ClassVar[str]
    #: The pydantic model of this source's config section.
    Config: ClassVar[type[SourceConfig]] = SourceConfig
    #: How the daemon drives it: ``"polled"``, ``"push"`` or ``"stream"`` (set by the three kinds below).
    kind: ClassVar[SourceKind]

    @classmethod
    def stale_after(cls, config: SourceConfig) -> float | None:
        """Seconds without a success after which ``/health`` calls this source stale (None: never)."""
        return None

    def __init__(self, name: str, config: SourceConfig, runtime: SourceRuntime) -> None:
        self.name = name
        self.config = config
        self.runtime = runtime
        self.log = logging.getLogger(f"payalert.source.{name}")

    @classmethod
    def create(cls, name: str, config: SourceConfig, runtime: SourceRuntime) -> Source:
        """Make the instance for one config entry (override to defer heavy imports, as notifiers can)."""
        return cls(name, config, runtime)

    async def start(self) -> None:
        """Called once before the first poll, request or run; raise StartupError to refuse."""

    async def close(self) -> None:
        """Called once at shutdown; release connections."""

    async def ingest(
        self, payments: Sequence[Payment], cursors: Mapping[str, Any] | None = None
    ) -> IngestResult:
        """Store ``payments`` and advance ``cursors`` atomically (shortcut for the runtime)."""
        return await self.runtime.ingest(payments, cursors)

    async def load_state(self, key: str = "cursor") -> Any:
        """The cursor or state saved under ``key``, or None on a first run."""
        return await self.runtime.load_state(key)


class PolledSource(Source):
    """A source the core polls at ``interval`` (with jitter), one run at a time.

    Raise :class:`~payalert_core.RetryLater` to ask for the next run no sooner than
    ``retry_after``; any other exception is logged and retried with exponential backoff.
    """

    Config: ClassVar[type[SourceConfig]] = PolledSourceConfig
    kind: ClassVar[SourceKind] = "polled"

    @classmethod
    def stale_after(cls, config: SourceConfig) -> float | None:
        """Unhealthy after :data:`STALE_INTERVALS` intervals without a successful poll."""
        if not isinstance(config, PolledSourceConfig):
            return None
        return STALE_INTERVALS * config.interval.total_seconds()

    async def poll(self) -> None:
        """Fetch what is new and ``ingest`` it together with the advanced cursor."""
        raise NotImplementedError


class PushSource(Source):
    """A source that receives HTTP requests (webhooks) under ``/hooks/<source-name>/``.

    Handlers must ``await self.ingest(...)`` before answering 2xx: the answer then means stored.
    A handler runs once the whole body has arrived (within ``server.body_timeout``, else the
    client got 408): ``await request.read()`` returns it at once.
    """

    kind: ClassVar[SourceKind] = "push"

    def add_routes(self, app: web.Application) -> None:
        """Add this source's routes to ``app.router``; each is served under ``/hooks/<name>``.

        ``app`` only collects routes (its middlewares and signals are not used): ``"/"`` becomes
        ``/hooks/<name>/`` (and ``/hooks/<name>``), ``"/events"`` becomes ``/hooks/<name>/events``.
        """
        raise NotImplementedError


class StreamSource(Source):
    """A long-running task (IMAP IDLE, a websocket); restarted with backoff when it stops."""

    Config: ClassVar[type[SourceConfig]] = StreamSourceConfig
    kind: ClassVar[SourceKind] = "stream"

    @classmethod
    def stale_after(cls, config: SourceConfig) -> float | None:
        """The section's ``stale_after``, when set."""
        stale_after = config.stale_after if isinstance(config, StreamSourceConfig) else None
        return stale_after.total_seconds() if stale_after is not None else None

    async def run(self) -> None:
        """Run until cancelled; report connection state through ``runtime.health``."""
        raise NotImplementedError
