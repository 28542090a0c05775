"""Exceptions that plugins raise to tell the core what happened."""

from __future__ import annotations


class PayalertError(Exception):
    """Base of every error payalert raises on purpose."""


class UserError(PayalertError):
    """Something the user can fix: reported as one line, never a traceback (CLI exit ``exit_code``)."""

    #: The CLI's exit status: 2 means "fix something first"; restarting alone will not help.
    exit_code = 2


class ConfigError(UserError):
    """One or more problems in the configuration, each with its key path."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{path}: {message}" for path, message in problems))


class StartupError(UserError):
    """A source or notifier cannot start with the configuration it was given."""


class DataDirInUse(UserError):
    """Another payalert daemon holds the data directory (CLI exit 3)."""

    exit_code = 3


class StorageUnavailable(UserError):
    """The store cannot be written for now: the data directory's disk is full, or the PostgreSQL
    server cannot be reached. Writes fail (webhooks get 503) until it recovers; a start that fails
    this way may succeed later (CLI exit 75)."""

    #: EX_TEMPFAIL from sysexits.h: a temporary failure, worth trying again later.
    exit_code = 75


class RetryLater(PayalertError):
    """A temporary failure: try again, not before ``retry_after`` seconds when it is given."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class PermanentFailure(PayalertError):
    """A failure that retrying cannot fix; the delivery is kept as failed for ``retry-failed``."""
