"""payalert: one clean alert per payment, from any source to any notifier.

This module is the public API for plugins: import from here, never from submodules.
"""

from __future__ import annotations

import pluggy

from .backoff import backoff_delay
from .bounds import InvalidPayment, has_lone_surrogate, is_plausible_time, one_line
from .clicontext import CliContext, config_option, local_hook_url
from .configtypes import (
    Duration,
    NotifierConfig,
    PolledSourceConfig,
    SecretStr,
    SourceConfig,
    StreamSourceConfig,
    TimeZoneName,
    WebhookSecret,
    parse_duration,
)
from .errors import ConfigError, PayalertError, PermanentFailure, RetryLater, StartupError, UserError
from .exactjson import parse_exact_json
from .fallback import FALLBACK_KIND, fallback_alert
from .formatting import format_plain, headline, plain_lines
from .lifecycle import StatusUpdate
from .model import Direction, Payment, format_amount
from .notifier import Notifier, NotifierRuntime
from .signatures import sha256_signature_problem, sign_sha256
from .signedjson import SignedJsonPushSource, SignedJsonSourceConfig
from .source import (
    ComponentHealth,
    IngestResult,
    PolledSource,
    PushSource,
    Source,
    SourceKind,
    SourceRuntime,
    StreamSource,
)
from .tellings import DEFAULT_WINDOW as DEFAULT_MATCH_WINDOW
from .tellings import PaymentMatch, Telling

#: Marks a function as a payalert hook implementation.
hookimpl = pluggy.HookimplMarker("payalert")

__all__ = [
    "DEFAULT_MATCH_WINDOW",
    "FALLBACK_KIND",
    "MAX_AMOUNT",
    "CliContext",
    "ComponentHealth",
    "ConfigError",
    "Direction",
    "Duration",
    "IngestResult",
    "InvalidPayment",
    "Notifier",
    "NotifierConfig",
    "NotifierRuntime",
    "PayalertError",
    "Payment",
    "PaymentMatch",
    "PermanentFailure",
    "PolledSource",
    "PolledSourceConfig",
    "PushSource",
    "RetryLater",
    "SecretStr",
    "SignedJsonPushSource",
    "SignedJsonSourceConfig",
    "Source",
    "SourceConfig",
    "SourceKind",
    "SourceRuntime",
    "StartupError",
    "StatusUpdate",
    "StreamSource",
    "StreamSourceConfig",
    "Telling",
    "TimeZoneName",
    "UserError",
    "WebhookSecret",
    "backoff_delay",
    "config_option",
    "fallback_alert",
    "format_amount",
    "format_plain",
    "has_lone_surrogate",
    "headline",
    "hookimpl",
    "is_plausible_time",
    "local_hook_url",
    "one_line",
    "parse_duration",
    "parse_exact_json",
    "plain_lines",
    "sha256_signature_problem",
    "sign_sha256",
]
