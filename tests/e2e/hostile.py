"""Shared pieces of the hostile-input tests: raw HTTP, hypothesis settings, tallies and store counts."""

from __future__ import annotations

import http.client
import json
import re
import sqlite3
import string
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from payalert_testing import DaemonProcess, RecordedAlert
from payalert_testing.fuzzing import fuzz_settings

from payalert_core import sign_sha256

WEBHOOK_SIGNATURE = "X-Payalert-Signature"

#: The default budget of a daemon fuzz test.
FUZZ = fuzz_settings(60)


@dataclass(frozen=True)
class RawResponse:
    """Status and body of one raw HTTP exchange."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def send_raw(
    daemon: DaemonProcess,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Iterable[tuple[str, str | bytes]] = (),
    timeout: float = 10,
) -> RawResponse:
    """One request with exactly these headers (repeats allowed, values as bytes allowed)."""
    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        names = set()
        for name, value in headers:
            connection.putheader(name, value)
            names.add(name.lower())
        if "content-length" not in names and (body or method not in ("GET", "HEAD")):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        answer = connection.getresponse()
        return RawResponse(answer.status, answer.read())
    finally:
        connection.close()


@dataclass
class Tally:
    """What one fuzz or spoof target tried and what came out, for the reliability report."""

    tried: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def saw(self, status: int) -> None:
        """Count one answer; a 5xx is a lost request."""
        self.tried += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500:
            self.lost += 1

    def record(self, reliability: Any, scenario: str, note: str) -> None:
        """Add this tally as one line of the reliability report."""
        shown = ",".join(f"{code}x{count}" for code, count in sorted(self.statuses.items()))
        reliability.record(
            scenario,
            tried=self.tried,
            delivered=self.delivered,
            lost=self.lost,
            duplicated=self.duplicated,
            note=f"{note} [{shown}]" if shown else note,
        )


def stored_external_ids(daemon: DaemonProcess, source: str) -> list[str]:
    """External ids of every event the daemon's store holds for ``source`` (read-only)."""
    path = daemon.data_dir / "payalert.sqlite3"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = connection.execute("SELECT external_id FROM events WHERE source = ?", (source,)).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


_METRIC = re.compile(r"^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.eE+-]+)$", re.MULTILINE)


