"""Shared pieces of the end-to-end fault suite: a report of what each scenario tried and lost.

Every scenario records one line through the ``reliability`` fixture; the lines are printed as a
table at the end of the run and, when ``PAYALERT_RELIABILITY_REPORT`` names a file, written there
as JSON lines (``docs/reliability.md`` is built from them).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from .tallying import Tally

REPORT_ENV = "PAYALERT_RELIABILITY_REPORT"


@dataclass(frozen=True)
class Outcome:
    """What one fault scenario sent in and what came out."""

    scenario: str
    tried: int
    delivered: int
    lost: int
    duplicated: int
    note: str = ""


class ReliabilityReport:
    """Collects the outcome of each scenario during the run."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def record(
        self, scenario: str, *, tried: int, delivered: int, lost: int, duplicated: int, note: str = ""
    ) -> Outcome:
        """Add one scenario's counts (call it before asserting, so failures are reported too)."""
        outcome = Outcome(scenario, tried, delivered, lost, duplicated, note)
        self.outcomes.append(outcome)
        return outcome

    def record_tally(self, scenario: str, counts: Tally, note: str = "") -> Outcome:
        """Add one scenario's :class:`Tally` (repeats counted as copies beyond the first)."""
        return self.record(
            scenario,
            tried=counts.expected,
            delivered=counts.delivered,
            lost=len(counts.lost),
            duplicated=counts.extra_copies,
            note=note,
        )


_REPORT = ReliabilityReport()


@pytest.fixture
def reliability() -> ReliabilityReport:
    """The run-wide report that fault scenarios add their counts to."""
    return _REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the scenario table and write it to ``$PAYALERT_RELIABILITY_REPORT`` if set."""
    if not _REPORT.outcomes:
        return
    terminalreporter.section("payalert reliability")
    header = f"{'scenario':<48} {'tried':>7} {'delivered':>9} {'lost':>5} {'dup':>4}  note"
    terminalreporter.write_line(header)
    for outcome in _REPORT.outcomes:
        terminalreporter.write_line(
            f"{outcome.scenario:<48} {outcome.tried:>7} {outcome.delivered:>9} "
            f"{outcome.lost:>5} {outcome.duplicated:>4}  {outcome.note}"
        )
    target = os.environ.get(REPORT_ENV)
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            for outcome in _REPORT.outcomes:
                handle.write(json.dumps(asdict(outcome)) + "\n")
