"""One payment told twice (a bank's SMS and its e-mail, or two SMS): the first telling alerts, later ones link to it.

A source that knows who moved the money sets ``Payment.match`` (a :class:`PaymentMatch`). The store
keeps every matched payment in its ``tellings`` table; a payment whose match an earlier telling
from another source or message already made is stored there as a repeat of it, linked to the
first, and is given no delivery. The decision and the write happen in one transaction, so two
tellings arriving together still alert once (each backend's ``*_tellings`` module in
:mod:`payalert_core.store`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

#: How far apart two tellings without a common reference may be sent and still be one payment.
DEFAULT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class PaymentMatch:
    """What makes two tellings one payment: the same issuer, and the same reference, else the same fingerprint.

    ``issuer`` names who moved the money (``hdfc``); ``reference`` is the issuer's own reference
    for the transaction, when the telling gives one; ``fingerprint`` pins it down without one
    (account, amount and direction); ``told_at`` is when the issuer sent this telling, and
    ``window`` how far apart two tellings matched by fingerprint alone may be.
    """

    issuer: str
    fingerprint: str
    told_at: datetime
    reference: str | None = None
    window: timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.told_at.tzinfo is None:
            raise ValueError("told_at must be timezone-aware")

    def same_payment(self, reference: str | None, fingerprint: str, told_at: float) -> bool:
        """True when a stored telling (of the same issuer) tells this payment.

        Two references decide alone: different references are different payments however alike
        the rest. Without a reference on both sides the fingerprints must be equal and the two
        tellings sent within ``window`` of each other.
        """
        if self.reference and reference:
            return self.reference == reference
        return fingerprint == self.fingerprint and abs(told_at - self.told_at.timestamp()) <= (
            self.window.total_seconds()
        )


class Repeat(NamedTuple):
    """A payment stored as a later telling of one that already alerted."""

    source: str
    external_id: str
    first_source: str
    first_external_id: str


class Telling(NamedTuple):
    """A stored telling, and the first telling of its payment (itself when it alerted)."""

    source: str
    external_id: str
    issuer: str
    reference: str | None
    fingerprint: str
    told_at: datetime
    first_source: str
    first_external_id: str

    @property
    def is_repeat(self) -> bool:
        """True when another telling of the same payment came first."""
        return (self.source, self.external_id) != (self.first_source, self.first_external_id)


#: A stored telling the store found by issuer and reference or fingerprint: its ``reference``,
#: ``fingerprint`` and ``told_at`` (epoch seconds), then the ``id``, ``source``, ``external_id`` and
#: ``reference`` of the first telling of its payment.
Candidate = tuple[str | None, str, float, int, str, str, str | None]


def first_of(match: PaymentMatch, candidates: Iterable[Candidate]) -> tuple[int, str, str] | None:
    """``(id, source, external_id)`` of the first telling of the payment ``match`` tells, or None.

    ``candidates`` come oldest first. One matches when it and the first telling of its payment
    both tell the same payment as ``match`` (a repeat without a reference cannot link two
    different references).
    """
    for reference, fingerprint, told_at, first_id, source, external_id, first_reference in candidates:
        other_reference = bool(match.reference and first_reference and match.reference != first_reference)
        if match.same_payment(reference, fingerprint, told_at) and not other_reference:
            return first_id, source, external_id
    return None


def telling_from_row(row: Sequence[Any]) -> Telling:
    """A :class:`Telling` from a stored row: source, external id, issuer, reference, fingerprint,
    told_at (epoch seconds), and the source and external id of the first telling."""
    source, external_id, issuer, reference, fingerprint, told_at, first_source, first_external_id = row
    when = datetime.fromtimestamp(told_at, UTC)
    return Telling(source, external_id, issuer, reference, fingerprint, when, first_source, first_external_id)
