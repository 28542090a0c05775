"""Users' own regex rules from ``config.yaml``, turned into template parsers."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .model import AlertText
from .senders import sender_matches
from .templates import Template, TemplateParser, expand


class RuleConfig(BaseModel):
    """One user rule: a regex with named groups that reads one alert wording."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Shown as the parser name in alerts and in `imap explain`.")
    pattern: str = Field(
        description="Regex over the body made one line; needs (?P<amount>…); may use {AMT} {DATE} {VPA} {ACCT} …"
    )
    direction: Literal["credit", "debit"] | None = Field(
        default=None, description="credit or debit; omit only when the pattern has a (?P<direction>…) group."
    )
    channel: str = Field(default="account", description="upi, card, neft, imps, rtgs or account.")
    senders: list[str] = Field(
        default_factory=list, description="Addresses or domains the rule applies to (default: any sender)."
    )
    subject: str | None = Field(default=None, description="Regex the subject must match (default: any).")

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(expand(value), re.I)
        except re.error as error:
            raise ValueError(f"not a valid regex: {error}") from None
        if "amount" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<amount>…) (or {AMT})")
        return value

    @field_validator("subject")
    @classmethod
    def _valid_subject(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a valid regex: {error}") from None
        return value

    @model_validator(mode="after")
    def _direction_known(self) -> RuleConfig:
        groups = re.compile(expand(self.pattern), re.I).groupindex
        if self.direction is None and "direction" not in groups:
            raise ValueError("set direction: credit or debit (or capture (?P<direction>…) in the pattern)")
        return self


def rule_parser(rule: RuleConfig) -> TemplateParser:
    """A parser for one rule; it applies only to the rule's senders and subject."""
    subject = re.compile(rule.subject, re.I) if rule.subject else None
    senders = [s.lower() for s in rule.senders]

    def applies(message: AlertText) -> bool:
        if senders and not sender_matches(message.sender, senders):
            return False
        return not (subject and not subject.search(message.subject))

    template = Template(rule.name, rule.pattern, rule.direction, rule.channel)
    domains = tuple(s.rpartition("@")[2] for s in senders)
    return TemplateParser(name=f"rule:{rule.name}", templates=[template], domains=domains, applies=applies)
