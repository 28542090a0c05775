"""Issuer profiles (``issuers.toml``): who sent an alert, by SMS header, mail domain, app or name."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

from .lazyre import LazyPattern
from .senders import domain_matches

IssuerKind = Literal["bank", "card", "wallet", "payments_bank", "upi_app"]
MatchedBy = Literal["sms_header", "mail_domain", "app", "sender_name", "text"]

#: A sender an Indian operator delivers from a DLT header: its two-letter operator and circle prefix,
#: the header, and the category suffix TRAI added in 2025 (service, transactional, promotional,
#: government). Nothing else (a phone number, a bare or free-form name) is such a sender.
_DLT_SENDER = LazyPattern(r"(?P<operator>[A-Z]{2})-(?P<header>[A-Z0-9]{3,9})(?:-[STPG])?", re.I)
#: ``VM-HDFCBK``, ``AX-ICICIT-S``, ``HDFCBK``, ``[JD-HDFCBK-S]``: operator prefix, header, suffix.
_SMS_SENDER = LazyPattern(r"^\[?(?:[A-Z0-9]{2}-)?(?P<header>[A-Z0-9]{3,12})(?:-[A-Z]{1,2})?\]?$", re.I)


@dataclass(frozen=True)
class IssuerProfile:
    """One bank, card issuer, wallet or UPI app: its name and how its alerts can be recognised."""

    id: str
    name: str
    kind: IssuerKind
    sms_headers: tuple[str, ...] = ()
    mail_domains: tuple[str, ...] = ()
    app_ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuerMatch:
    """The issuer an alert was matched to, and what gave it away."""

    profile: IssuerProfile
    matched_by: MatchedBy

    def to_json(self) -> dict[str, str]:
        """``{"id", "name", "kind", "matched_by"}`` for ``explain``."""
        return {
            "id": self.profile.id,
            "name": self.profile.name,
            "kind": self.profile.kind,
            "matched_by": self.matched_by,
        }


@cache
def profiles() -> tuple[IssuerProfile, ...]:
    """Every issuer profile shipped with payalert-banktext."""
    data = tomllib.loads(files(__package__).joinpath("issuers.toml").read_text(encoding="utf-8"))
    return tuple(
        IssuerProfile(
            id=entry["id"],
            name=entry["name"],
            kind=entry["kind"],
            sms_headers=tuple(h.upper() for h in entry.get("sms_headers", ())),
            mail_domains=tuple(d.lower() for d in entry.get("mail_domains", ())),
            app_ids=tuple(entry.get("app_ids", ())),
            names=tuple(entry.get("names", ())),
        )
        for entry in data["issuer"]
    )


def mail_domains() -> tuple[str, ...]:
    """Every issuer's mail domains, for deciding whether a mail comes from an issuer at all."""
    return tuple(domain for profile in profiles() for domain in profile.mail_domains)


_WORD = LazyPattern(r"[A-Za-z0-9]+")
#: A word of a text that may be (part of) a name: not part of a VPA or an address.
_TOKEN = LazyPattern(r"(?<![@\w])[A-Za-z0-9]+(?![@\w])")


@cache
def _names_by_first_word() -> dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]:
    """Issuer names by their first word (lower case): (words, the name as written, issuer id), longest first."""
    table: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for profile in profiles():
        for name in profile.names:
            words = tuple(word.lower() for word in _WORD.findall(name))
            table.setdefault(words[0], []).append((words, name, profile.id))
    return {first: tuple(sorted(entries, key=lambda e: -len(e[0]))) for first, entries in table.items()}


def _by_id(issuer_id: str) -> IssuerProfile:
    return next(profile for profile in profiles() if profile.id == issuer_id)


def issuer_named_in(text: str, any_case: bool = False) -> IssuerProfile | None:
    """The issuer whose name comes first in ``text`` (the longest name where two start together).

    Names of several words match in any case and spacing (``Punjab&Sind Bank``); a one-word name
    (``SBI``, ``slice``, ``CRED``) only as written, unless ``any_case`` (a sender id). A word inside
    a VPA or an address (``user@SBI``) is no name.
    """
    table = _names_by_first_word()
    tokens = _TOKEN.findall(text)
    lowered = [token.lower() for token in tokens]
    for index, first in enumerate(lowered):
        entries = table.get(first)
        if not entries:
            continue
        for words, name, issuer_id in entries:
            if tuple(lowered[index : index + len(words)]) != words:
                continue
            if len(words) == 1 and not any_case and tokens[index] != name:
                continue
            return _by_id(issuer_id)
    return None


def issuer_of_sender(sender: str, medium: str = "sms") -> IssuerMatch | None:
    """The issuer a sender belongs to: a mail domain (``medium="email"``), else an SMS header, an app
    id (alerts read from phone notifications), or the issuer's name as the sender shows it."""
    sender = sender.strip()
    if not sender:
        return None
    address = re.search(r"<([^<>@\s]+@[^<>\s]+)>", sender)
    if medium == "email" or "@" in sender:
        if "@" not in sender:
            return None
        domain = (address.group(1) if address else sender).rpartition("@")[2].strip(" >").lower()
        for profile in profiles():
            if domain_matches(domain, profile.mail_domains):
                return IssuerMatch(profile, "mail_domain")
        return None
    for profile in profiles():
        if sender in profile.app_ids:
            return IssuerMatch(profile, "app")
    header = _SMS_SENDER.match(sender)
    if header:
        code = header["header"].upper()
        for profile in profiles():
            if code in profile.sms_headers:
                return IssuerMatch(profile, "sms_header")
    named = issuer_named_in(sender, any_case=True) or issuer_named_in(_spaced(sender), any_case=True)
    return IssuerMatch(named, "sender_name") if named else None


def dlt_header(sender: str) -> str | None:
    """The DLT header of an SMS sender id (``JD-HDFCBK-S`` → ``HDFCBK``), or None when it is no such id.

    A phone number, an id without the operator's prefix, or one with a suffix other than TRAI's
    categories is not a DLT sender id.
    """
    found = _DLT_SENDER.fullmatch(sender.strip())
    return found["header"].upper() if found else None


def issuer_of_sms_sender(sender: str, extra_headers: Collection[str] = ()) -> IssuerProfile | None:
    """The issuer whose DLT header sent this SMS, or None: the only test an SMS source trusts.

    Unlike :func:`issuer_of_sender`, a sender that only names an issuer (``HDFC Bank``, a
    number, an app) belongs to none: anyone can send an SMS from a phone number, and names are
    free text, while a DLT header is registered to its owner and an operator's prefix shows it
    came through the DLT platform. ``extra_headers`` are headers (upper case) the user trusts
    beyond the profiles' (a bank payalert does not know yet): each is an issuer of its own.
    """
    header = dlt_header(sender)
    if header is None:
        return None
    known = next((profile for profile in profiles() if header in profile.sms_headers), None)
    if known is None and header in extra_headers:
        return IssuerProfile(
            id=f"sms-header:{header.lower()}", name=header, kind="bank", sms_headers=(header,)
        )
    return known


def _spaced(sender: str) -> str:
    """``SARASWATBANK`` → ``SARASWAT BANK``: a sender id written without the space of the issuer's name."""
    return re.sub(r"(?i)(?<=[a-z])(bank|card|pay)\b", r" \1", sender)


def match_issuer(sender: str, text: str, medium: str = "sms") -> IssuerMatch | None:
    """Who sent the alert: by its sender first, else by the first issuer its text names."""
    by_sender = issuer_of_sender(sender, medium)
    if by_sender is not None:
        return by_sender
    named = issuer_named_in(text)
    return IssuerMatch(named, "text") if named else None
