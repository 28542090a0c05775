"""Benchmarks of payalert-banktext: accuracy on the shared bank corpus, per issuer, and reading speed.

Run ``python plugins/payalert_banktext/bench/bench_banktext.py`` (``bench/run.py`` runs it with the
others). Prints the per-issuer table and reports these rows:

- payment texts with all fields right, overall and leaving each origin file out (target ≥ 97%);
- issuers with five or more payment texts under 90% (target: none) and false positives (target: 0);
- verdicts per second on SMS-length texts, classification included, one core (target ≥ 2,000/s),
  against one pass of a single amount regex over the same texts (the least any reader does); both
  in this process's CPU time, best of a few rounds, so other work on the machine does not count.

Without the shared corpus the accuracy rows are skipped and the speed row reads the wordings of
``payalert_testing.banktext_wordings`` (the template tests' texts).
"""

from __future__ import annotations

import re
import statistics
import time

import pytest
from payalert_banktext import read_alert
from payalert_banktext.grammar.amounts import AMT
from payalert_testing.banktext import Record, leave_one_file_out, measure, records, table
from payalert_testing.banktext_wordings import NOT_PAYMENTS, PAYMENTS
from payalert_testing.benchmarks import report_row

SPEED_TARGET = 2_000
ROUNDS = 7


def corpus_or_none() -> list[Record] | None:
    """The corpus records, or None (with the reason printed) when the corpus is absent."""
    try:
        return records()
    except pytest.skip.Exception as missing:
        print(f"  accuracy rows skipped: {missing}")
        return None


def accuracy(corpus: list[Record]) -> None:
    """Print the table and report the accuracy rows."""
    measurement = measure(corpus)
    print(table(measurement))
    total = measurement.total
    share = total["all fields"] / total["texts"]
    lofo, _ = leave_one_file_out(measurement)
    report_row(
        "Bank texts: payment texts with all fields right (shared corpus)",
        f"{total['all fields']} of {total['texts']} ({share:.1%})",
        f"leaving each origin file out: {lofo['right']} of {lofo['texts']} ({lofo['right'] / lofo['texts']:.1%})",
        target="≥ 97%",
        met=share >= 0.97,
    )
    below = measurement.issuers_below(0.90, 5)
    issuers = sum(1 for row in measurement.rows.values() if row["texts"] - row["disputed texts"] >= 5)
    report_row(
        "Bank texts: issuers with ≥ 5 payment texts under 90% all fields right",
        ", ".join(f"{name} {right}/{texts}" for name, (right, texts) in below.items())
        or f"none of {issuers}",
        target="none",
        met=not below,
    )
    report_row(
        "Bank texts: non-payments read as payments (OTP, offers, reminders, pending, declined …)",
        f"{total['false positives']} of {total['negatives']}",
        target="0",
        met=total["false positives"] == 0,
    )


def speed(texts: list[tuple[str, str]]) -> None:
    """Verdicts per second on ``texts`` (text, SMS sender), best of a few rounds, against one regex pass."""
    amount = re.compile(AMT, re.I)

    def grammar() -> None:
        for text, sender in texts:
            read_alert(text, sender=sender, medium="sms")

    def one_regex() -> None:
        for text, _ in texts:
            amount.search(text)

    best = {}
    for name, work in (("grammar", grammar), ("one_regex", one_regex)):
        samples = []
        for _ in range(ROUNDS):
            # CPU time of this process: "on one core", whatever else the machine runs meanwhile.
            started = time.process_time()
            work()
            samples.append(time.process_time() - started)
        best[name] = len(texts) / min(samples)
    length = statistics.mean(len(text) for text, _ in texts)
    report_row(
        f"Bank texts: verdicts per second, SMS-length texts ({length:.0f} characters), kind included, one core",
        f"{best['grammar']:,.0f}/s",
        f"one amount regex pass: {best['one_regex']:,.0f}/s",
        f"{best['grammar'] / best['one_regex']:.3f}",
        f"≥ {SPEED_TARGET:,}/s",
        best["grammar"] >= SPEED_TARGET,
    )


def main() -> None:
    """Run the accuracy rows (with the corpus) and the speed row."""
    corpus = corpus_or_none()
    if corpus is not None:
        accuracy(corpus)
        texts = [(r.text, r.sender) for r in corpus if r.medium == "sms"]
    else:
        texts = [(text, sender) for sender, text, *_ in (*PAYMENTS, *NOT_PAYMENTS)]
    speed(texts)


if __name__ == "__main__":
    main()
