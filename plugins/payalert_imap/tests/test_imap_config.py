"""The ``type: imap`` config section, and parsers registered for mail only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pluggy
import pytest
import yaml
from payalert_banktext import IST, AlertText, ParsedAlert
from payalert_banktext import hookspecs as banktext_hookspecs
from payalert_imap import hookspecs
from payalert_imap.config import ImapSourceConfig
from payalert_imap.mailchain import mail_chain
from pydantic import ValidationError

from payalert_core import hookimpl

BASE = {"type": "imap", "host": "imap.gmail.com", "username": "me@gmail.com", "password": "app-password"}


class _MailOnlyPlugin:
    class Parser:
        name = "mail-only-bank"
        domains = ("mailbank.example",)

        def parse(self, message: AlertText):
            if "MAILBANK" not in message.text:
                return None
            return ParsedAlert("mail-only-bank", Decimal("9.00"), "INR", "debit", message.sent_at)

    @hookimpl
    def payalert_imap_register_parsers(self, register) -> None:
        register(self.Parser())


def test_parsers_registered_for_mail_only_still_read_mail() -> None:
    manager = pluggy.PluginManager("payalert")
    manager.add_hookspecs(banktext_hookspecs)
    manager.add_hookspecs(hookspecs)
    manager.register(_MailOnlyPlugin())
    manager.check_pending()
    chain = mail_chain([], manager)
    assert chain.names[0] == "mail-only-bank"
    parser, result = chain.run(AlertText("MAILBANK debit", sent_at=datetime(2026, 1, 1, tzinfo=IST)))
    assert parser is not None and parser.name == "mail-only-bank" and isinstance(result, ParsedAlert)


def test_config_defaults_and_known_providers() -> None:
    config = ImapSourceConfig(**BASE)
    assert config.effective_port == 993 and config.security == "tls"
    assert config.authserv_ids == ("mx.google.com",)
    assert "app-password" not in repr(config)


def test_outlook_needs_the_explicit_opt_in_and_accounts_are_read_as_digits() -> None:
    outlook = ImapSourceConfig(**{**BASE, "host": "outlook.office365.com", "allow_empty_authserv_id": True})
    settings = outlook.read_settings()
    assert settings.allow_empty_authserv_id and settings.authserv_ids == ()
    owned = ImapSourceConfig(**{**BASE, "accounts": [4477, "0123"], "owner_addresses": [" Me@Gmail.com"]})
    assert owned.read_settings().accounts == ("4477", "0123")
    assert owned.read_settings().owner_addresses == ("me@gmail.com",)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": None}, "set either password"),
        ({"oauth2": {"token_env": "TOKEN"}}, "set either password"),
        ({"host": "mail.example.test"}, "authserv_id"),
        ({"host": "outlook.office365.com"}, "allow_empty_authserv_id: true"),
        ({"authserv_id": ""}, "allow_empty_authserv_id: true instead"),
        ({"accounts": [4477, "12345"]}, "'12345': write the last 4 digits"),
        ({"accounts": [0o1234]}, "668: write the last 4 digits"),  # YAML 1.1 reads 01234 as octal
        ({"owner_addresses": ["me"]}, "'me' is not an e-mail address"),
        ({"idle_renew": "30m"}, "29m"),
        ({"folders": []}, "at least one folder"),
        ({"subject_patterns": ["("]}, "not a valid regex"),
        ({"unknown": 1}, "Extra inputs"),
    ],
)
def test_config_errors(changes: dict, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        ImapSourceConfig(**{**BASE, **changes})
    assert message in str(error.value)


def test_oauth2_token_from_env_or_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from payalert_imap.connection import LoginRefused, access_token

    config = ImapSourceConfig(**{**BASE, "password": None, "oauth2": {"token_env": "PAYALERT_TEST_TOKEN"}})
    monkeypatch.setenv("PAYALERT_TEST_TOKEN", "ya29.token")
    assert access_token(config) == "ya29.token"
    monkeypatch.delenv("PAYALERT_TEST_TOKEN")
    with pytest.raises(LoginRefused, match="PAYALERT_TEST_TOKEN"):
        access_token(config)
    command = ImapSourceConfig(
        **{**BASE, "password": None, "oauth2": {"token_command": "printf tok-from-command"}}
    )
    assert access_token(command) == "tok-from-command"
    failing = ImapSourceConfig(**{**BASE, "password": None, "oauth2": {"token_command": ["false"]}})
    with pytest.raises(LoginRefused, match="exited 1"):
        access_token(failing)


def test_the_init_template_writes_the_imap_block_with_accounts_commented() -> None:
    from payalert_core.templates import CONFIG_TEMPLATE

    lines = CONFIG_TEMPLATE.splitlines()
    start = lines.index("  # bank:")
    block = ["sources:"]
    for line in lines[start:]:
        if not line.startswith("  # "):
            break
        block.append(line[:2] + line[4:])  # uncommented as a user does: "# " removed
    section = yaml.safe_load("\n".join(block))["sources"]["bank"]
    assert section["accounts"] == ["4477"]
    config = ImapSourceConfig(**{**section, "password": "app-password"})
    assert config.read_settings().accounts == ("4477",)
