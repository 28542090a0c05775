"""Telegram HTML: markup checks and splitting long messages at safe places."""

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payalert_testing.telegram_api import parse_html

from payalert_core.notifiers.telegram_html import (
    MESSAGE_LIMIT,
    MarkupError,
    check_markup,
    split_html,
    utf16_len,
    visible_len,
)


@pytest.mark.parametrize(
    ("markup", "problem"),
    [
        ("<b>bold", "never closed"),
        ("<b>x</i>", "unmatched </i>"),
        ("<script>x</script>", 'unsupported tag "script"'),
        ("1 < 2", "unescaped '<'"),
        ("a > b", "unescaped '>'"),
        ("AT&T", "unescaped '&'"),
        ("&nbsp;", "unsupported entity"),
        ("<a>link</a>", "href"),
    ],
)
def test_markup_telegram_refuses_is_refused(markup, problem):
    with pytest.raises(MarkupError, match=problem):
        check_markup(markup)


def test_supported_markup_passes():
    check_markup(
        '<b>1</b> <i>2</i> <a href="https://x.example/?a=1&amp;b=2">3</a> <code>&lt;&#39;&#x27;</code>'
    )


def test_utf16_length_counts_astral_characters_twice():
    assert utf16_len("a€") == 2
    assert utf16_len("💸") == 2
    assert utf16_len("שלום") == 4


def test_short_message_is_one_chunk_and_empty_is_none():
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]
    assert split_html("<b> </b>\n") == []


def test_long_message_splits_at_line_breaks():
    lines = [f"line {index}: " + "x" * 90 for index in range(100)]
    chunks = split_html("\n".join(lines))
    assert len(chunks) == 3
    assert all(visible_len(chunk) <= MESSAGE_LIMIT for chunk in chunks)
    assert "\n".join(chunks).split("\n") == lines  # no line was cut in two


def test_cut_inside_a_tag_closes_and_reopens_it_with_its_attributes():
    long = '<a href="https://x.example/?a=1&amp;b=2"><b>' + "word " * 2000 + "</b></a>"
    chunks = split_html(long)
    assert len(chunks) == 3
    assert "".join(parse_html(chunk) + " " for chunk in chunks).split() == ["word"] * 2000
    for chunk in chunks:
        check_markup(chunk)
        assert chunk.startswith('<a href="https://x.example/?a=1&amp;b=2"><b>')
        assert chunk.endswith("</b></a>")
        assert visible_len(chunk) <= MESSAGE_LIMIT


def test_length_is_what_the_reader_sees_tags_free_entities_one():
    assert visible_len('<b>a&amp;b</b> <a href="https://x.example/long/path">💸</a>') == 6
    assert split_html("<b>" + "&lt;" * 4096 + "</b>") == ["<b>" + "&lt;" * 4096 + "</b>"]


def test_entities_are_never_cut():
    text = "&amp;" * 5000  # no spaces or line breaks: cuts can only go between entities
    chunks = split_html(text)
    assert [visible_len(chunk) for chunk in chunks] == [4096, 904]
    assert all(chunk.count("&") == chunk.count("&amp;") for chunk in chunks)
    assert "".join(parse_html(chunk) for chunk in chunks) == "&" * 5000


_TAGS = ["b", "i", "u", "s", "code", "tg-spoiler"]
_words = st.lists(st.sampled_from([*"ab <>&\"'\n é€💸", "שׁ", "&amp;", "ab"]), max_size=300).map("".join)


@st.composite
def _documents(draw):
    parts = []
    for _ in range(draw(st.integers(1, 30))):
        words = html.escape(draw(_words))
        tags = draw(st.lists(st.sampled_from(_TAGS), max_size=3))
        if draw(st.booleans()):
            words = f'<a href="https://e.example/{draw(st.integers(0, 9))}?q=1&amp;r=2">{words}</a>'
        for tag in tags:
            words = f"<{tag}>{words}</{tag}>"
        parts.append(words)
    return "".join(parts)


@settings(max_examples=60, deadline=None)
@given(document=_documents(), limit=st.integers(200, 1500))
def test_any_valid_document_splits_into_valid_chunks_losing_nothing(document, limit):
    chunks = split_html(document, limit)
    for chunk in chunks:
        assert visible_len(chunk) <= limit
        assert len(parse_html(chunk).encode("utf-16-le")) // 2 <= limit
        check_markup(chunk)
        parse_html(chunk)  # the test server's own parser agrees
    seen = "".join(parse_html(chunk) for chunk in chunks)
    original = parse_html(document)
    assert _squash(seen) == _squash(original)


def _squash(text):
    return "".join(text.split())
