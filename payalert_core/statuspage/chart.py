"""A bar chart of daily amounts as inline SVG: drawn on the server, no script, no external asset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

WIDTH = 300
HEIGHT = 80
GAP = 2


@dataclass(frozen=True)
class Bar:
    """One day's bar: where it stands, and what its tooltip says."""

    x: float
    y: float
    width: float
    height: float
    label: str


def bars(amounts: list[Decimal], last_day: date, currency: str) -> list[Bar]:
    """One bar per amount (oldest first, ending on ``last_day``), scaled to the largest."""
    largest = max(amounts, default=Decimal(0))
    slot = WIDTH / max(len(amounts), 1)
    first_day = last_day - timedelta(days=len(amounts) - 1)
    drawn = []
    for index, amount in enumerate(amounts):
        # Geometry only: the amount itself is shown exactly in the label and the totals table.
        height = float(amount / largest) * (HEIGHT - 1) if largest > 0 else 0.0
        if amount > 0:
            height = max(height, 1.0)
        day = first_day + timedelta(days=index)
        drawn.append(
            Bar(
                x=round(index * slot + GAP / 2, 2),
                y=round(HEIGHT - height, 2),
                width=round(slot - GAP, 2),
                height=round(height, 2),
                label=f"{day.isoformat()}: {amount:,} {currency}",
            )
        )
    return drawn
