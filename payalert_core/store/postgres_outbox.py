"""The statements of the PostgreSQL store, and how rows and arguments are shaped for them.

An ingest is one statement: data-modifying CTEs insert the events (duplicates skipped by the
unique key, whichever node stored them first), one delivery per new event and lane, and the
cursors, atomically; a trigger then tells every node about the new deliveries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from ..model import Payment
from .outbox import DELIVERY_COLUMNS, Lane, StoredIngest, money_columns

INGEST = """
WITH incoming AS (
    SELECT * FROM unnest(
        %(sources)s::text[], %(ids)s::text[], %(kinds)s::text[], %(payments)s::text[],
        %(epochs)s::float8[], %(directions)s::text[], %(currencies)s::text[], %(amounts)s::text[]
    ) WITH ORDINALITY AS p (
        source, external_id, kind, payment, occurred_epoch, direction, currency, amount, position
    )
), new AS (
    INSERT INTO events (source, external_id, kind, payment, occurred_epoch, direction, currency, amount)
    SELECT source, external_id, kind, payment, occurred_epoch, direction, currency, amount
    FROM incoming ORDER BY position
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING id, source, external_id
), queued AS (
    INSERT INTO deliveries (event_id, notifier, target, status, next_attempt_at)
    SELECT new.id, lane.notifier, lane.target, 'pending', %(now)s
    FROM new CROSS JOIN unnest(%(notifiers)s::text[], %(targets)s::text[]) AS lane (notifier, target)
    ORDER BY new.id
), saved AS (
    INSERT INTO state (owner, key, value)
    SELECT * FROM unnest(%(owners)s::text[], %(keys)s::text[], %(values)s::text[])
    ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, updated_at = now()
)
SELECT id, source, external_id FROM new
"""
SAVE_STATE = (
    "INSERT INTO state (owner, key, value) VALUES (%s, %s, %s)"
    " ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, updated_at = now()"
)
LOAD_STATE = "SELECT value FROM state WHERE owner = %s AND key = %s"
# A late outcome never changes a delivery that is no longer pending (another node finished it).
RECORD_OUTCOME = (
    "UPDATE deliveries SET status = %(status)s, attempts = attempts + 1, last_error = %(error)s,"
    " next_attempt_at = COALESCE(%(next_at)s, next_attempt_at),"
    " first_attempt_at = COALESCE(first_attempt_at, %(at)s), updated_at = now()"
    " WHERE id = %(id)s AND status = 'pending'"
)
RETRY_FAILED = (
    "UPDATE deliveries SET status = 'pending', next_attempt_at = %(now)s, first_attempt_at = NULL,"
    " updated_at = now()"
    " WHERE status = 'failed' AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))"
    " AND (%(notifier)s::text IS NULL OR notifier = %(notifier)s) RETURNING notifier"
)
SELECT_DELIVERIES = (
    "SELECT " + ", ".join(f"d.{column}" for column in DELIVERY_COLUMNS) + ", e.payment"
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
)
LANE_PENDING = (
    SELECT_DELIVERIES
    + " WHERE d.notifier = %s AND d.target = %s AND d.status = 'pending' ORDER BY d.id LIMIT %s"
)
BY_STATUS = SELECT_DELIVERIES + " WHERE d.status = ANY(%s::text[]) ORDER BY d.id LIMIT %s"
COUNT_WAITING = (
    "SELECT notifier, status, count(*) AS count FROM deliveries WHERE status <> 'sent' GROUP BY 1, 2"
)
#: The newest events, a payment followed through several alerts (one ``identity``) by its latest
#: alert only; the later alert is found through the partial index ``events_by_identity``.
RECENT_PAYMENTS = """
    SELECT payment FROM events AS e
    WHERE e.payment::jsonb ->> 'identity' IS NULL OR NOT EXISTS (
        SELECT 1 FROM events AS later
        WHERE later.source = e.source AND later.id > e.id
        AND later.payment::jsonb ->> 'identity' = e.payment::jsonb ->> 'identity')
    ORDER BY e.id DESC LIMIT %s
"""

# -- lanes: which node sends each lane, until when ----------------------------------------------------
ADD_LANE = "INSERT INTO lanes (notifier, target) VALUES (%s, %s) ON CONFLICT DO NOTHING"
# Take the lane if it is free, lapsed or already ours; a row another node is claiming right now is
# skipped (SKIP LOCKED) instead of waited for.
CLAIM_LANE = """
WITH free AS (
    SELECT notifier, target FROM lanes
    WHERE notifier = %(notifier)s AND target = %(target)s
      AND (owner = %(node)s OR owner IS NULL OR lease_until < now())
    FOR UPDATE SKIP LOCKED
)
UPDATE lanes SET owner = %(node)s, lease_until = now() + make_interval(secs => %(lease)s)
FROM free WHERE lanes.notifier = free.notifier AND lanes.target = free.target
RETURNING lanes.notifier
"""
RENEW_LANES = (
    "UPDATE lanes SET lease_until = now() + make_interval(secs => %s)"
    " WHERE owner = %s RETURNING notifier, target"
)
RELEASE_LANES = "UPDATE lanes SET owner = NULL, lease_until = '-infinity' WHERE owner = %s"


def ingest_arguments(
    payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
) -> dict[str, Any]:
    """The arrays :data:`INGEST` takes."""
    money = [money_columns(payment) for payment in payments]
    return {
        "epochs": [row[0] for row in money],
        "directions": [row[1] for row in money],
        "currencies": [row[2] for row in money],
        "amounts": [row[3] for row in money],
        "sources": [p.source for p in payments],
        "ids": [p.external_id for p in payments],
        "kinds": [p.kind for p in payments],
        "payments": [p.to_json() for p in payments],
        "now": time.time(),
        "notifiers": [lane.notifier for lane in lanes],
        "targets": [lane.target for lane in lanes],
        "owners": [owner for owner, _ in state],
        "keys": [key for _, key in state],
        "values": [json.dumps(value) for value in state.values()],
    }


def stored_ingest(payments: Sequence[Payment], rows: Sequence[tuple[int, str, str]]) -> StoredIngest:
    """New event ids in payment order; the rest (stored before, or repeated) are duplicates."""
    new_ids = {(source, external_id): event_id for event_id, source, external_id in rows}
    stored = [
        event_id
        for payment in payments
        if (event_id := new_ids.pop((payment.source, payment.external_id), None)) is not None
    ]
    return StoredIngest(stored, len(payments) - len(stored))
