"""A raw RFC 822 message as the facts payalert needs: sender, subject, date, body text, auth headers."""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message

from payalert_banktext import AlertText

from payalert_core import is_plausible_time, one_line

from .htmltext import html_to_text

_LOOKS_HTML = re.compile(r"^\s*(?:<!doctype html|<html\b)|<body\b", re.I)
#: Bodies larger than this (in characters) are cut before parsing; alerts are a few kB.
MAX_TEXT = 200_000


@dataclass(frozen=True)
class MailFacts:
    """What one e-mail says about itself (nothing here is trusted before the trust check)."""

    senders: tuple[str, ...]
    subject: str
    sent_at: datetime | None
    message_id: str | None
    text: str
    authentication_results: tuple[str, ...]
    digest: str
    plain_text: str = ""
    html_text: str = ""
    dkim_signatures: tuple[str, ...] = ()
    to_headers: tuple[str, ...] = ()
    date_note: str | None = None  # why ``sent_at`` is None although the mail has a Date

    @property
    def sender(self) -> str:
        """The single From address, or ``""`` when there is none or more than one."""
        return self.senders[0] if len(self.senders) == 1 else ""

    def alert_text(self) -> AlertText:
        """The view parsers get."""
        return AlertText(text=self.text, subject=self.subject, sender=self.sender, sent_at=self.sent_at)


def _raw_values(message: Message, name: str) -> list[str]:
    return [str(value) for key, value in message.raw_items() if key.lower() == name.lower()]  # type: ignore[attr-defined]


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header the default policy cannot parse: use it as written
        value = next(iter(_raw_values(message, name)), None)
    return "" if value is None else " ".join(str(value).split())


def _all_headers(message: Message, name: str) -> tuple[str, ...]:
    """Every value of ``name``, top-most first, as written (unfolded)."""
    return tuple(" ".join(value.split()) for value in _raw_values(message, name))


def _senders(message: Message) -> tuple[str, ...]:
    try:
        raw = _raw_values(message, "From")
    except Exception:
        return ()
    addresses = [address.strip().lower() for _, address in email.utils.getaddresses(raw) if address.strip()]
    return tuple(address for address in addresses if "@" in address)


def _date(message: Message) -> tuple[datetime | None, str | None]:
    """The ``Date`` header, and a note when it was dropped for lying outside 1970 to tomorrow."""
    raw = _header(message, "Date")
    if not raw:
        return None, None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None, None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not is_plausible_time(parsed):
        return None, f"the mail's Date ({one_line(raw, 60)}) is out of range; shown: when it was read"
    return parsed, None


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, AttributeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            content = payload.decode(charset, errors="replace")
        except (LookupError, ValueError):
            content = payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def body_parts(message: Message) -> tuple[str, str]:
    """The text/plain parts and the visible text of the HTML parts, each joined (and cut to ``MAX_TEXT``)."""
    plain: list[str] = []
    html: list[str] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            content = _part_text(part)
            if _LOOKS_HTML.search(content[:2000]):  # HTML sent without a Content-Type: read it as HTML
                html.append(html_to_text(content))
            else:
                plain.append(content)
        elif kind == "text/html":
            html.append(html_to_text(_part_text(part)))
    plain_text = "\n".join(p for p in plain if p.strip())
    html_text = "\n".join(h for h in html if h.strip())
    return plain_text[:MAX_TEXT], html_text[:MAX_TEXT]


def chosen_text(plain_text: str, html_text: str) -> str:
    """What parsers read: the text/plain part when it holds a figure, else the HTML part's visible text."""
    if plain_text and re.search(r"\d", plain_text):
        return plain_text
    return html_text or plain_text


def read_message(raw: bytes) -> MailFacts:
    """Parse raw message bytes (never raises for malformed mail; missing parts come back empty)."""
    message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[assignment]
    message_id = _header(message, "Message-ID").strip() or None
    plain_text, html_text = body_parts(message)
    sent_at, date_note = _date(message)
    return MailFacts(
        senders=_senders(message),
        subject=_header(message, "Subject"),
        sent_at=sent_at,
        date_note=date_note,
        message_id=message_id,
        text=chosen_text(plain_text, html_text),
        authentication_results=_all_headers(message, "Authentication-Results"),
        digest=hashlib.sha256(raw).hexdigest(),
        plain_text=plain_text,
        html_text=html_text,
        dkim_signatures=_all_headers(message, "DKIM-Signature"),
        to_headers=_all_headers(message, "To"),
    )
