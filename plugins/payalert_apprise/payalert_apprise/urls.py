"""Apprise URLs: whether Apprise can use one, a redacted name for it, and its secret fragments.

A URL is a secret as a whole (it carries tokens and passwords), so nothing here returns or logs
it. A URL is named by its scheme and host only, taken from Apprise's own privacy form of the URL
(which masks hosts that are really tokens, such as Slack's and Telegram's): ``slack://T...2``,
``mailtos://smtp.example.com``, ``json://127.0.0.1:8080``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

import apprise

from .logbridge import collecting, install

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}$")
_SEPARATORS = re.compile(r"[/:@,;\s]+")
#: Shorter pieces of a URL (``yes``, ``pw``) are not scrubbed from text: they would mangle it.
MIN_FRAGMENT = 4
EXAMPLES = "slack://, discord://, mailto://, ntfy://, matrix://, json://"


def new_asset() -> apprise.AppriseAsset:
    """Apprise settings for payalert: nothing written to disk, URLs masked in Apprise's own logs."""
    return apprise.AppriseAsset(storage_mode="memory", secure_logging=True)


def url_problem(url: str) -> str | None:
    """None when Apprise can use ``url``; else one line saying what to change (without the URL)."""
    try:
        instantiate(url)
    except ValueError as error:
        return str(error)
    return None


def instantiate(url: str, asset: apprise.AppriseAsset | None = None) -> apprise.NotifyBase:
    """Apprise's service object for ``url``; ValueError with a one-line reason when it cannot be made."""
    install(secret_fragments(url))
    text = url.strip()
    if not text:
        raise ValueError("empty; write an Apprise URL such as ntfys://ntfy.example.com/payments")
    match = _SCHEME.match(text)
    if not match:
        raise ValueError(f"not an Apprise URL; write scheme://..., e.g. one of {EXAMPLES}")
    scheme = match.group(1).lower()
    plugins = apprise.NotificationManager()
    web = scheme in ("http", "https")
    if not web and scheme not in plugins:
        raise ValueError(
            f"Apprise has no service with the scheme {scheme}://; use one it supports, e.g. {EXAMPLES}"
        )
    if not web and not plugins[scheme].enabled:
        needs = plugins[scheme].requirements.get("packages_required")
        if needs:
            needed = needs if isinstance(needs, str) else ", ".join(needs)
            raise ValueError(f"Apprise's {scheme}:// needs the Python package {needed}; pip install it")
        raise ValueError(f"Apprise's {scheme}:// service cannot run on this system")
    with collecting() as complaints:
        service = apprise.Apprise.instantiate(text, asset=asset or new_asset(), suppress_exceptions=True)
    if service is not None:
        return service
    if web:
        raise ValueError(
            f"Apprise does not know this {scheme}:// URL as a service's webhook; write it with the"
            " service's scheme instead (json://host/path for a plain JSON webhook)"
        )
    # Apprise explains in a warning ("An invalid Slack Token was specified"), then logs an error
    # quoting the (masked) URL; only the explanation is worth showing.
    reasons = [line for line in complaints if "URL" not in line] or complaints
    reason = f" ({reasons[0].rstrip('.')})" if reasons else ""
    raise ValueError(f"Apprise cannot use this {scheme}:// URL{reason}; check it against Apprise's docs")


def redacted_name(service: apprise.NotifyBase) -> str:
    """``scheme://host[:port]`` from Apprise's privacy URL; a host that is not a DNS name is masked."""
    parts = urlsplit(service.url(privacy=True))
    if not service.host:  # e.g. ntfy://topic: the "host" of the privacy URL is the secret topic
        return f"{parts.scheme}://"
    netloc = parts.netloc.rpartition("@")[2]
    if netloc.startswith("["):  # [IPv6]:port
        host, _, rest = netloc.partition("]")
        host, port = host + "]", rest.removeprefix(":")
    else:
        host, _, port = netloc.partition(":")
    shown = host if _is_public_host(host) else _mask(host)
    return f"{parts.scheme}://{shown}" + (f":{port}" if port else "")


def target_names(services: Sequence[apprise.NotifyBase]) -> list[str]:
    """One distinct name per service: its redacted name, then ``#2``, ``#3`` for repeats in order."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for service in services:
        name = redacted_name(service)
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return names


def secret_fragments(url: str) -> set[str]:
    """The URL and every piece of it (user, password, host, path parts, query values), as written and decoded."""
    text = url.strip()
    fragments = {text, unquote(text)}
    rest = text.split("://", 1)[-1]
    address, _, query = rest.partition("?")
    address, _, anchor = address.partition("#")
    query, _, tail = query.partition("#")
    pieces = [*_SEPARATORS.split(address), anchor, tail]
    pieces += [value for _, value in parse_qsl(query, keep_blank_values=True)]
    for piece in pieces:
        fragments.update({piece, unquote(piece), unquote_plus(piece)})
    return {fragment for fragment in fragments if len(fragment) >= MIN_FRAGMENT}


def _is_public_host(host: str) -> bool:
    if "..." in host or host.lower() == "localhost" or _DNS_NAME.match(host):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _mask(host: str) -> str:
    return f"{host[0]}...{host[-1]}" if len(host) > 2 else "..."
