"""Counting what came out of a scenario against what went in: one alert each, none lost or repeated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Tally:
    """What arrived compared with what should have, once each."""

    expected: int
    delivered: int
    lost: list[Hashable]
    duplicated: dict[Hashable, int]
    unexpected: list[Hashable]

    @property
    def extra_copies(self) -> int:
        """Arrivals beyond the first of each item."""
        return sum(count - 1 for count in self.duplicated.values())


def tally(expected: Iterable[Hashable], received: Iterable[Hashable]) -> Tally:
    """Count which expected items arrived, which never did, which came more than once, and strays."""
    wanted = set(expected)
    counts = Counter(received)
    return Tally(
        expected=len(wanted),
        delivered=len(wanted & set(counts)),
        lost=sorted(wanted - set(counts), key=repr),
        duplicated={item: count for item, count in counts.items() if count > 1},
        unexpected=sorted(set(counts) - wanted, key=repr),
    )
