"""Regular expressions compiled the first time they are used.

The grammar holds a few hundred patterns, some of them long. Compiling them all when the library is
imported made every daemon start pay for them, including daemons with no mail or SMS source at all.
A :class:`LazyPattern` compiles on first use and then hands its calls straight to the compiled
pattern, so reading a text costs the same as with ``re.compile``.
"""

from __future__ import annotations

import re
from typing import Any

#: What a :class:`LazyPattern` takes over from the compiled pattern on first use.
_TAKEN_OVER = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "groupindex",
    "groups",
)


class LazyPattern:
    """``re.compile(pattern, flags)``, done on first use; ``pattern`` is readable before that."""

    def __init__(self, pattern: str, flags: int | re.RegexFlag = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:
        # Only called for an attribute the instance lacks: the first use. The compiled pattern's
        # bound methods become attributes of this instance, so later calls find them directly.
        compiled = re.compile(self.pattern, self.flags)
        for attribute in _TAKEN_OVER:
            setattr(self, attribute, getattr(compiled, attribute))
        self.flags = compiled.flags
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r})"
