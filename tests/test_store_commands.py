"""``payalert store migrate`` and ``payalert store copy --to postgresql://…``, run as a user would."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime

import yaml

from payalert_core import PaymentMatch
from payalert_core.store import Lane, SQLiteStore
from payalert_core.store.postgres import PostgresStore

from .helpers import payment

LANE = Lane("out", "default")
#: One payment told by a bank's SMS and by its mail: one event, two tellings.
MATCH = PaymentMatch("hdfc", "4477|2500|INR|credit", datetime(2026, 6, 2, 10, 15, tzinfo=UTC), "612345")


def payalert(tmp_path, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "payalert_core", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def write_config(tmp_path, **extra):
    document = {"data_dir": str(tmp_path / "data"), "notifiers": {"out": {"type": "console"}}, **extra}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(document))


async def fill(path):
    store = SQLiteStore(path)
    await store.open()
    await store.ingest([payment(str(n)) for n in range(30)], [LANE], {("source:shop", "cursor"): {"uid": 30}})
    first, second, *_ = await store.pending(LANE)
    await store.mark_sent(first.id)
    await store.mark_failed(second.id, "chat not found")
    await store.save_state("notifier:out", "chat_migrations", {"-1": -100})
    told = [payment("sms:1", source="phone"), payment("mail:1", source="mail")]
    await store.ingest_matching([p.replace(match=MATCH) for p in told], [LANE], {})
    await store.close()


async def read_back(url):
    store = PostgresStore(url)
    await store.open()
    try:
        pending = await store.pending(LANE, limit=100)
        failed = await store.deliveries(["failed"])
        cursor = await store.load_state("source:shop", "cursor")
        migrations = await store.load_state("notifier:out", "chat_migrations")
        tellings = [(t.source, t.first_source) for t in await store.tellings("mail", "mail:1")]
        transfers = await store.transfers_since(0)
        later = await store.ingest([payment("new")], [LANE], {})  # ids go on after the copied ones
        return pending, failed, cursor, migrations, tellings, transfers, later
    finally:
        await store.close()


def test_copy_moves_every_row_prints_counts_and_never_the_password(tmp_path, postgres_server):
    write_config(tmp_path)
    asyncio.run(fill(tmp_path / "data" / "payalert.sqlite3"))
    url = postgres_server.create_database()

    done = payalert(tmp_path, "store", "copy", "--to", url)
    assert done.returncode == 0, done.stderr
    assert (
        "copied 31 events, 31 deliveries (29 pending, 1 failed), 2 saved states and 2 tellings" in done.stdout
    )
    assert postgres_server.password not in done.stdout + done.stderr and "***" in done.stdout

    pending, failed, cursor, migrations, tellings, transfers, later = asyncio.run(read_back(url))
    assert [d.payment.external_id for d in pending] == [*(str(n) for n in range(2, 30)), "sms:1"]
    assert [(d.payment.external_id, d.last_error) for d in failed] == [("1", "chat not found")]
    assert cursor == {"uid": 30} and migrations == {"-1": -100}
    assert tellings == [("phone", "phone"), ("mail", "phone")]
    assert len(transfers.rows) + len(transfers.unsettled) == 31  # the money columns came along
    assert later.new_event_ids == [32]

    again = payalert(tmp_path, "store", "copy", env={"PAYALERT_COPY_TO": url})
    assert again.returncode == 2 and "already holds 32 events" in again.stderr
    assert postgres_server.password not in again.stderr


def test_copy_to_an_unreachable_server_is_one_line(tmp_path, postgres_server):
    write_config(tmp_path)
    asyncio.run(fill(tmp_path / "data" / "payalert.sqlite3"))
    url = postgres_server.url("nowhere").replace(f":{postgres_server.port}/", ":1/")
    done = payalert(tmp_path, "store", "copy", "--to", url)
    assert done.returncode == 2 and "cannot connect to PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr and postgres_server.password not in done.stderr


def test_migrate_brings_either_backend_up_to_date(tmp_path, postgres_server):
    write_config(tmp_path)
    done = payalert(tmp_path, "store", "migrate")
    assert done.returncode == 0 and "(migrated from version 0)" in done.stdout
    assert "already up to date" in payalert(tmp_path, "store", "migrate").stdout

    write_config(tmp_path, store={"url": postgres_server.create_database()})
    done = payalert(tmp_path, "store", "migrate")
    assert done.returncode == 0 and "(migrated from version 0)" in done.stdout
    assert postgres_server.password not in done.stdout
    checked = payalert(tmp_path, "check-config")
    assert "store: PostgreSQL at postgresql://payalert:***@" in checked.stdout
    assert postgres_server.password not in checked.stdout


def test_a_bad_store_url_names_the_key_without_echoing_it(tmp_path):
    write_config(tmp_path, store={"url": "mysql://root:hunter2secret@db/payalert"})
    done = payalert(tmp_path, "check-config")
    assert done.returncode == 2 and "store.url: must be a postgresql:// URL" in done.stderr
    assert "hunter2secret" not in done.stderr


def test_a_bad_store_url_is_named_in_words_the_user_can_read(tmp_path):
    write_config(tmp_path, store={"url": "postgresql:payalert"})  # '//' forgotten: no password in it
    done = payalert(tmp_path, "check-config")
    assert done.returncode == 2
    assert (
        "must be a postgresql:// URL, e.g. postgresql://payalert:PASSWORD@db.example/payalert" in done.stderr
    )
    assert "[redacted]" not in done.stderr


def test_a_socket_url_is_a_store_url_and_a_password_in_its_query_stays_hidden(tmp_path):
    write_config(tmp_path, store={"url": "postgresql:///payalert?user=payalert&password=query2secret"})
    checked = payalert(tmp_path, "check-config")
    assert checked.returncode == 0, checked.stderr
    assert "store: PostgreSQL at postgresql:///payalert?user=payalert&password=***" in checked.stdout
    assert "query2secret" not in checked.stdout + checked.stderr
