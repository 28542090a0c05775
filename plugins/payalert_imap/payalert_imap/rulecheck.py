"""Checking a user's rules by hand (``imap explain``): which rule filters apply, and why a rule was skipped."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pluggy
from payalert_banktext import ParserChain, RuleConfig, sender_matches

from .mailchain import mail_chain


def rules_to_check(
    rules: Sequence[RuleConfig], sender: str | None, subject: str | None
) -> tuple[list[RuleConfig], list[str]]:
    """The rules as a check can apply them, and one note per rule filter that was not met or not checked.

    ``sender`` or ``subject`` is None when the check does not know it (a bare text without
    ``--from``/``--subject``): that filter is left out, so the rule's pattern is still tried.
    """
    usable: list[RuleConfig] = []
    notes: list[str] = []
    for rule in rules:
        name = f"rule:{rule.name}"
        changes: dict[str, object] = {}
        if rule.senders:
            listed = ", ".join(rule.senders)
            if sender is None:
                changes["senders"] = []
                notes.append(f"{name}: senders ({listed}) not checked; give --from to check them")
            elif not sender_matches(sender, [s.lower() for s in rule.senders]):
                notes.append(
                    f"{name} skipped: the sender {sender or '(none)'} is not one of its senders ({listed})"
                )
        if rule.subject:
            if subject is None:
                changes["subject"] = None
                notes.append(f"{name}: subject {rule.subject!r} not checked; give --subject to check it")
            elif not re.search(rule.subject, subject, re.I):
                notes.append(f"{name} skipped: the subject {subject!r} does not match {rule.subject!r}")
        usable.append(rule.model_copy(update=changes) if changes else rule)
    return usable, notes


class RuleCheck:
    """The parser chains one ``explain`` run needs: the source's rules with the filters each input can check."""

    def __init__(self, rules: Sequence[RuleConfig], manager: pluggy.PluginManager | None) -> None:
        self.rules = list(rules)
        self.manager = manager
        self._chains: dict[tuple[bool, bool], ParserChain] = {}

    def chain(self, sender: str | None, subject: str | None) -> tuple[ParserChain, list[str]]:
        """The chain for an input with this sender and subject (None: unknown), and the rule notes."""
        usable, notes = rules_to_check(self.rules, sender, subject)
        key = (sender is None, subject is None)  # the only thing that changes the chain
        if key not in self._chains:
            self._chains[key] = mail_chain(usable, self.manager)
        return self._chains[key], notes
