"""Is this mail really from the bank? The user's own provider's Authentication-Results decide."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .banks import domain_matches, is_bank_domain, org_domain
from .message import MailFacts

TrustStatus = Literal["pass", "fail", "not_checked"]


@dataclass(frozen=True)
class TrustResult:
    """The verdict on one mail, with the reason in words a user can act on."""

    status: TrustStatus
    reason: str
    method: str | None = None
    header: str | None = None
    authserv_id: str | None = None

    @property
    def trusted(self) -> bool:
        """True for ``pass`` and for ``not_checked`` (trust switched off or a bare text)."""
        return self.status != "fail"

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict for ``explain`` and for ``Payment.raw``."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class MethodResult:
    """One ``method=result`` clause with its ``ptype.property=value`` pairs."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthenticationResults:
    """A parsed Authentication-Results (or ARC-Authentication-Results) header."""

    authserv_id: str
    results: tuple[MethodResult, ...]
    instance: int | None = None


def strip_comments(value: str) -> str:
    """The header without its ``(comments)`` (nested ones too); quoted strings are kept."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if char == '"' and depth == 0:
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            continue
        elif not quoted and char == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(char)
    return "".join(out)


_CLAUSE = re.compile(r"^\s*([\w.-]+)\s*=\s*([\w.-]+)(.*)$", re.S)
_PROPERTY = re.compile(r"([\w-]+\.[\w.-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)")


def parse_authentication_results(value: str) -> AuthenticationResults:
    """Parse one header value (RFC 8601; ARC's ``i=N;`` prefix and Outlook's missing authserv-id too)."""
    segments = [s.strip() for s in strip_comments(value).split(";")]
    instance = None
    if segments and re.fullmatch(r"i\s*=\s*\d+", segments[0]):
        instance = int(segments.pop(0).split("=")[1])
    authserv_id = ""
    if segments and not _CLAUSE.match(segments[0]):
        authserv_id = segments.pop(0).split()[0].lower() if segments[0].split() else ""
    results = []
    for segment in segments:
        match = _CLAUSE.match(segment)
        if not match:
            continue
        method, result, rest = match.groups()
        properties = {k.lower(): v.strip('"') for k, v in _PROPERTY.findall(rest)}
        results.append(MethodResult(method.lower(), result.lower(), properties))
    return AuthenticationResults(authserv_id, tuple(results), instance)


def select_results(
    facts: MailFacts, authserv_ids: Iterable[str]
) -> tuple[str, AuthenticationResults] | tuple[None, None]:
    """The top-most Authentication-Results from one of ``authserv_ids``, else the newest matching ARC set."""
    wanted = {a.lower() for a in authserv_ids}
    for value in facts.authentication_results:
        parsed = parse_authentication_results(value)
        if parsed.authserv_id in wanted:
            return "Authentication-Results", parsed
    arc = [parse_authentication_results(v) for v in facts.arc_authentication_results]
    arc = [a for a in arc if a.authserv_id in wanted]
    if arc:
        return "ARC-Authentication-Results", max(arc, key=lambda a: a.instance or 0)
    return None, None


def _signing_domain(result: MethodResult) -> str:
    domain = result.properties.get("header.d") or result.properties.get("header.i", "").rpartition("@")[2]
    return domain.lower().strip(".")


def check_trust(
    facts: MailFacts,
    authserv_ids: Sequence[str],
    bank_domains: Sequence[str] = (),
    extra_bank_domains: Iterable[str] = (),
) -> TrustResult:
    """Pass only when the sender is the bank's domain and DKIM (aligned) or DMARC passed for it.

    ``bank_domains`` are the domains the answering parser trusts (empty: any bank domain, the
    known list plus ``extra_bank_domains``).
    """
    if len(facts.senders) != 1:
        return TrustResult("fail", f"the mail has {len(facts.senders)} From addresses, not exactly one")
    sender_domain = facts.sender.rpartition("@")[2]
    if bank_domains:
        if not domain_matches(sender_domain, bank_domains):
            allowed = ", ".join(bank_domains)
            return TrustResult("fail", f"sender domain {sender_domain} is not the bank's ({allowed})")
    elif not is_bank_domain(sender_domain, extra_bank_domains):
        return TrustResult(
            "fail", f"sender domain {sender_domain} is not a known bank domain (see bank_domains)"
        )

    header, results = select_results(facts, authserv_ids)
    if results is None or header is None:
        ids = ", ".join(a or "(no authserv-id)" for a in authserv_ids)
        return TrustResult("fail", f"no Authentication-Results from {ids} in the mail")
    seen: list[str] = []
    for result in results.results:
        if result.method == "dmarc":
            header_from = result.properties.get("header.from", sender_domain).lower()
            seen.append(f"dmarc={result.result}")
            if result.result == "pass" and header_from == sender_domain:
                return TrustResult(
                    "pass", f"dmarc=pass for {sender_domain}", "dmarc", header, results.authserv_id
                )
        elif result.method == "dkim":
            signer = _signing_domain(result)
            seen.append(f"dkim={result.result}" + (f" (d={signer})" if signer else ""))
            if result.result == "pass" and signer and org_domain(signer) == org_domain(sender_domain):
                return TrustResult(
                    "pass",
                    f"dkim=pass aligned with {sender_domain} (d={signer})",
                    "dkim",
                    header,
                    results.authserv_id,
                )
    found = ", ".join(seen) or "no dkim or dmarc result"
    return TrustResult(
        "fail",
        f"neither aligned DKIM nor DMARC passed for {sender_domain} ({found})",
        header=header,
        authserv_id=results.authserv_id,
    )
