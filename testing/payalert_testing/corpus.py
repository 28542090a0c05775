"""Where the shared real-world corpus is, for tests that read it at run time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS_ENV = "PAYALERT_CORPUS"
REQUIRE_CORPUS_ENV = "PAYALERT_REQUIRE_CORPUS"


def corpus_path(*parts: str) -> Path:
    """A path in the shared real-world corpus (``$PAYALERT_CORPUS`` or ``../shared/corpus``).

    Skips the calling test when the corpus is absent, or fails it when
    ``PAYALERT_REQUIRE_CORPUS=1`` (as in CI): a missing corpus is never a silent pass.
    """
    root = os.environ.get(CORPUS_ENV)
    candidates = [Path(root)] if root else []
    here = Path(__file__).resolve()
    candidates += [parent / "shared" / "corpus" for parent in here.parents]
    candidates += [Path.cwd().parent / "shared" / "corpus"]
    for candidate in candidates:
        if (candidate / "README.md").is_file():
            return candidate.joinpath(*parts)
    message = f"the real-world corpus was not found (set {CORPUS_ENV} or clone beside ../shared/corpus)"
    if os.environ.get(REQUIRE_CORPUS_ENV) == "1":
        pytest.fail(message)
    # Allowed at module level: a module that reads the corpus while collecting is skipped whole,
    # with this reason, instead of stopping the collection of every other test.
    pytest.skip(message, allow_module_level=True)
