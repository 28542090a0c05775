"""GitHub's webhook signature: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body, hex>``.

The scheme is the core's (``payalert_core.sign_sha256`` / ``sha256_signature_problem``).
"""

SIGNATURE_HEADER = "X-Hub-Signature-256"
