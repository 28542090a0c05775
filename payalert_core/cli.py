"""The ``payalert`` command line: thin, it parses arguments and calls the modules that do the work."""

from __future__ import annotations

import asyncio
import json
import secrets
import shlex
import sys
import traceback
from datetime import UTC
from pathlib import Path
from typing import Any

import click

from . import templates
from .clicontext import CliContext, config_option
from .config import DEFAULT_CONFIG, Config, default_config_path
from .daemon import Daemon
from .errors import UserError
from .logs import configure_logging
from .model import Direction, Payment
from .plugins import get_plugin_manager
from .statuspage.passwords import MIN_PASSWORD_LENGTH, PASSWORD_HASH_VARIABLE, hash_password
from .store import Store, store_for
from .store.commands import store_commands
from .store.settings import display_url

pass_state = click.pass_obj


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default: $PAYALERT_CONFIG or ./config.yaml).",
)
@click.version_option(package_name="payalert-core", prog_name="payalert")
@click.pass_context
def cli(context: click.Context, config_path: Path | None) -> None:
    """payalert: one clean alert per payment, from every place you get paid."""
    if config_path is not None:
        context.find_object(CliContext).config_path = config_path  # type: ignore[union-attr]


@cli.command()
@config_option
@click.option("--force", is_flag=True, help="Overwrite an existing config.yaml.")
@pass_state
def init(state: CliContext, force: bool) -> None:
    """Write a commented config.yaml and a .env holding a fresh webhook secret."""
    path = state.config_path
    if path.exists() and not force:
        raise UserError(f"{path} exists already; pass --force to overwrite it")
    env_path = path.parent / ".env"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(templates.CONFIG_TEMPLATE, encoding="utf-8")
    existing = env_path.read_text(encoding="utf-8") if env_path.exists() else ""
    if "PAYALERT_WEBHOOK_SECRET=" not in existing:
        with env_path.open("a", encoding="utf-8") as file:
            file.write(f"PAYALERT_WEBHOOK_SECRET={secrets.token_urlsafe(32)}\n")
    env_path.chmod(0o600)
    click.echo(f"wrote {path} and a new webhook secret in {env_path} (readable only by you)")
    option = "" if path == Path(DEFAULT_CONFIG) else f" --config {shlex.quote(str(path))}"
    click.echo(
        f"next: edit {path}, then `payalert check-config{option}`, `payalert test-notify{option}` "
        f"and `payalert run{option}`"
    )


@cli.command()
@config_option
@pass_state
def run(state: CliContext) -> None:
    """Run the daemon until SIGTERM or Ctrl-C."""
    config = state.config
    configure_logging(config.settings.log_level, config.secrets)
    asyncio.run(Daemon(config, state.plugins).run())


@cli.command("check-config")
@config_option
@pass_state
def check_config(state: CliContext) -> None:
    """Validate the config and list what it sets up (secrets are never shown)."""
    config = state.config
    click.echo(f"{config.path}: OK")
    for name, section in config.sources.items():
        click.echo(f"  source {name}: {section.type}")
    for name, notifier in config.notifiers.items():
        click.echo(f"  notifier {name}: {notifier.type}")
    server = config.settings.server
    click.echo(config.redact(f"  data in {config.data_dir}; listening on {server.host}:{server.port}"))
    if config.settings.store is not None:
        click.echo(f"  store: PostgreSQL at {display_url(config.settings.store.url.get_secret_value())}")


@cli.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def plugins(state: CliContext, as_json: bool) -> None:
    """List installed plugins, the source and notifier types they provide, and load errors."""
    found = state.plugins
    document: dict[str, Any] = {
        "plugins": [{"name": p.name, "package": p.package, "version": p.version} for p in found.loaded],
        "sources": {name: cls.__module__ for name, cls in sorted(found.sources.items())},
        "notifiers": {name: cls.__module__ for name, cls in sorted(found.notifiers.items())},
        "errors": [{"plugin": e.plugin, "package": e.package, "error": e.error} for e in found.errors],
    }
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    click.echo("plugins:")
    for plugin in document["plugins"]:
        click.echo(f"  {plugin['name']}  ({plugin['package']} {plugin['version']})".rstrip())
    click.echo("source types:   " + (", ".join(document["sources"]) or "(none)"))
    click.echo("notifier types: " + (", ".join(document["notifiers"]) or "(none)"))
    for error in document["errors"]:
        click.echo(f"failed to load: {error['plugin']} (package {error['package']}): {error['error']}")


@cli.command("test-notify")
@config_option
@pass_state
def test_notify(state: CliContext) -> None:
    """Send one test alert through every configured notifier, directly (the daemon need not run)."""
    config = state.config
    configure_logging("WARNING", config.secrets)
    failures = asyncio.run(_send_test_alerts(state))
    if failures:
        raise UserError(f"{failures} notifier target(s) failed; see above")


