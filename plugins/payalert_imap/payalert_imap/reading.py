"""Does a mail say one thing? Its text/plain and HTML parts must agree, and its text must tell one transaction."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from payalert_banktext import AlertText, ParsedAlert, ParserChain

from .message import MailFacts

_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")
#: A sentence ends at ``.``, ``!`` or ``?`` followed by a space and a capital (``Rs. 5`` does not end one).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z₹])")


def _shown(alert: ParsedAlert) -> str:
    return f"{alert.amount} {alert.currency} {alert.direction}"


def _figures(text: str) -> set[Decimal]:
    found = set()
    for figure in _FIGURE.findall(text):
        try:
            found.add(Decimal(figure.replace(",", "")))
        except InvalidOperation:
            continue
    return found


def parts_disagree(facts: MailFacts, chain: ParserChain, alert: ParsedAlert) -> str | None:
    """Why the text/plain part, which parsers read, is not what the HTML part shows the reader; or None.

    The parts disagree when the HTML reads as another transaction, or when it shows no figure
    equal to the amount read from the plain text.
    """
    if not facts.html_text or facts.text != facts.plain_text:
        return None
    _, seen = chain.run(replace(facts.alert_text(), text=facts.html_text))
    if isinstance(seen, ParsedAlert):
        if (seen.amount, seen.currency, seen.direction) != (alert.amount, alert.currency, alert.direction):
            return f"the text/plain part says {_shown(alert)} but the HTML part shows {_shown(seen)}"
        return None
    if alert.amount not in _figures(facts.html_text):
        return (
            f"the text/plain part says {_shown(alert)} but the HTML part the reader sees shows no such amount"
        )
    return None


def sentences(text: str) -> list[str]:
    """The text cut into lines, and lines into sentences."""
    return [piece for line in text.splitlines() for piece in _SENTENCE_END.split(line) if piece.strip()]


def several_transactions(message: AlertText, chain: ParserChain) -> str | None:
    """Why the text holds more than one transaction sentence (each read alone), or None when it does not."""
    found: list[ParsedAlert] = []
    for sentence in sentences(message.text):
        if not any(char.isdigit() for char in sentence):
            continue
        # Each sentence alone: the subject would lend every sentence its amount.
        _, result = chain.run(replace(message, text=sentence, subject=""))
        if isinstance(result, ParsedAlert):
            found.append(result)
            if len(found) == 2:
                listed = " and ".join(_shown(alert) for alert in found)
                return f"the text holds more than one transaction sentence ({listed}): nothing is merged"
    return None


def reading_conflict(facts: MailFacts, chain: ParserChain, alert: ParsedAlert) -> str | None:
    """Why ``alert``, read from the mail, may not be what the mail tells its reader; or None."""
    return parts_disagree(facts, chain, alert) or several_transactions(facts.alert_text(), chain)
