"""Helpers for payalert-github's tests: post deliveries the way GitHub does, read counters."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from payalert_core import sign_sha256 as sign_body

from .daemon import DaemonProcess

SECRET = "It is a test secret: 7f3c9a1e"
SOURCE = "gh"


def encode(payload: Any, content_type: str = "json") -> tuple[bytes, str]:
    """Body and Content-Type header for a payload (dict, or text already serialised)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    if content_type == "form":
        return urlencode({"payload": text}).encode(), "application/x-www-form-urlencoded"
    return text.encode(), "application/json"


class Poster:
    """Posts deliveries the way GitHub does: raw body, event, delivery GUID and signature headers."""

    def __init__(self, daemon: DaemonProcess, source: str = SOURCE, secret: str | None = SECRET) -> None:
        self.daemon = daemon
        self.path = f"/hooks/{source}/"
        self.secret = secret

    def raw(self, body: bytes, headers: dict[str, str]) -> Any:
        """POST exactly these bytes and headers."""
        return self.daemon.post(self.path, body, headers)

    def send(
        self,
        payload: Any,
        event: str = "sponsorship",
        delivery: str | None = None,
        content_type: str = "json",
        secret: str | None = None,
        signature: str | None = None,
        sign: bool = True,
    ) -> Any:
        """Encode, sign (with this poster's secret unless told otherwise) and POST one delivery."""
        body, mime = encode(payload, content_type)
        headers = {
            "Content-Type": mime,
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "User-Agent": "GitHub-Hookshot/test",
        }
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        elif sign:
            headers["X-Hub-Signature-256"] = sign_body(secret or self.secret or "", body)
        return self.raw(body, headers)


def counter(daemon: DaemonProcess, event: str, source: str = SOURCE) -> float:
    """The value of ``payalert_source_events_total`` for one source and event (0 when absent)."""
    pattern = re.compile(
        r"^payalert_source_events_total\{([^}]*)\}\s+([0-9.eE+-]+)$",
        re.MULTILINE,
    )
    for labels, value in pattern.findall(daemon.metrics()):
        if f'source="{source}"' in labels and f'event="{event}"' in labels:
            return float(value)
    return 0.0
