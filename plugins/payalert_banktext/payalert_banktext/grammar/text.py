"""The alert text as the grammar reads it: compatibility characters folded, one line."""

from __future__ import annotations

import unicodedata

from ..lazyre import LazyPattern

#: Typographic characters banks' templates and mail renderers use, as the ASCII the grammar reads.
_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "−": "-", "\u00a0": " "})
_CONTROL = LazyPattern(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalise(text: str) -> str:
    """``text`` with NFKC folding (styled letters, full-width digits), typographic dashes and quotes
    made ASCII, invisible and control characters dropped, every run of whitespace one space."""
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return " ".join(_CONTROL.sub(" ", folded).split())
