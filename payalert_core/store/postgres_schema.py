"""The PostgreSQL schema and its migrations.

The version lives in ``payalert_schema``; migrations run in one transaction under a transaction
advisory lock, so nodes starting together migrate once. The steps are numbered as SQLite's
(``sqlite_schema``); besides the SQLite tables there is ``lanes``: which node holds each delivery
lane, and until when.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserError

#: The channel every node listens on for new deliveries.
OUTBOX_CHANNEL = "payalert_outbox"
#: Key of the transaction advisory lock migrations run under.
MIGRATION_LOCK = 7_047_046_961_250_183_226

MIGRATIONS: list[str] = [
    """
    CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payment TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (source, external_id)
    );
    CREATE TABLE deliveries (
        id BIGSERIAL PRIMARY KEY,
        event_id BIGINT NOT NULL REFERENCES events (id),
        notifier TEXT NOT NULL,
        target TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at DOUBLE PRECISION NOT NULL,
        first_attempt_at DOUBLE PRECISION,
        last_error TEXT,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX deliveries_pending_by_lane ON deliveries (notifier, target, id) WHERE status = 'pending';
    CREATE INDEX deliveries_waiting ON deliveries (status, id) WHERE status <> 'sent';
    CREATE TABLE state (
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, key)
    );
    CREATE TABLE lanes (
        notifier TEXT NOT NULL,
        target TEXT NOT NULL,
        owner TEXT,
        lease_until TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
        PRIMARY KEY (notifier, target)
    );
    """,
    # 2: every telling of a matched payment (payalert_core.tellings), a repeat linked to the first.
    """
    CREATE TABLE tellings (
        id BIGSERIAL PRIMARY KEY,
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        issuer TEXT NOT NULL,
        reference TEXT,
        fingerprint TEXT NOT NULL,
        told_at DOUBLE PRECISION NOT NULL,
        first_id BIGINT REFERENCES tellings (id),
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (source, external_id)
    );
    CREATE INDEX tellings_by_reference ON tellings (issuer, reference);
    CREATE INDEX tellings_by_fingerprint ON tellings (issuer, fingerprint, told_at);
    """,
    # 3: each event's money in columns of its own behind a covering index (notices, without an
    # amount, are not in it), and the deliveries not yet sent by notifier.
    """
    ALTER TABLE events ADD COLUMN occurred_epoch DOUBLE PRECISION,
        ADD COLUMN direction TEXT, ADD COLUMN currency TEXT, ADD COLUMN amount TEXT;
    UPDATE events SET
        occurred_epoch = extract(epoch FROM (payment::jsonb ->> 'occurred_at')::timestamptz),
        direction = payment::jsonb ->> 'direction',
        currency = payment::jsonb ->> 'currency',
        amount = payment::jsonb ->> 'amount';
    CREATE INDEX events_money_by_time ON events (occurred_epoch) INCLUDE (id, direction, currency, amount)
        WHERE amount IS NOT NULL;
    CREATE INDEX deliveries_unsent ON deliveries (notifier, status, attempts) WHERE status <> 'sent';
    """,
    # 4: a payment's alerts found by (source, identity); partial, as one-off payments have none.
    """
    CREATE INDEX events_by_identity ON events (source, (payment::jsonb ->> 'identity'), id)
        WHERE payment::jsonb ->> 'identity' IS NOT NULL;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


async def migrate(connection: Any, where: str) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`; return the version found before.

    ``connection`` is a psycopg ``AsyncConnection`` in autocommit mode.
    """
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await connection.execute("CREATE TABLE IF NOT EXISTS payalert_schema (version INTEGER NOT NULL)")
        cursor = await connection.execute("SELECT COALESCE(MAX(version), 0) FROM payalert_schema")
        (found,) = await cursor.fetchone()
        if found > SCHEMA_VERSION:
            raise UserError(
                f"the database at {where} has schema version {found}, newer than this payalert "
                f"understands ({SCHEMA_VERSION}); upgrade payalert on every node"
            )
        for number in range(found, SCHEMA_VERSION):
            await connection.execute(MIGRATIONS[number])
            await connection.execute("INSERT INTO payalert_schema (version) VALUES (%s)", (number + 1,))
    return found
