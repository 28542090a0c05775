"""Exponential backoff with jitter, shared by deliveries, polls and streams."""

from __future__ import annotations

import random


def backoff_delay(failures: int, initial: float, maximum: float, jitter: float = 0.2) -> float:
    """Delay before retry number ``failures`` (1-based): ``initial * 2**(failures-1)``, capped, ±jitter."""
    base = min(maximum, initial * (2 ** max(0, failures - 1)))
    return max(0.0, base * (1 + random.uniform(-jitter, jitter)))
