"""A notifier that appends every alert to a JSON-lines file: the test double for a real notifier.

Loaded only on request (``PAYALERT_EXTRA_PLUGINS=payalert_testing.recorder``), which the
``payalert_daemon`` fixture does for you.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field

from payalert_core import (
    Duration,
    Notifier,
    NotifierConfig,
    Payment,
    PermanentFailure,
    RetryLater,
    StatusUpdate,
    hookimpl,
)


class RecorderConfig(NotifierConfig):
    """Options of the ``recorder`` notifier."""

    path: str = Field(description="JSON-lines file each alert is appended to (fsynced).")
    delay: Duration = Field(default=timedelta(0), description="Wait this long before each send.")
    fail_first: int = Field(default=0, ge=0, description="Answer the first N sends with RetryLater.")
    retry_after: float | None = Field(default=None, description="retry_after given with those failures.")
    fail_kinds: list[str] = Field(default_factory=list, description="Kinds that fail permanently.")
    targets: list[str] = Field(default_factory=lambda: ["default"])


class RecordingNotifier(Notifier):
    """Appends ``{"notifier", "target", "at", "payment"}`` to ``path`` for each alert."""

    type_name = "recorder"
    Config = RecorderConfig
    config: RecorderConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._failures_left = self.config.fail_first

    def targets(self) -> Sequence[str]:
        return self.config.targets

    async def send(self, payment: Payment, target: str) -> None:
        await self._record(payment, target, None)

    async def send_update(self, update: StatusUpdate, target: str) -> None:
        """Record the new alert itself, naming the first alert it updates (``update_of``)."""
        await self._record(update.payment, target, update.first.external_id)

    async def _record(self, payment: Payment, target: str, update_of: str | None) -> None:
        if self.config.delay:
            await asyncio.sleep(self.config.delay.total_seconds())
        if self._failures_left > 0:
            self._failures_left -= 1
            raise RetryLater("recorder told to fail", retry_after=self.config.retry_after)
        if payment.kind in self.config.fail_kinds:
            raise PermanentFailure(f"recorder refuses kind {payment.kind}")
        line = json.dumps(
            {
                "notifier": self.name,
                "target": target,
                "at": datetime.now(UTC).isoformat(),
                "payment": json.loads(payment.to_json()),
                **({"update_of": update_of} if update_of is not None else {}),
            },
            ensure_ascii=False,
        )
        await asyncio.to_thread(_append_durably, Path(self.config.path), line)


def _append_durably(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())


@dataclass(frozen=True)
class RecordedAlert:
    """One alert as the recorder saw it."""

    notifier: str
    target: str
    at: datetime
    payment: Payment
    #: For a status update: the ``external_id`` of the payment's first alert it updates.
    update_of: str | None = None

    @classmethod
    def from_line(cls, line: str) -> RecordedAlert:
        """Parse one line of the recorder's file."""
        data = json.loads(line)
        return cls(
            notifier=data["notifier"],
            target=data["target"],
            at=datetime.fromisoformat(data["at"]),
            payment=Payment.from_json(json.dumps(data["payment"])),
            update_of=data.get("update_of"),
        )


def read_recorded(path: Path) -> list[RecordedAlert]:
    """Every complete line of a recorder file, in order."""
    if not path.exists():
        return []
    # Split on "\n" only: a payment may hold U+2028 and friends, which splitlines() would break on;
    # the last piece is a line still being written unless the text ends with "\n".
    *complete, _ = path.read_text(encoding="utf-8").split("\n")
    return [RecordedAlert.from_line(line) for line in complete if line.strip()]


@hookimpl
def payalert_register_notifiers(register: Any) -> None:
    register(RecordingNotifier)
