"""Who sent an alert: mail domains and addresses, and the patterns users write to pick senders."""

from __future__ import annotations

from collections.abc import Iterable


def domain_matches(domain: str, patterns: Iterable[str]) -> bool:
    """True when ``domain`` is one of ``patterns`` or a subdomain of one."""
    domain = domain.lower().strip(".")
    return any(domain == p or domain.endswith("." + p) for p in (p.lower().strip(".") for p in patterns) if p)


def sender_matches(sender: str, patterns: list[str]) -> bool:
    """``sender`` equals an address in ``patterns`` or is at one of its domains (or subdomains)."""
    address = sender.strip().strip("<>").lower()
    domain = address.rpartition("@")[2]
    for pattern in patterns:
        if "@" in pattern:
            if address == pattern:
                return True
        elif domain and domain_matches(domain, [pattern]):
            return True
    return False
