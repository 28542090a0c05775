"""Hypothesis settings for property-based tests of payalert and its plugins (needs ``hypothesis``).

Bounded, no per-example deadline (a daemon answers over real sockets), no example database
(nothing is written into the tree), and no shrinking unless ``PAYALERT_FUZZ_SHRINK=1``: shrinking a
failure against a daemon takes minutes, and the failing example is printed either way.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings

#: Set to shrink a failing example to its smallest form.
SHRINK_ENV = "PAYALERT_FUZZ_SHRINK"


def fuzz_settings(max_examples: int) -> settings:
    """Settings for a fuzz test that tries at most ``max_examples`` examples."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if os.environ.get(SHRINK_ENV) else [])],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def value_paths(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (keys and list indexes) to every value inside a JSON-like ``value``, root first."""
    found = [where]
    if isinstance(value, dict):
        for key, item in value.items():
            found += value_paths(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += value_paths(item, (*where, index))
    return found
