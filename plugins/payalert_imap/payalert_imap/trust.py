"""Is this mail really from the bank? Only the user's own provider's topmost Authentication-Results decides.

The provider (the MTA that received the mail for the mailbox) adds its ``Authentication-Results``
on top of the header block (RFC 8601 section 2), above anything the sender wrote. So only the
topmost header counts, and only when it carries the provider's authserv-id. Headers further down
were written by someone else: they never add trust. One with the provider's authserv-id can only
take trust away (a conforming provider deletes such headers from outside, section 5).
ARC headers are ignored (see the plugin README).
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import authres

from .banks import domain_matches, is_bank_domain, org_domain
from .message import MailFacts

TrustStatus = Literal["pass", "fail", "not_checked"]

#: A longer Authentication-Results value is not read (a provider's is well under 2 kB).
MAX_HEADER_LENGTH = 8_192
#: An Authentication-Results value that starts with ``method=``: Outlook's, without an authserv-id.
_NO_AUTHSERV_ID = re.compile(r"^\s*[\w.-]+\s*(?:/\s*\d+\s*)?=")
_PLACEHOLDER_ID = "no-authserv-id.invalid"
#: Results that fail their method, wherever they stand in the provider's headers.
FAILING_RESULTS = frozenset({"fail", "softfail", "hardfail", "permerror", "temperror", "policy"})
_FEATURES = authres.all_features()


@dataclass(frozen=True)
class DkimPass:
    """One aligned ``dkim=pass`` of the provider's header: the signing domain, selector, signature prefix."""

    domain: str
    selector: str | None = None
    signature_prefix: str | None = None


@dataclass(frozen=True)
class TrustResult:
    """The verdict on one mail, with the reason in words a user can act on."""

    status: TrustStatus
    reason: str
    method: str | None = None
    header: str | None = None
    authserv_id: str | None = None
    dkim: tuple[DkimPass, ...] = field(default=(), compare=False)

    @property
    def trusted(self) -> bool:
        """True for ``pass`` and for ``not_checked`` (trust switched off or a bare text)."""
        return self.status != "fail"

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict for ``explain`` and for ``Payment.raw``."""
        document = {k: v for k, v in self.__dict__.items() if v is not None and k != "dkim"}
        if self.dkim:
            document["dkim_domains"] = sorted({signature.domain for signature in self.dkim})
        return document


@dataclass(frozen=True)
class MethodResult:
    """One ``method=result`` clause with its ``ptype.property=value`` pairs (a repeated property is blank)."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthenticationResults:
    """A parsed Authentication-Results header value (``authserv_id`` is ``""`` for Outlook's)."""

    authserv_id: str
    results: tuple[MethodResult, ...]


class UnreadableHeader(ValueError):
    """An Authentication-Results value that is not RFC 8601 (the message says what is wrong)."""


def parse_authentication_results(value: str, allow_empty_authserv_id: bool = False) -> AuthenticationResults:
    """Parse one header value with ``authres`` (RFC 8601: comments, quoted strings, versions, folding).

    With ``allow_empty_authserv_id``, a value that starts with a result (Outlook's form) is read as
    having the authserv-id ``""``. Raises :class:`UnreadableHeader`.
    """
    if len(value) > MAX_HEADER_LENGTH:
        raise UnreadableHeader(f"longer than {MAX_HEADER_LENGTH} characters")
    unnamed = allow_empty_authserv_id and bool(_NO_AUTHSERV_ID.match(value))
    text = f"{_PLACEHOLDER_ID}; {value}" if unnamed else value
    try:
        parsed = _FEATURES.parse_value(text.replace("\r", " ").replace("\n", " "))
    except authres.AuthResError as error:
        raise UnreadableHeader(str(error.message or type(error).__name__)) from None
    except (ValueError, TypeError, AttributeError) as error:  # authres has no others, but never crash
        raise UnreadableHeader(type(error).__name__) from None
    results = []
    for result in parsed.results:
        properties: dict[str, str] = {}
        for prop in result.properties:
            key = f"{prop.type}.{prop.name}".lower()
            properties[key] = "" if key in properties else str(prop.value or "")
        results.append(MethodResult(str(result.method).lower(), str(result.result).lower(), properties))
    authserv_id = "" if unnamed else str(parsed.authserv_id or "").lower()
    return AuthenticationResults(authserv_id, tuple(results))


def _read(value: str, allow_empty: bool) -> AuthenticationResults | None:
    try:
        return parse_authentication_results(value, allow_empty)
    except UnreadableHeader:
        return None


def _signing_domain(result: MethodResult) -> str:
    domain = result.properties.get("header.d") or result.properties.get("header.i", "").rpartition("@")[2]
    return domain.lower().strip(".")


def _configure_hint(authserv_ids: Sequence[str], allow_empty: bool) -> str:
    wanted = ", ".join(authserv_ids) + (" or none (Outlook)" if allow_empty else "")
    return (
        f"payalert trusts only the topmost header, from your provider ({wanted or 'nobody'}); if your "
        "provider writes another authserv-id, set authserv_id to it in the source's config"
    )


