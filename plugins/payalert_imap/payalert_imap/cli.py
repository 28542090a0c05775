"""``payalert imap explain`` and ``payalert imap test-connection``."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click
from payalert_banktext import AlertText, Medium, RuleConfig

from payalert_core import CliContext, UserError, config_option

from .config import ImapSourceConfig
from .connection import ImapError, MailboxConnection
from .message import read_message
from .rulecheck import RuleCheck
from .verdict import ReadSettings, Verdict, classify_mail, classify_text


@click.group("imap")
def imap_commands() -> None:
    """Bank and UPI alert e-mails over IMAP (payalert-imap)."""


def configured_source(source_name: str | None) -> tuple[str, ImapSourceConfig]:
    """The imap source named ``source_name`` (or the only one) from the config the payalert group loads."""
    state = click.get_current_context().find_object(CliContext)
    if state is None:
        raise UserError("run this as `payalert imap …` so the config can be loaded")
    return state.source_section(ImapSourceConfig, "imap", source_name)


@imap_commands.command("explain")
@click.argument("file", type=click.File("rb"), default="-", required=False)
@click.option("--text", "as_text", is_flag=True, help="FILE is a bare alert body, not an e-mail.")
@click.option(
    "--jsonl", is_flag=True, help='Read {"text", "from", "subject"} objects, one per line, from stdin.'
)
@click.option("--from", "sender", default=None, help="With --text: the sender address (or SMS sender id).")
@click.option("--subject", default=None, help="With --text: the subject.")
@click.option(
    "--source", "source_name", default=None, help="Use this imap source's rules and trust settings."
)
@click.option(
    "--authserv-id",
    "authserv_ids",
    multiple=True,
    help="Authserv-id to trust (default: the source's, else mx.google.com).",
)
@config_option
def explain(
    file: Any,
    as_text: bool,
    jsonl: bool,
    sender: str | None,
    subject: str | None,
    source_name: str | None,
    authserv_ids: tuple[str, ...],
) -> None:
    """Print what payalert makes of one e-mail (FILE.eml, or - for stdin) as JSON."""
    rules, settings = _reading_setup(source_name, authserv_ids)
    state = click.get_current_context().find_object(CliContext)
    chains = RuleCheck(rules, state.plugins.manager if state is not None else None)
    if jsonl:
        for number, line in enumerate(sys.stdin, start=1):
            if line.strip():
                click.echo(json.dumps(_explain_line(line, number, chains), ensure_ascii=False))
        return
    data = file.read()
    if as_text:
        message = AlertText(
            text=data.decode("utf-8", errors="replace"),
            subject=subject or "",
            sender=sender or "",
            medium=_medium(sender or ""),
        )
        chain, notes = chains.chain(sender, subject)
        verdict = classify_text(message, chain)
    else:
        facts = read_message(data)
        chain, notes = chains.chain(facts.sender, facts.subject)
        verdict = classify_mail(facts, chain, settings)
    click.echo(json.dumps(_with_notes(verdict, notes), ensure_ascii=False, indent=2))


def _reading_setup(
    source_name: str | None, authserv_ids: tuple[str, ...]
) -> tuple[list[RuleConfig], ReadSettings]:
    if source_name is not None:
        _, config = configured_source(source_name)
        settings = config.read_settings()
        rules = list(config.rules)
    else:
        settings = ReadSettings()
        rules = []
    if authserv_ids:
        settings = dataclasses.replace(settings, authserv_ids=tuple(a.lower() for a in authserv_ids))
    return rules, settings


def _with_notes(verdict: Verdict, notes: list[str]) -> dict[str, Any]:
    """The explain document; rule notes under ``rules``, and in ``reason`` when nothing was paid."""
    document = verdict.to_json()
    if notes:
        document["rules"] = notes
        if not verdict.is_payment:
            document["reason"] = "; ".join([document["reason"] or "no payment", *notes])
    return document


def _explain_line(line: str, number: int, chains: RuleCheck) -> dict[str, Any]:
    try:
        item = json.loads(line)
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError('each line must be an object with a "text" string')
    except ValueError as error:
        return {"line": number, "amount": None, "reason": f"line {number}: {error}"}
    sender = str(item["from"]) if item.get("from") is not None else None
    subject = str(item["subject"]) if item.get("subject") is not None else None
    message = AlertText(
        text=item["text"], subject=subject or "", sender=sender or "", medium=_medium(sender or "")
    )
    chain, notes = chains.chain(sender, subject)
    return _with_notes(classify_text(message, chain), notes)


def _medium(sender: str) -> Medium:
    """A sender with an ``@`` sent a mail; any other (``VM-HDFCBK``) an SMS."""
    return "sms" if sender and "@" not in sender else "email"


def _stored_cursors(source_name: str, folders: list[str]) -> dict[str, Any]:
    """The cursor saved for each folder (None for a folder never read)."""
    context = click.get_current_context().find_object(CliContext)
    assert context is not None
    return {folder: context.load_source_state(source_name, folder) for folder in folders}


@imap_commands.command("test-connection")
@click.option(
    "--source", "source_name", default=None, help="The imap source to test (default: the only one)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@config_option
def test_connection(source_name: str | None, as_json: bool) -> None:
    """Log in, list folders, report IDLE support and where reading each folder stands."""
    name, config = configured_source(source_name)
    connection = MailboxConnection(config)
    try:
        connection.connect()
        folders = connection.list_folders()
        watched = {}
        for folder in config.folders:
            status = connection.status(folder) if folder in folders else None
            watched[folder] = (
                None
                if status is None
                else {
                    "uidvalidity": status.uidvalidity,
                    "uidnext": status.uidnext,
                    "messages": status.messages,
                    "first_run_cursor": {"uidvalidity": status.uidvalidity, "last_uid": status.uidnext - 1},
                }
            )
    except ImapError as error:
        raise UserError(f"sources.{name}: {error}") from None
    finally:
        connection.close()
    report = {
        "stored_cursors": _stored_cursors(name, list(config.folders)),
        "source": name,
        "server": connection.where,
        "security": config.security,
        "username": config.username,
        "idle": connection.supports_idle,
        "folders": folders,
        "watched": watched,
    }
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{name}: logged in to {connection.where} ({config.security}) as {config.username}")
    click.echo(f"IDLE: {'supported' if connection.supports_idle else 'not supported, will poll'}")
    click.echo(f"folders on the server: {', '.join(folders)}")
    for folder, status in watched.items():
        if status is None:
            click.echo(f"{folder}: NOT FOUND on the server; fix sources.{name}.folders")
        else:
            click.echo(
                f"{folder}: UIDVALIDITY {status['uidvalidity']}, {status['messages']} messages, "
                f"UIDNEXT {status['uidnext']}; a first run starts after UID {status['uidnext'] - 1}"
            )
    for folder, cursor in report["stored_cursors"].items():
        if cursor is None:
            click.echo(f"{folder}: no stored cursor yet (never read by `payalert run`)")
        else:
            click.echo(
                f"{folder}: stored cursor UIDVALIDITY {cursor['uidvalidity']}, last UID {cursor['last_uid']}"
            )
    if any(status is None for status in watched.values()):
        raise UserError(f"sources.{name}.folders lists a folder the server does not have")