async def _send_test_alerts(state: CliContext) -> int:
    from datetime import datetime
    from decimal import Decimal

    from .health import HealthRecord
    from .runtime import NotifierRuntimeImpl

    config = state.config
    store = store_for(config)
    await store.open()
    payment = Payment(
        source="payalert",
        kind="payalert.test",
        external_id=f"test-{secrets.token_hex(4)}",
        amount=Decimal("1234.50"),
        currency="INR",
        direction=Direction.IN,
        occurred_at=datetime.now(UTC),
        title="Test alert",
        summary="If you can read this, payalert can reach you.",
        counterparty="payalert test-notify",
    )
    failures = 0
    try:

        async def status() -> tuple[int, dict[str, Any]]:
            return 200, {"status": "ok", "sources": {}, "notifiers": {}, "deliveries": {}}

        for name, section in config.notifiers.items():
            runtime = NotifierRuntimeImpl(name, store, HealthRecord("notifier"), status, in_daemon=False)
            notifier = state.plugins.notifiers[section.type].create(name, section, runtime)
            await notifier.start()
            try:
                for target in notifier.targets():
                    try:
                        await notifier.send(payment, str(target))
                        click.echo(f"{name} -> {target}: sent")
                    except Exception as error:
                        failures += 1
                        click.echo(config.redact(f"{name} -> {target}: FAILED: {error}"), err=True)
            finally:
                await notifier.close()
    finally:
        await store.close()
    return failures


@cli.command()
@config_option
@click.option("--status", "status", type=click.Choice(["pending", "failed", "all"]), default="all")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def deliveries(state: CliContext, status: str, as_json: bool) -> None:
    """List deliveries not yet sent: pending (being retried) and failed (kept for retry-failed)."""
    statuses = ["pending", "failed"] if status == "all" else [status]
    rows = asyncio.run(_with_store(state.config, lambda store: store.deliveries(statuses), read_only=True))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": d.id,
                        "notifier": d.notifier,
                        "target": d.target,
                        "status": d.status,
                        "attempts": d.attempts,
                        "last_error": d.last_error,
                        "source": d.payment.source,
                        "kind": d.payment.kind,
                        "title": d.payment.title,
                    }
                    for d in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("nothing pending or failed")
    for d in rows:
        error = f"  last error: {d.last_error}" if d.last_error else ""
        click.echo(
            f"#{d.id} {d.status:<7} {d.notifier}/{d.target}  {d.payment.source}: {d.payment.title}"
            f"  (attempts {d.attempts}){error}"
        )


@cli.command("retry-failed")
@config_option
@click.argument("ids", nargs=-1, type=int)
@pass_state
def retry_failed(state: CliContext, ids: tuple[int, ...]) -> None:
    """Make failed deliveries pending again (all, or the given ids); a running daemon picks them up."""
    if not ids:
        count = asyncio.run(_with_store(state.config, lambda store: store.retry_failed(None)))
        click.echo(f"{count} failed deliveries queued again")
        return

    wanted = list(dict.fromkeys(ids))  # each once: a repeated id is not "unknown" the second time

    async def each(store: Store) -> list[int]:
        return [await store.retry_failed([delivery_id]) for delivery_id in wanted]

    queued = asyncio.run(_with_store(state.config, each))
    click.echo(f"{sum(queued)} failed deliveries queued again")
    unknown = [f"#{delivery_id}" for delivery_id, done in zip(wanted, queued, strict=True) if not done]
    if unknown:
        raise UserError(
            f"no failed delivery {', '.join(unknown)}; `payalert deliveries --status failed` lists them"
        )


@cli.group("status-page")
def status_page() -> None:
    """The status page at /status/."""


@status_page.command("set-password")
@config_option
@click.option("--print", "print_only", is_flag=True, help="Print the hash instead of saving it in .env.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@pass_state
def set_password(state: CliContext, print_only: bool, password_stdin: bool) -> None:
    """Hash a password for the status page and save it in the .env beside the config."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Status page password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters; choose a longer one"
        )
    hashed = hash_password(password)
    if print_only:
        click.echo(hashed)
        return
    env_path = state.config_path.parent / ".env"
    _set_env_variable(env_path, PASSWORD_HASH_VARIABLE, hashed)
    click.echo(f"saved the password's hash in {env_path} as {PASSWORD_HASH_VARIABLE}")
    click.echo(
        "in the config: status_page: {enabled: true, password_hash: ${"
        + PASSWORD_HASH_VARIABLE
        + "}}, then restart payalert or reload it (SIGHUP)"
    )


def _set_env_variable(path: Path, name: str, value: str) -> None:
    """Set ``name=value`` in a .env file (replacing an earlier value), readable only by its owner."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if not line.startswith(f"{name}=")]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*kept, f"{name}={value}"]) + "\n", encoding="utf-8")
    path.chmod(0o600)


async def _with_store(config: Config, action: Any, read_only: bool = False) -> Any:
    store = store_for(config, read_only=read_only)
    await store.open()
    try:
        return await action(store)
    finally:
        await store.close()


cli.add_command(store_commands)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``payalert`` command: one line and a non-zero status for anything the user can fix.

    The status is the error's ``exit_code``: 2 for a mistake to fix (config, usage), 3 when another
    daemon holds the data directory, 75 (EX_TEMPFAIL) when its disk is full.
    """
    state: CliContext | None = None
    try:
        found = get_plugin_manager()
        found.manager.hook.payalert_register_commands(cli=cli)
        state = CliContext(default_config_path(), found)
        result = cli.main(args=argv, prog_name="payalert", standalone_mode=False, obj=state)
        sys.exit(result if isinstance(result, int) else 0)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except UserError as error:
        message = state.redact(str(error)) if state is not None else str(error)
        for line in message.splitlines():
            click.echo(f"payalert: error: {line}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # a bug: its traceback, still without the config's secrets
        if state is None:
            raise
        click.echo(state.redact(traceback.format_exc()).rstrip(), err=True)
        sys.exit(1)
