"""Which sender domains belong to banks, and the organisational domain used for DKIM alignment."""

from __future__ import annotations

from collections.abc import Iterable

from payalert_banktext import domain_matches, mail_domains

#: Mail domains of the banks, card issuers and wallets payalert-banktext has profiles of, so their
#: authenticated mail counts as an issuer's. Every domain under ``bank.in`` (a zone only banks
#: regulated by the RBI can register) counts too.
KNOWN_BANK_DOMAINS: tuple[str, ...] = mail_domains()

#: Suffixes under which the organisational domain has three labels (``hdfcbank.bank.in``).
_TWO_LABEL_SUFFIXES = frozenset(
    {
        "bank.in",
        "co.in",
        "net.in",
        "org.in",
        "firm.in",
        "gen.in",
        "ind.in",
        "ac.in",
        "gov.in",
        "co.uk",
        "com.au",
    }
)


def org_domain(domain: str) -> str:
    """The organisational domain (``alerts.hdfcbank.bank.in`` → ``hdfcbank.bank.in``)."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _TWO_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_bank_domain(domain: str, extra: Iterable[str] = ()) -> bool:
    """Whether mail from ``domain`` may be a bank's (known list, ``*.bank.in``, or ``extra``)."""
    if not domain:
        return False
    return domain_matches(domain, (*KNOWN_BANK_DOMAINS, "bank.in", *extra))