def metric(daemon: DaemonProcess, name: str, **labels: str) -> float:
    """The value of one labelled series in ``/metrics`` (0 when absent)."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    for match in _METRIC.finditer(daemon.metrics()):
        if match["name"] == name and all(label in match["labels"] for label in wanted):
            return float(match["value"])
    return 0.0


def recorded(daemon: DaemonProcess) -> list[RecordedAlert]:
    """The recorder's complete lines only.

    ``daemon.alerts()`` can catch a line half-written, and its ``splitlines()`` also splits inside a
    line at U+0085, U+2028 and U+2029, which JSON written with ``ensure_ascii=False`` leaves raw.
    """
    if not daemon.record_path.exists():
        return []
    text = daemon.record_path.read_text(encoding="utf-8")
    lines = text.split("\n")[:-1]  # the last piece is empty or still being written
    return [RecordedAlert.from_line(line) for line in lines if line.strip()]


def alert_counts(daemon: DaemonProcess, source: str) -> dict[str, int]:
    """How many alerts each external id of ``source`` produced."""
    counts: dict[str, int] = {}
    for alert in recorded(daemon):
        if alert.payment.source == source:
            counts[alert.payment.external_id] = counts.get(alert.payment.external_id, 0) + 1
    return counts


# -- strategies ------------------------------------------------------------------------------
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)

#: Any JSON value of modest size and depth.
json_values = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


#: Raw bodies: random bytes, invalid UTF-8, random JSON, deep nesting, big and odd encodings.
bodies = st.one_of(
    st.binary(max_size=300),
    st.binary(min_size=1, max_size=50).map(lambda b: b"\xff\xfe" + b + b"\xc3\x28"),
    json_values.map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8")),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=3000).map(_nested),
    st.integers(min_value=1_000, max_value=40_000).map(lambda n: b'{"id": "' + b"x" * n + b'"}'),
    st.text(max_size=60).map(lambda t: json.dumps(t).encode("utf-16")),
)

_HEX = "0123456789abcdef"


def hex_strings(size: int) -> st.SearchStrategy[str]:
    """Lower-case hex of exactly ``size`` characters."""
    return st.text(alphabet=_HEX, min_size=size, max_size=size)


#: Header values a client can put on the wire (latin-1, no line breaks).
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=120
)

content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "",
        "application/json; charset=latin-1",
        "image/png",
    ]
)

#: Lower-case ASCII words: ids that never collide with the ones a test makes itself.
words = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12)


# -- daemon books ----------------------------------------------------------------------------
def settle(daemon: DaemonProcess, secret: str, source: str = "shop") -> None:
    """Post a valid payment to a webhook source and wait for its alert.

    Deliveries to one target go in order, so everything stored before it has been delivered too.
    """
    marker = f"sentinel-{uuid.uuid4().hex}"
    body = json.dumps({"id": marker, "amount": "1.00", "currency": "INR"}).encode()
    answer = daemon.post(f"/hooks/{source}/", body, {WEBHOOK_SIGNATURE: sign_sha256(secret, body)})
    assert answer.status == 202, answer.body
    daemon.wait_for(lambda: alert_counts(daemon, source).get(marker))


def assert_healthy(daemon: DaemonProcess, log_from: int = 0) -> None:
    """The daemon still runs, answers /health 200 and logged no traceback after ``log_from``."""
    assert daemon.process is not None and daemon.process.poll() is None
    health = daemon.health()
    assert health.status == 200, health.body
    log = daemon.output()[log_from:]
    assert "Traceback" not in log, log[-3000:]


class Books:
    """Per-source counts of events stored and alerts sent, to compare before and after a test."""

    def __init__(self, daemon: DaemonProcess, sources: tuple[str, ...]) -> None:
        self.daemon = daemon
        self.sources = sources
        self.log_from = len(daemon.output())
        self.events = {source: len(stored_external_ids(daemon, source)) for source in sources}
        self.ingested = {
            source: metric(daemon, "payalert_events_ingested_total", source=source) for source in sources
        }

    def new_events(self, source: str) -> int:
        """Events stored for ``source`` since these books were opened."""
        return len(stored_external_ids(self.daemon, source)) - self.events[source]

    def new_ingested(self, source: str) -> float:
        """What /metrics says was stored for ``source`` since then."""
        return metric(self.daemon, "payalert_events_ingested_total", source=source) - self.ingested[source]

    def assert_healthy(self) -> None:
        """The daemon is healthy and logged no traceback since these books were opened."""
        assert_healthy(self.daemon, self.log_from)


# -- payments and signatures ------------------------------------------------------------------
def forged_signatures(body: bytes, secret: str) -> st.SearchStrategy[list[str]]:
    """Zero to three signature header values, none of them right for ``body``."""
    good = sign_sha256(secret, body)
    forged_values = st.one_of(
        st.just(""),
        header_text,
        hex_strings(64).map(lambda h: "sha256=" + h).filter(lambda v: v != good),
        hex_strings(40).map(lambda h: "sha1=" + h),
        hex_strings(128).map(lambda h: "sha512=" + h),
        st.just(good.replace("sha256=", "sha1=")),
        st.just(good.replace("sha256=", "sha512=")),
        st.just(good[:-1]),
        st.just(good + "0"),
        st.just("sha256=" + good[7:][::-1]).filter(lambda v: v != good),
        st.just(sign_sha256(secret + "x", body)),
        st.just(sign_sha256("", body)),
        st.just(sign_sha256(secret, body + b" ")),
        st.just(good.replace("sha256=", "sha256= =")),
    )
    return st.lists(forged_values, max_size=3)


_OFFSETS = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
#: From 1990 to now: a payment's time may not lie more than a day ahead (whatever the offset).
_MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime.now(UTC).replace(tzinfo=None), timezones=_OFFSETS
)
_AMOUNTS = st.tuples(st.integers(min_value=1, max_value=10**14), st.integers(min_value=0, max_value=8)).map(
    lambda pair: Decimal(pair[0]).scaleb(-pair[1])
)
_CURRENCIES = st.sampled_from(["INR", "USD", "usdt", "BTC", "EUR"]) | st.from_regex(
    r"[A-Z]{3}", fullmatch=True
)


#: Stands for the amount in a body from payments(); encode() writes it as a bare JSON number.
NUMBER = "__number__"


@st.composite
def payments(draw: Any) -> tuple[dict[str, Any], Decimal]:
    """A valid webhook payment body (without ``id``) and the amount it must alert with."""
    amount = draw(_AMOUNTS)
    shape = draw(st.sampled_from(["string", "number"]))
    if shape == "number" and len(amount.as_tuple().digits) <= 15:  # a float holds 15 digits exactly
        sent: Any = NUMBER  # written as a bare JSON number by encode()
    else:
        sent = str(amount)
    body: dict[str, Any] = {"amount": sent, "currency": draw(_CURRENCIES)}
    optional = {
        "kind": words.map(lambda w: f"shop.{w}"),
        "direction": st.sampled_from(["in", "out"]),
        "title": st.text(min_size=1, max_size=80),
        "summary": st.text(max_size=200),
        "counterparty": st.text(max_size=60),
        "reference": st.text(max_size=40),
        "link": st.text(max_size=60),
        "occurred_at": _MOMENTS.map(lambda moment: moment.isoformat()),
        "details": st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body, amount


def encode(body: dict[str, Any], amount: Decimal, ensure_ascii: bool) -> bytes:
    """The JSON body, with the amount as a bare number where ``payments()`` chose one."""
    text = json.dumps(body, ensure_ascii=ensure_ascii)
    return text.replace(json.dumps(NUMBER), str(amount)).encode()


@st.composite
def sponsorships(draw: Any, originals: list[dict[str, Any]]) -> dict[str, Any]:
    """A real sponsorship payload with sponsor, tier and privacy changed at random (still well-formed)."""
    payload = json.loads(json.dumps(draw(st.sampled_from(originals))))
    sponsorship = payload["sponsorship"]
    if isinstance(sponsorship.get("sponsor"), dict):
        sponsorship["sponsor"]["login"] = draw(st.text(min_size=1, max_size=39))
    tier = sponsorship.get("tier")
    if isinstance(tier, dict):
        tier["monthly_price_in_cents"] = draw(st.integers(min_value=0, max_value=10**9))
        tier["name"] = draw(st.text(max_size=40))
    sponsorship["privacy_level"] = draw(st.sampled_from(["public", "private"]))
    return payload
