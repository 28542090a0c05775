"""Users' regex rules, and parsers plugins register through ``payalert_register_parsers``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pluggy
import pytest
from payalert_banktext import (
    IST,
    AlertText,
    ParsedAlert,
    ParserChain,
    Refused,
    RuleConfig,
    hookspecs,
    make_chain,
    plugin_parsers,
)
from pydantic import ValidationError

from payalert_core import hookimpl


def test_a_rule_with_named_groups_and_macros() -> None:
    rule = RuleConfig(
        name="mybank",
        pattern=r"{AMT} credited to A/c {ACCT} by (?P<counterparty>[A-Z ]+) Ref (?P<reference>\d+)",
        direction="credit",
        senders=["mybank.example"],
    )
    chain = make_chain([rule])
    message = AlertText(
        "Rs 1,00,000 credited to A/c XX12 by ACME LTD Ref 99887766", sender="alerts@mybank.example"
    )
    parser, result = chain.run(message)
    assert parser is not None and parser.name == "rule:mybank"
    assert isinstance(result, ParsedAlert) and result.amount == Decimal("100000.00")
    assert result.counterparty == "ACME LTD" and result.reference == "99887766"
    other = AlertText("Rs 5 credited to A/c XX12 by X Ref 1", sender="someone@else.example")
    assert chain.run(other)[0] is None or chain.run(other)[0].name != "rule:mybank"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "r", "pattern": "(?P<amount>[", "direction": "credit"}, "not a valid regex"),
        ({"name": "r", "pattern": "credited", "direction": "credit"}, "(?P<amount>"),
        ({"name": "r", "pattern": "{AMT} credited"}, "set direction"),
    ],
)
def test_bad_rules_say_what_to_change(rule: dict, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        RuleConfig(**rule)
    assert message in str(error.value)


class _Plugin:
    class Parser:
        name = "cooperative-bank"
        domains = ("coopbank.example",)

        def parse(self, message: AlertText):
            if "COOP" not in message.text:
                return None
            return ParsedAlert("cooperative-bank", Decimal("7.00"), "INR", "credit", message.sent_at)

    @hookimpl
    def payalert_register_parsers(self, register) -> None:
        register(self.Parser())


def test_plugins_register_parsers_through_the_hook() -> None:
    manager = pluggy.PluginManager("payalert")
    manager.add_hookspecs(hookspecs)
    manager.register(_Plugin())
    manager.check_pending()
    found = plugin_parsers(manager)
    assert [p.name for p in found] == ["cooperative-bank"]
    chain = make_chain(manager=manager)
    assert chain.names == ["cooperative-bank", "banktext"]
    parser, result = chain.run(AlertText("COOP credit", sent_at=datetime(2026, 1, 1, tzinfo=IST)))
    assert parser is not None and parser.name == "cooperative-bank" and isinstance(result, ParsedAlert)


def test_without_a_plugin_manager_only_rules_and_built_ins_answer() -> None:
    assert make_chain().names == ["banktext"]
    assert plugin_parsers(None) == []


def test_a_crashing_plugin_parser_is_a_refusal_not_a_crash() -> None:
    class Broken:
        name = "broken"
        domains = ()

        def parse(self, message):
            raise RuntimeError("bug")

    parser, result = ParserChain([Broken()]).run(AlertText("x"))
    assert parser is not None and isinstance(result, Refused) and "RuntimeError" in result.reason
