"""Wiring: store, notifiers and delivery, sources and scheduling, the HTTP server, signals."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
from datetime import datetime
from typing import Any, cast

from aiohttp import web

from .catchup import CatchUp
from .config import Config, load_config
from .connections import ConnectionLimit, LimitedTCPSite
from .datadirlock import DataDirLock
from .delivery import DeliveryService, LaneWorker
from .digest import DigestSender
from .errors import ConfigError, UserError
from .health import HealthRecord, health_document
from .logs import configure_logging
from .metrics import Metrics
from .notifier import Notifier
from .plugins import Plugins
from .runtime import NotifierRuntimeImpl, SourceRuntimeImpl, SourceServices
from .scheduling import PollScheduler, StreamSupervisor
from .server import build_app
from .source import PolledSource, PushSource, Source, StreamSource
from .statuspage.access import SessionBook
from .statuspage.routes import StatusPage
from .store import Lane, store_for

log = logging.getLogger("payalert.daemon")
#: The longest time deliveries wait, after a downtime, for every polled source's first poll.
CATCH_UP_WAIT_SECONDS = 60.0

#: Seconds to keep reading (and ignoring) the unread rest of a body after answering, before closing.
LINGER_SECONDS = 2.0


class Daemon:
    """One running payalert: build with a validated config, then ``await run()``.

    The store and metrics live as long as the process; everything built from the config
    (notifiers, sources, schedules, the HTTP server) is rebuilt when SIGHUP reloads it.
    """

    def __init__(self, config: Config, plugins: Plugins) -> None:
        self.config = config
        self.plugins = plugins
        self.data_dir_lock = DataDirLock(config.data_dir)
        self.store = store_for(config, keep_reserve=True)
        self.metrics = Metrics()
        self.runner: web.AppRunner | None = None
        self.stop_requested = asyncio.Event()
        self.reload_requested = asyncio.Event()
        self.port: int | None = None
        self.status_sessions = SessionBook()  # logins to the status page outlive config reloads
        self.catch_up = CatchUp(self.store, config.settings.catch_up_after.total_seconds())
        self._first_start = True
        self._heartbeat: asyncio.Task | None = None
        self._catching_up: asyncio.Task | None = None
        self._reset_components()

    def _reset_components(self) -> None:
        self.delivery = DeliveryService()
        self.scheduler = PollScheduler(self.metrics, self.store.coordination)
        self.streams: list[StreamSupervisor] = []
        self.notifiers: dict[str, Notifier] = {}
        self.sources: dict[str, Source] = {}
        self.source_health: dict[str, HealthRecord] = {}
        self.notifier_health: dict[str, HealthRecord] = {}
        self.lanes: list[Lane] = []

    async def status(self) -> tuple[int, dict[str, Any]]:
        """HTTP status and body of /health."""
        counts = await self.store.delivery_counts()
        store = {**self.store.write_health(), **self.store.describe()}
        return health_document(self.source_health, self.notifier_health, counts, store)

    def next_poll(self, source: str) -> datetime | None:
        """When a polled source runs next (None for push and stream sources)."""
        return self.scheduler.next_run(source)

    def _status_page(self) -> StatusPage | None:
        settings = self.config.settings.status_page
        if not settings.enabled:
            return None
        return StatusPage(self, settings, self.status_sessions, self.config.redact, self.delivery.wake)

    async def metrics_text(self) -> bytes:
        """Body of /metrics."""
        return self.metrics.render(await self.store.delivery_counts())

    def build_components(self) -> None:
        """Instantiate notifiers and sources from the config (no I/O)."""
        for name, notifier_config in self.config.notifiers.items():
            health = HealthRecord("notifier", failing_is_unhealthy=True)
            notifier_runtime = NotifierRuntimeImpl(name, self.store, health, self.status)
            notifier = self.plugins.notifiers[notifier_config.type].create(
                name, notifier_config, notifier_runtime
            )
            self.notifiers[name] = notifier
            self.notifier_health[name] = health
        services = SourceServices.create(
            self.store, self.lanes, self.plugins.manager, self.metrics, self.delivery.wake
        )
        for name, section in self.config.sources.items():
            cls = self.plugins.sources[section.type]
            health = HealthRecord(cls.kind, cls.stale_after(section))
            self.sources[name] = cls.create(name, section, SourceRuntimeImpl(name, section, health, services))
            self.source_health[name] = health

    async def start(self) -> None:
        """Take the data directory, open the store, then start everything the config describes."""
        self.data_dir_lock.acquire()
        await self.store.open()
        self.store.on_outbox_change(lambda: self.delivery.wake())
        await self.start_components()
        self._heartbeat = asyncio.create_task(self.catch_up.keep_beating(self.stop_requested.is_set))

    async def start_components(self) -> None:
        """Start notifiers and sources, then the server, deliveries and schedules."""
        self._reset_components()
        self.build_components()
        for name, notifier in self.notifiers.items():
            await notifier.start()
            for target in notifier.targets():
                lane = Lane(name, str(target))
                self.lanes.append(lane)
                self.delivery.add(
                    LaneWorker(
                        lane,
                        notifier,
                        self.store,
                        self.config.settings.delivery,
                        self.metrics,
                        self.notifier_health[name],
                    )
                )
        for source in self.sources.values():
            await source.start()
        await self._start_server()
        down = self._first_start and await self.catch_up.begin(self.lanes)
        self._first_start = False
        if down:  # the catch-up line goes first: deliveries wait for the first polls
            self._catching_up = asyncio.create_task(self._finish_catch_up())
        else:
            self.delivery.start()
        for name, source in self.sources.items():
            if source.kind == "polled":
                self.scheduler.add(cast(PolledSource, source), self.source_health[name])
            elif source.kind == "stream":
                supervisor = StreamSupervisor(
                    cast(StreamSource, source), self.source_health[name], self.store.coordination
                )
                self.streams.append(supervisor)
                supervisor.start()
        for name, notifier in self.notifiers.items():
            if notifier.config.digest is not None:
                lanes = [lane for lane in self.lanes if lane.notifier == name]
                digest = DigestSender(
                    name, notifier.config.digest, self.store, lanes, self.delivery.wake, self.status
                )
                digest.schedule(self.scheduler.scheduler)
                await digest.send_due(catching_up=True)  # a digest missed while payalert was down
        self.scheduler.start()
        log.info(
            "payalert listening on http://%s:%s with %d source(s) and %d notifier(s)",
            self.config.settings.server.host,
            self.port,
            len(self.sources),
            len(self.notifiers),
        )

    async def _finish_catch_up(self) -> None:
        polled = [self.source_health[n] for n, s in self.sources.items() if isinstance(s, PolledSource)]
        await self.catch_up.finish(polled, CATCH_UP_WAIT_SECONDS)
        self.delivery.start()

    async def _start_server(self) -> None:
        server = self.config.settings.server
        push_sources = [cast(PushSource, source) for source in self.sources.values() if source.kind == "push"]
        access = self.config.settings.health
        connections = ConnectionLimit.for_open_files()
        app = build_app(
            self.status,
            self.metrics_text,
            push_sources,
            server.max_body_bytes,
            token=access.token.get_secret_value() if access.token else None,
            protect_metrics=access.protect_metrics,
            body_timeout=server.body_timeout.total_seconds(),
            connections=connections,
            status_page=self._status_page(),
        )
        # aiohttp's keep-alive timer runs from the moment a connection opens (and again after each
        # answer) and closes it if no complete request has arrived: it bounds the time to send headers.
        self.runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=server.shutdown_grace.total_seconds(),
            keepalive_timeout=server.header_timeout.total_seconds(),
            lingering_time=LINGER_SECONDS,
        )
        await self.runner.setup()
        site = LimitedTCPSite(self.runner, server.host, server.port, connections)
        try:
            await site.start()
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(
                    f"server.port: {server.port} is already in use; choose another port"
                ) from None
            raise UserError(
                f"server: cannot listen on {server.host}:{server.port} ({error.strerror})"
            ) from None
        self.port = site.port

    async def stop(self) -> None:
        """Graceful stop: no new requests, in-flight ingests finish, sends get a bounded time, store closes."""
        grace = self.config.settings.server.shutdown_grace.total_seconds()
        log.info("stopping: finishing in-flight requests and sends (up to %.0fs)", grace)
        await self.stop_components()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            try:
                await self.catch_up.beat()  # a clean stop: the downtime starts now
            except Exception as error:
                log.warning("saving the heartbeat at stop failed (%s)", error)
        await self.store.close()
        self.data_dir_lock.release()
        log.info("stopped")

    async def stop_components(self) -> None:
        """Stop the server, schedules, streams and deliveries (each within the grace), then close all."""
        grace = self.config.settings.server.shutdown_grace.total_seconds()
        if self._catching_up is not None:
            self._catching_up.cancel()
            await asyncio.gather(self._catching_up, return_exceptions=True)
            self._catching_up = None
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        await self.scheduler.stop(grace)
        for supervisor in self.streams:
            await supervisor.stop()
        await self.delivery.stop(grace)
        components: list[Source | Notifier] = [*self.sources.values(), *self.notifiers.values()]
        for component in components:
            try:
                await component.close()
            except Exception:
                log.exception("closing %s failed", component.name)

    async def reload(self) -> bool:
        """Re-read the config file and restart everything built from it; the store stays open.

        Pending deliveries live in the store, so none is lost. A config that does not validate,
        or that moves the data directory, is refused and the running one kept; a new config that
        fails to start (a port in use, a source refusing) is undone by starting the old one again.
        """
        old = self.config
        try:
            new = load_config(old.path, self.plugins)
        except ConfigError as error:
            log.error("config reload refused, keeping the running config:\n%s", error)
            return False
        if new.store_path != old.store_path:
            log.error(
                "config reload refused, keeping the running config: data_dir cannot change "
                "while running (%s); restart payalert to move it",
                new.data_dir,
            )
            return False
        configure_logging(new.settings.log_level, old.secrets | new.secrets)
        log.info("reloading %s", new.path)
        await self.stop_components()
        self.config = new
        try:
            await self.start_components()
        except Exception as error:  # whatever refused to start, the old config ran a moment ago
            log.error("the reloaded config failed to start (%s); going back to the previous one", error)
            await self.stop_components()
            self.config = old
            await self.start_components()
            return False
        log.info("config reloaded")
        return True

    async def run(self) -> None:
        """Start, then serve until SIGTERM or SIGINT; SIGHUP reloads the config in between."""
        loop = asyncio.get_running_loop()
        for signum, event in (
            (signal.SIGTERM, self.stop_requested),
            (signal.SIGINT, self.stop_requested),
            (signal.SIGHUP, self.reload_requested),
        ):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, event.set)
        self.data_dir_lock.acquire()  # before anything starts: a second daemon leaves at once
        try:
            await self.start()
            while not self.stop_requested.is_set():
                await _first_of(self.stop_requested, self.reload_requested)
                if self.reload_requested.is_set() and not self.stop_requested.is_set():
                    self.reload_requested.clear()
                    await self.reload()
        finally:
            await self.stop()


async def _first_of(*events: asyncio.Event) -> None:
    """Wait until any of ``events`` is set."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
