"""One results table for many benchmark scripts.

Each script calls :func:`report_row` for every figure it measures; ``bench/run.py`` points
``PAYALERT_BENCH_ROWS`` at a file, runs every script, and prints the rows as a single table.
Run on its own, a script just prints its rows.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

ROWS_ENV = "PAYALERT_BENCH_ROWS"


@dataclass(frozen=True)
class BenchmarkRow:
    """One measured figure, its same-run baseline and ratio, and the target it is held to."""

    benchmark: str
    value: str
    baseline: str = "–"
    ratio: str = "–"
    target: str = "–"
    met: bool | None = None  # None: reported, no target


def report_row(
    benchmark: str,
    value: str,
    baseline: str = "–",
    ratio: str = "–",
    target: str = "–",
    met: bool | None = None,
) -> BenchmarkRow:
    """Print one figure and, when ``$PAYALERT_BENCH_ROWS`` names a file, append it there as JSON."""
    row = BenchmarkRow(benchmark, value, baseline, ratio, target, met)
    verdict = {True: "met", False: "MISSED", None: "reported"}[met]
    print(f"  {benchmark}: {value} (baseline {baseline}; ratio {ratio}; target {target}: {verdict})")
    destination = os.environ.get(ROWS_ENV)
    if destination:
        with open(destination, "a", encoding="utf-8") as rows:
            rows.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
    return row


def read_rows(path: str) -> list[BenchmarkRow]:
    """The rows a run appended to ``path``."""
    with open(path, encoding="utf-8") as rows:
        return [BenchmarkRow(**json.loads(line)) for line in rows if line.strip()]
