"""The outbox's vocabulary, shared by every backend: lanes, deliveries and their statuses.

A payment stored once gets one delivery per lane (one notifier target); each lane is sent in
order. Rows become :class:`Delivery` objects by column name, never by position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from ..model import Payment
from ..tellings import Repeat


class DeliveryStatus(StrEnum):
    """Where a delivery stands: waiting (perhaps for a retry), sent, or failed for good."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


#: The statuses a delivery can still leave (counted in ``/health`` and ``/metrics``).
WAITING_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class Lane:
    """One notifier target: deliveries to it are sent one at a time, in order."""

    notifier: str
    target: str


@dataclass(frozen=True)
class Delivery:
    """A row of the outbox, with the payment it carries."""

    id: int
    event_id: int
    notifier: str
    target: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: float
    first_attempt_at: float | None
    last_error: str | None
    payment: Payment


#: The columns a delivery is read from, besides the event's ``payment``.
DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "notifier",
    "target",
    "status",
    "attempts",
    "next_attempt_at",
    "first_attempt_at",
    "last_error",
)


def delivery_from_row(row: Mapping[str, Any]) -> Delivery:
    """A :class:`Delivery` from a row holding :data:`DELIVERY_COLUMNS` and ``payment``, by name."""
    return Delivery(
        id=row["id"],
        event_id=row["event_id"],
        notifier=row["notifier"],
        target=row["target"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        first_attempt_at=row["first_attempt_at"],
        last_error=row["last_error"],
        payment=Payment.from_json(row["payment"]),
    )


class StoredIngest(NamedTuple):
    """What one ingest wrote: new event ids and the number of duplicates dropped."""

    new_event_ids: list[int]
    duplicates: int
    #: Payments stored as later tellings of one that already alerted (``ingest_matching`` only).
    repeats: tuple[Repeat, ...] = ()


class Transfers(NamedTuple):
    """Money moved in and out, as ``transfers_since`` read it, and the newest event id it saw.

    Rows are ``(occurred_epoch, direction, currency, amount)``, the amount as its exact decimal text.
    ``rows`` are the events up to ``last_id``, read once; ``unsettled`` are newer events that a
    later read returns again (a store whose ids may commit out of order), to count but not keep.
    """

    last_id: int
    rows: Sequence[tuple[float, str, str, str]]
    unsettled: Sequence[tuple[float, str, str, str]] = ()


def money_columns(payment: Payment) -> tuple[float, str, str | None, str | None]:
    """The event columns ``occurred_epoch, direction, currency, amount`` of one payment."""
    amount = None if payment.amount is None else str(payment.amount)
    return payment.occurred_at.timestamp(), payment.direction.value, payment.currency, amount


def now_iso() -> str:
    """The current UTC time as stored in ``created_at`` and ``updated_at`` columns."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
