"""Patterns compiled on first use: importing the library compiles none, and each reads as ``re`` would."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

from payalert_banktext.lazyre import LazyPattern


def test_a_lazy_pattern_answers_as_the_compiled_one() -> None:
    source, text = r"(?P<amount>[0-9]+)\s*(?P<unit>rs|inr)", "paid 120 Rs and 45 inr"
    lazy, compiled = LazyPattern(source, re.I), re.compile(source, re.I)
    assert lazy.pattern == source
    assert [m.groupdict() for m in lazy.finditer(text)] == [m.groupdict() for m in compiled.finditer(text)]
    assert lazy.search(text).span() == compiled.search(text).span()
    assert lazy.sub("#", text) == compiled.sub("#", text)
    assert lazy.fullmatch("7 rs") is not None and lazy.match("x 7 rs") is None
    assert lazy.groupindex == compiled.groupindex
    assert lazy.flags == compiled.flags


def test_after_first_use_calls_go_straight_to_the_compiled_pattern() -> None:
    lazy = LazyPattern(r"a+")
    assert "search" not in vars(lazy)
    lazy.search("caab")
    assert isinstance(vars(lazy)["search"].__self__, re.Pattern)


def test_importing_the_library_compiles_no_grammar_pattern_and_reading_does() -> None:
    code = textwrap.dedent(
        """
        import gc
        import payalert_banktext
        from payalert_banktext.lazyre import LazyPattern

        def compiled():
            found = [o for o in gc.get_objects() if isinstance(o, LazyPattern)]
            return len(found), sum("search" in vars(o) for o in found)

        total, at_import = compiled()
        payalert_banktext.read_alert("Rs.500.00 credited to A/c XX1234 on 01-02-26 by UPI ref 412345678901")
        print(total, at_import, compiled()[1])
        """
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    total, at_import, after_reading = map(int, output.split())
    assert total > 100
    assert at_import == 0
    assert after_reading > 0
