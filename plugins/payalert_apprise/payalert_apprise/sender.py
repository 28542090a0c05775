"""The ``apprise`` notifier at work: one Apprise object per URL, sent to without blocking the loop.

Apprise's ``async_notify`` runs each service's blocking send (``requests``, ``smtplib``…) in its own
worker threads and awaits them, so the daemon's event loop keeps serving webhooks, ``/health`` and
other lanes while a slow service answers. Each URL gets its own ``Apprise`` object holding just that
service, so one lane's send never touches another destination, and the service object lives as long
as the daemon (Apprise keeps per-service state such as Discord's rate-limit window and a service's
polite minimum gap between two requests on it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import apprise

from payalert_core import NotifierRuntime, Payment, PermanentFailure, StartupError

from .config import AppriseNotifierConfig
from .logbridge import install
from .notifier import AppriseNotifier
from .outcome import failure_for
from .render import Message, MessageRenderer
from .urls import instantiate, new_asset, secret_fragments, target_names


class AppriseSender(AppriseNotifier):
    """Sends each payment to every configured Apprise URL, one lane per URL."""

    config: AppriseNotifierConfig

    def __init__(self, name: str, config: AppriseNotifierConfig, runtime: NotifierRuntime) -> None:
        super().__init__(name, config, runtime)
        urls = [url.get_secret_value() for url in config.urls]
        install(fragment for url in urls for fragment in secret_fragments(url))
        asset = new_asset()
        services = []
        for index, url in enumerate(urls):
            try:
                services.append(instantiate(url, asset))
            except ValueError as error:  # validated at load time, so only if Apprise changed under us
                raise StartupError(f"notifiers.{name}.urls.{index}: {error}") from None
        self._lanes: dict[str, apprise.Apprise] = {}
        self._fan_out: dict[str, int] = {}
        for target, service in zip(target_names(services), services, strict=True):
            lane = apprise.Apprise(asset=asset)
            lane.add(service)
            self._lanes[target] = lane
            self._fan_out[target] = len(service)
        self._renderer = MessageRenderer(config.format, config.zone())
        self._timeout = config.timeout.total_seconds()

    def targets(self) -> Sequence[str]:
        """One target per URL, named by its scheme and host only."""
        return list(self._lanes)

    async def start(self) -> None:
        """Report the lanes in ``/health``; warn about URLs that reach several recipients at once."""
        self.runtime.health.set(targets=list(self._lanes), apprise_version=apprise.__version__)
        for target, fan_out in self._fan_out.items():
            if fan_out > 1:
                self.log.warning(
                    "%s sends to %d recipients in one call; a retry after a partial failure repeats the"
                    " alert to those that got it (give each recipient its own URL to avoid that)",
                    target,
                    fan_out,
                )

    def render(self, payment: Payment, target: str) -> Message:
        """The title, body and notification type Apprise gets for ``payment``."""
        return self._renderer.render(payment)

    async def send(self, payment: Payment, target: str) -> None:
        """Deliver one alert to one URL; raise RetryLater or PermanentFailure as ``outcome`` maps it."""
        lane = self._lanes.get(target)
        if lane is None:
            raise PermanentFailure(f"{target} is not among this notifier's URLs any more")
        message = self.render(payment, target)
        result = await lane.async_notify(
            body=message.body,
            title=message.title,
            notify_type=message.notify_type,
            body_format=message.body_format,
            timeout=self._timeout,
            log_level=logging.WARNING,
        )
        with result:
            lines = [entry.message for entry in result.logs()]
            failure = failure_for(target, result.status.name, lines, self._timeout)
        if failure is not None:
            raise failure
