"""``payalert store …``: migrate the configured store, or copy a SQLite store into PostgreSQL."""

from __future__ import annotations

import asyncio

import click

from ..clicontext import CliContext, config_option
from ..errors import UserError
from . import store_for
from .settings import SCHEMES, display_url


@click.group("store")
def store_commands() -> None:
    """Manage the store: schema migrations, moving to PostgreSQL."""


@store_commands.command("migrate")
@config_option
@click.pass_obj
def migrate_command(state: CliContext) -> None:
    """Bring the configured store's schema up to date (the daemon also does this at start)."""
    store = store_for(state.config)
    before, after = asyncio.run(store.migrate())
    change = f"migrated from version {before}" if before != after else "already up to date"
    click.echo(f"store {store.location()}: schema version {after} ({change})")


@store_commands.command("copy")
@config_option
@click.option(
    "--to",
    "url",
    required=True,
    envvar="PAYALERT_COPY_TO",
    help="postgresql://user:password@host/database (or $PAYALERT_COPY_TO, which keeps the password off ps).",
)
@click.pass_obj
def copy_command(state: CliContext, url: str) -> None:
    """Copy the SQLite store (stop the daemon first) into an empty PostgreSQL database."""
    if url.split("://", 1)[0] not in SCHEMES:
        raise UserError(
            "--to: must be a postgresql:// URL, e.g. postgresql://payalert:PASSWORD@db.example/payalert"
        )
    config = state.config
    if config.settings.store is not None:
        raise UserError("store: the configured store is PostgreSQL already; copy runs from a SQLite data_dir")
    try:
        from .copying import copy_sqlite_to_postgres
    except ImportError:
        raise UserError(
            "--to: PostgreSQL needs psycopg; install it with pip install 'payalert-core[postgres]'"
        ) from None
    counts = asyncio.run(copy_sqlite_to_postgres(config.store_path, url))
    click.echo(
        f"copied {counts.events} events, {counts.deliveries} deliveries ({counts.pending} pending, "
        f"{counts.failed} failed), {counts.state} saved states and {counts.tellings} tellings"
        f" from {config.store_path} to {display_url(url)}"
    )
    click.echo("next: set store.url in config.yaml on every node, then start them")
