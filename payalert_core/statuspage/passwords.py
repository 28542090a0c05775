"""The status page's password: stored as a salted scrypt hash, checked in constant time.

A hash reads ``scrypt:<log2 n>:<r>:<p>:<salt>:<key>`` (salt and key in unpadded URL-safe base64):
text without ``$``, ``{`` or spaces, so it can sit in ``config.yaml``, ``.env`` or a shell variable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

#: scrypt's cost: n = 2**15 and r = 8 take 32 MiB and about a tenth of a second per check.
LOG2_N = 15
BLOCK_SIZE = 8
PARALLELISM = 1
SALT_BYTES = 16
KEY_BYTES = 32
#: The shortest password ``set-password`` accepts.
MIN_PASSWORD_LENGTH = 10
#: The most a hash may ask of scrypt (n up to 2**20): a config cannot make a check take a minute.
MAX_LOG2_N = 20
_PREFIX = "scrypt"
#: The variable ``set-password`` saves the hash in (``.env`` beside the config).
PASSWORD_HASH_VARIABLE = "PAYALERT_STATUS_PAGE_PASSWORD_HASH"


class BadPasswordHash(ValueError):
    """A ``password_hash`` that ``set-password`` did not make."""


def hash_password(password: str) -> str:
    """A new salted hash of ``password``."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    return ":".join((_PREFIX, str(LOG2_N), str(BLOCK_SIZE), str(PARALLELISM), _b64(salt), _b64(key)))


def check_hash(stored: str) -> None:
    """Raise :class:`BadPasswordHash` unless ``stored`` is a hash this module can check."""
    _parse(stored)


def password_matches(password: str, stored: str) -> bool:
    """True when ``password`` is the one ``stored`` was made from (takes scrypt's time: run it in a thread)."""
    log2_n, block_size, parallelism, salt, key = _parse(stored)
    return hmac.compare_digest(_derive(password, salt, log2_n, block_size, parallelism), key)


def _derive(password: str, salt: bytes, log2_n: int, block_size: int, parallelism: int) -> bytes:
    n = 2**log2_n
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=n,
        r=block_size,
        p=parallelism,
        maxmem=256 * block_size * n,
        dklen=KEY_BYTES,
    )


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.strip().split(":")
    if len(parts) != 6 or parts[0] != _PREFIX:
        raise BadPasswordHash("is not a password hash; make one with `payalert status-page set-password`")
    try:
        log2_n, block_size, parallelism = (int(part) for part in parts[1:4])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise BadPasswordHash(
            "is a damaged password hash; make a new one with `payalert status-page set-password`"
        ) from None
    if not (1 <= log2_n <= MAX_LOG2_N and 1 <= block_size <= 32 and 1 <= parallelism <= 4):
        raise BadPasswordHash("asks scrypt for an unreasonable cost; make a new one with `set-password`")
    if len(salt) < 8 or len(key) != KEY_BYTES:
        raise BadPasswordHash(
            "is a damaged password hash; make a new one with `payalert status-page set-password`"
        )
    return log2_n, block_size, parallelism, salt, key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError(str(error)) from None
