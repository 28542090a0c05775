"""Signing and posting to the built-in ``webhook`` source."""

import json

from payalert_core import sign_sha256
from payalert_core.sources.webhook import SIGNATURE_HEADER

SECRET = "integration-secret-0123456789"


def signed_post(daemon, source, payload, secret=SECRET):
    """POST a signed JSON payment to ``/hooks/<source>/``."""
    body = json.dumps(payload).encode()
    headers = {SIGNATURE_HEADER: sign_sha256(secret, body), "Content-Type": "application/json"}
    return daemon.post(f"/hooks/{source}/", body, headers)


def webhook_source(**options):
    """A ``webhook`` source section with the test secret."""
    return {"type": "webhook", "secret": SECRET, **options}
