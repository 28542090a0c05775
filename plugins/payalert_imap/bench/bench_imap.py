"""Benchmarks of payalert-imap: alert latency through Dovecot with IDLE, first poll of a big folder, parsing.

Run ``python plugins/payalert_imap/bench/bench_imap.py`` (needs Dovecot, see the README). Prints:

- new mail → alert latency (p50, p90) through a private Dovecot and a real ``payalert run`` with IDLE;
- the first poll of a 10,000-message folder against an empty one (ratio; a first run fetches nothing);
- parser throughput (whole verdict per mail) against stdlib ``email`` parsing alone (ratio).
"""

from __future__ import annotations

import email
import email.policy
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from payalert_imap.config import ImapSourceConfig  # noqa: E402
from payalert_imap.connection import MailboxConnection  # noqa: E402
from payalert_imap.mailchain import mail_chain  # noqa: E402
from payalert_imap.message import read_message  # noqa: E402
from payalert_imap.verdict import ReadSettings, classify_mail  # noqa: E402
from payalert_testing.benchmarks import report_row  # noqa: E402
from payalert_testing.daemon import DaemonFactory  # noqa: E402
from payalert_testing.dovecot import DovecotServer  # noqa: E402
from payalert_testing.imap import imap_source, upi_credit_mail  # noqa: E402

LATENCY_MAILS = 20
FIRST_POLL_ROUNDS = 5
PARSE_ROUNDS = 300


def latency() -> dict[str, float]:
    """Seconds from APPEND to the recorded alert, over ``LATENCY_MAILS`` mails."""
    server = DovecotServer().start()
    factory = DaemonFactory(Path(tempfile.mkdtemp(prefix="payalert-bench-")))
    try:
        daemon = factory.start(sources={"bank": imap_source(server, authserv_id="mx.google.com")})
        daemon.wait_for(
            lambda: daemon.health().json()["sources"]["bank"].get("connection") == "idle", timeout=20
        )
        samples = []
        for number in range(LATENCY_MAILS):
            started = time.time()
            server.append(upi_credit_mail(ref=f"7{number:011d}"))
            alerts = daemon.wait_for_alerts(number + 1, timeout=30)
            samples.append(alerts[-1].at.timestamp() - started)
        quantiles = statistics.quantiles(samples, n=10)
        return {"p50_seconds": round(statistics.median(samples), 3), "p90_seconds": round(quantiles[8], 3)}
    finally:
        factory.stop_all()
        server.cleanup()


def _first_poll_seconds(server: DovecotServer) -> float:
    config = ImapSourceConfig(**imap_source(server, authserv_id="mx.google.com"))
    times = []
    for _ in range(FIRST_POLL_ROUNDS):
        connection = MailboxConnection(config)
        started = time.perf_counter()
        connection.connect()
        status = connection.open_folder("INBOX")
        assert connection.uids_after(status.uidnext - 1) == []
        times.append(time.perf_counter() - started)
        connection.close()
    return statistics.median(times)


def first_poll() -> dict[str, float]:
    """Connect + open + first-run check on 10,000 messages against an empty folder."""
    big, empty = DovecotServer(), DovecotServer()
    try:
        template = upi_credit_mail(ref="600000000000")
        big.write_maildir(template.replace(b"600000000000", b"6%011d" % i) for i in range(10_000))
        big.start()
        empty.start()
        big_seconds, empty_seconds = _first_poll_seconds(big), _first_poll_seconds(empty)
        return {
            "big_seconds": round(big_seconds, 4),
            "empty_seconds": round(empty_seconds, 4),
            "ratio": round(big_seconds / empty_seconds, 2),
        }
    finally:
        big.cleanup()
        empty.cleanup()


def parsing() -> dict[str, float]:
    """Whole verdicts per second against ``email.message_from_bytes`` + body decoding alone."""
    corpus = ROOT.parents[1].parent / "shared" / "corpus" / "bank" / "eml"
    mails = [p.read_bytes() for p in sorted(corpus.glob("*.eml"))] or [upi_credit_mail()]
    chain, settings = mail_chain((), None), ReadSettings()

    def stdlib_only() -> None:
        for raw in mails:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            for part in message.walk():
                if not part.is_multipart():
                    part.get_content()

    def payalert() -> None:
        for raw in mails:
            classify_mail(read_message(raw), chain, settings)

    results = {}
    for name, work in (("stdlib_email", stdlib_only), ("payalert_verdict", payalert)):
        started = time.perf_counter()
        for _ in range(PARSE_ROUNDS):
            work()
        results[f"{name}_per_second"] = round(PARSE_ROUNDS * len(mails) / (time.perf_counter() - started))
    results["ratio"] = round(results["stdlib_email_per_second"] / results["payalert_verdict_per_second"], 2)
    return results


def main() -> None:
    """Run the three benchmarks and print one JSON document."""
    report = {"latency_idle": latency(), "first_poll_10000_vs_empty": first_poll(), "parsing": parsing()}
    print(json.dumps(report, indent=2))
    idle, poll, parse = report["latency_idle"], report["first_poll_10000_vs_empty"], report["parsing"]
    report_row(
        "IMAP: new mail → alert through Dovecot with IDLE, p50 / p90",
        f"{idle['p50_seconds']:.3f} / {idle['p90_seconds']:.3f} s",
        target="p50 ≤ 1 s",
        met=idle["p50_seconds"] <= 1.0,
    )
    report_row(
        "IMAP: first poll of a 10,000-message folder (fetches nothing)",
        f"{poll['big_seconds'] * 1000:.1f} ms",
        f"empty folder: {poll['empty_seconds'] * 1000:.1f} ms",
        f"{poll['ratio']:.2f}",
        "≤ 1.5× (Dovecot's SELECT of the big folder is the difference; see docs/benchmarks.md)",
        poll["ratio"] <= 1.5,
    )
    report_row(
        "IMAP: whole verdicts (MIME, trust, parsers) per second",
        f"{parse['payalert_verdict_per_second']:,}/s",
        f"stdlib `email` parsing alone: {parse['stdlib_email_per_second']:,}/s",
        f"{1 / parse['ratio']:.2f}",
    )


if __name__ == "__main__":
    main()
