"""The shared bank corpus, measured per issuer: the table, the targets, and leave-one-file-out.

Targets: at least 97% of payment texts with all fields right, at least 90% for every issuer with
five or more (undisputed) payment texts, and no message that moves no money read as a payment.
"All fields right" is defined in ``payalert_testing.banktext``.
"""

from __future__ import annotations

import pytest
from payalert_testing.banktext import DISPUTED_LABELS, leave_one_file_out, measure, records, table

OVERALL_FLOOR = 0.97
ISSUER_FLOOR = 0.90
ISSUER_MIN_TEXTS = 5


@pytest.fixture(scope="module")
def measurement():
    return measure(records())


def test_per_issuer_accuracy_table(measurement, capsys: pytest.CaptureFixture[str]) -> None:
    """Print the table; meet the overall and per-issuer floors with no false positive."""
    total = measurement.total
    with capsys.disabled():
        print(
            "\nbank corpus, per issuer (payment texts read right / payment texts; negatives read as payments):"
        )
        print(table(measurement))
        share = total["all fields"] / total["texts"]
        print(
            f"all fields right: {total['all fields']} of {total['texts']} ({share:.1%}); "
            f"false positives: {total['false positives']} of {total['negatives']}"
        )
        for record, wrong in measurement.misses:
            note = f"  [disputed: {record.disputed}]" if record.disputed else ""
            print(f"  miss {record.file}:{record.index} {wrong}{note}")
    assert total["texts"] >= 500 and total["negatives"] >= 200, "the corpus should hold 791 texts"
    assert total["false positives"] == 0, [f"{r.file}:{r.index}" for r, _ in measurement.false_positives]
    assert total["all fields"] >= OVERALL_FLOOR * total["texts"], f"{total['all fields']} of {total['texts']}"
    below = measurement.issuers_below(ISSUER_FLOOR, ISSUER_MIN_TEXTS)
    assert not below, f"issuers below {ISSUER_FLOOR:.0%} (right, undisputed texts): {below}"


def test_leave_one_file_out(measurement, capsys: pytest.CaptureFixture[str]) -> None:
    """Report what each file's texts would get from forms the other files' texts use too."""
    totals, per_file = leave_one_file_out(measurement)
    with capsys.disabled():
        print(
            f"\nleave one origin file out: {totals['right']} of {totals['texts']} payment texts all fields right "
            f"({totals['right'] / totals['texts']:.1%}); {totals['rejected']} of {totals['negatives']} negatives rejected"
        )
        for file, (right, seen) in sorted(per_file.items()):
            print(f"  {file}: {right} of {seen}")
    assert totals["right"] <= measurement.total["all fields"]
    assert totals["texts"] == measurement.total["texts"]


def test_disputed_labels_are_in_the_corpus() -> None:
    """Every label listed as disputed names a record that exists (and so stays honest as the corpus changes)."""
    present = {(record.file, record.index) for record in records()}
    assert set(DISPUTED_LABELS) <= present