@dataclass(frozen=True)
class _Methods:
    """Every dkim and dmarc clause the provider's headers hold (the topmost header's and the vetoes)."""

    top: AuthenticationResults
    lower: tuple[AuthenticationResults, ...]

    def all_of(self, method: str) -> list[MethodResult]:
        return [r for header in (self.top, *self.lower) for r in header.results if r.method == method]

    def passes_of(self, method: str) -> list[MethodResult]:
        return [r for r in self.top.results if r.method == method and r.result == "pass"]

    def failed(self, method: str) -> str | None:
        """Why ``method`` failed as a whole: any failing result fails it, and so do ``none`` and ``pass`` together."""
        results = [r.result for r in self.all_of(method)]
        failing = next((result for result in results if result in FAILING_RESULTS), None)
        if failing is None and "none" in results and "pass" in results:
            return "none and pass"
        return failing


def check_trust(
    facts: MailFacts,
    authserv_ids: Sequence[str],
    bank_domains: Sequence[str] = (),
    extra_bank_domains: Iterable[str] = (),
    allow_empty_authserv_id: bool = False,
) -> TrustResult:
    """Pass only when the provider's topmost header shows DMARC, or aligned DKIM, passing for the sender.

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
    wanted = {a.lower() for a in authserv_ids if a}
    if allow_empty_authserv_id:
        wanted.add("")
    hint = _configure_hint(sorted(a for a in wanted if a), allow_empty_authserv_id)
    if not facts.authentication_results:
        return TrustResult("fail", f"the mail has no Authentication-Results header; {hint}")
    top = _read(facts.authentication_results[0], allow_empty_authserv_id)
    if top is None:
        return TrustResult("fail", f"the topmost Authentication-Results header cannot be read; {hint}")
    if top.authserv_id not in wanted:
        found = top.authserv_id or "(no authserv-id)"
        return TrustResult("fail", f"the topmost Authentication-Results header is from {found}; {hint}")
    lower = tuple(
        parsed
        for value in facts.authentication_results[1:]
        if (parsed := _read(value, allow_empty_authserv_id)) is not None and parsed.authserv_id in wanted
    )
    return _judge(_Methods(top, lower), sender_domain, bank_domains)


def _judge(methods: _Methods, sender_domain: str, bank_domains: Sequence[str]) -> TrustResult:
    header, authserv_id = "Authentication-Results", methods.top.authserv_id
    dmarc_failed = methods.failed("dmarc")
    dmarc_pass = [
        r for r in methods.passes_of("dmarc") if r.properties.get("header.from", "").lower() == sender_domain
    ]
    dkim_failed = methods.failed("dkim")
    aligned = [
        r
        for r in methods.passes_of("dkim")
        if (signer := _signing_domain(r))
        and org_domain(signer) == org_domain(sender_domain)
        and (not bank_domains or domain_matches(signer, bank_domains))
    ]
    dkim = tuple(
        DkimPass(
            _signing_domain(r), r.properties.get("header.s") or None, r.properties.get("header.b") or None
        )
        for r in aligned
    )
    seen = ", ".join(
        f"{r.method}={r.result}"
        + (f" (d={_signing_domain(r)})" if r.method == "dkim" and _signing_domain(r) else "")
        for r in methods.top.results
        if r.method in ("dkim", "dmarc")
    )
    found = seen or "no dkim or dmarc result"
    if dmarc_failed:
        return TrustResult(
            "fail",
            f"dmarc={dmarc_failed} for {sender_domain} ({found})",
            header=header,
            authserv_id=authserv_id,
        )
    if dmarc_pass:
        return TrustResult(
            "pass",
            f"dmarc=pass for {sender_domain}",
            "dmarc",
            header,
            authserv_id,
            dkim if not dkim_failed else (),
        )
    if aligned and not dkim_failed:
        signer = dkim[0].domain
        return TrustResult(
            "pass", f"dkim=pass aligned with {sender_domain} (d={signer})", "dkim", header, authserv_id, dkim
        )
    why = f"dkim={dkim_failed}" if dkim_failed and aligned else "neither aligned DKIM nor DMARC passed"
    return TrustResult("fail", f"{why} for {sender_domain} ({found})", header=header, authserv_id=authserv_id)


def _dkim_tags(value: str) -> dict[str, str]:
    """A DKIM-Signature's tag list (RFC 6376 tag=value pairs; its grammar has no quoting)."""
    tags: dict[str, str] = {}
    for item in value.split(";"):
        name, equals, tag_value = item.partition("=")
        if equals:
            tags.setdefault(name.strip().lower(), "".join(tag_value.split()))
    return tags


def to_addresses(facts: MailFacts) -> tuple[str, ...] | None:
    """The addresses of the mail's one To header, or None when it has none or several."""
    if len(facts.to_headers) != 1:
        return None
    addresses = email.utils.getaddresses(list(facts.to_headers))
    return tuple(address.strip().lower() for _, address in addresses if "@" in address)


def signed_recipients(facts: MailFacts, trust: TrustResult) -> tuple[str, ...] | None:
    """The To addresses vouched for by a DKIM signature that passed aligned, or None when none covers To.

    Only a mail with exactly one To header counts: a second one, added on the way, would not be
    the one the signature covers.
    """
    recipients = to_addresses(facts)
    if recipients is None or not trust.dkim:
        return None
    for value in facts.dkim_signatures:
        tags = _dkim_tags(value)
        signed = [name.strip().lower() for name in tags.get("h", "").split(":")]
        if "to" not in signed:
            continue
        for passed in trust.dkim:
            if not domain_matches(passed.domain, [tags.get("d", "")]):
                continue
            if passed.selector and tags.get("s", "").lower() != passed.selector.lower():
                continue
            if passed.signature_prefix and not tags.get("b", "").startswith(passed.signature_prefix):
                continue
            return recipients
    return None
