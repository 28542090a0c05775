"""Telegram's HTML subset: check markup and split long messages without breaking tags or entities.

Telegram counts a message's length in UTF-16 code units *after* parsing the markup: tags count
nothing and ``&amp;`` counts one. We count the same way. A cut closes every open tag at the end of
one chunk and reopens it (with its attributes, e.g. a link's ``href``) at the start of the next;
entities such as ``&amp;`` are atomic and are never cut.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

#: Longest message text Telegram accepts.
MESSAGE_LIMIT = 4096

#: Tags Telegram's HTML parse mode understands (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "span", "tg-spoiler", "tg-emoji", "blockquote",
    }
)  # fmt: skip
_NAMED_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]+);")
_HREF = re.compile(r"""^\s*href\s*=\s*("[^"]*"|'[^']*')\s*$""")


class MarkupError(ValueError):
    """Text that Telegram would refuse with "can't parse entities"."""


@dataclass(frozen=True)
class Token:
    """One indivisible piece of markup: a start tag, an end tag, an entity or one character."""

    kind: str  # "open", "close" or "text"
    raw: str
    name: str = ""

    @property
    def size(self) -> int:
        """Length of the text a reader sees, in UTF-16 code units (tags count nothing)."""
        if self.kind != "text":
            return 0
        return utf16_len(html.unescape(self.raw) if self.raw.startswith("&") else self.raw)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (emoji outside the BMP count twice)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def tokenize(html: str) -> list[Token]:
    """Split ``html`` into tokens, checking it as Telegram would; raise MarkupError if it is invalid."""
    tokens: list[Token] = []
    stack: list[str] = []
    position = 0
    while position < len(html):
        char = html[position]
        if char == "<":
            match = _TAG.match(html, position)
            if match is None:
                raise MarkupError(f"unescaped '<' at character {position}")
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in ALLOWED_TAGS:
                raise MarkupError(f'unsupported tag "{name}" at character {position}')
            if closing:
                if not stack or stack[-1] != name:
                    expected = f"</{stack[-1]}>" if stack else "no end tag"
                    raise MarkupError(f"unmatched </{name}> at character {position}, expected {expected}")
                stack.pop()
                tokens.append(Token("close", match.group(0), name))
            else:
                if name == "a" and not _HREF.match(attributes):
                    raise MarkupError(f"<a> without a quoted href at character {position}")
                stack.append(name)
                tokens.append(Token("open", match.group(0), name))
            position = match.end()
        elif char == "&":
            match = _ENTITY.match(html, position)
            if match is None:
                raise MarkupError(f"unescaped '&' at character {position}")
            entity = match.group(0)[1:-1]
            if not entity.startswith("#") and entity not in _NAMED_ENTITIES:
                raise MarkupError(f"unsupported entity &{entity}; at character {position}")
            tokens.append(Token("text", match.group(0)))
            position = match.end()
        elif char == ">":
            raise MarkupError(f"unescaped '>' at character {position}")
        else:
            tokens.append(Token("text", char))
            position += 1
    if stack:
        raise MarkupError(f"<{stack[-1]}> is never closed")
    return tokens


def check_markup(html: str) -> None:
    """Raise MarkupError when Telegram would refuse ``html`` in HTML parse mode."""
    tokenize(html)


def visible_len(html: str) -> int:
    """The length Telegram checks against its limit: parsed text in UTF-16 code units."""
    return sum(token.size for token in tokenize(html))


def split_html(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut ``html`` into valid chunks of at most ``limit`` visible characters, preferring line breaks."""
    tokens = tokenize(html)
    if sum(token.size for token in tokens) <= limit:
        return [html.strip()] if _visible(tokens) else []
    chunks: list[str] = []
    start = 0
    reopened: list[Token] = []
    for _ in range(len(tokens) + 1):  # each round consumes at least one token
        if start >= len(tokens):
            break
        end, stack = _fit(tokens, start, reopened, limit)
        body = "".join(token.raw for token in (*reopened, *tokens[start:end]))
        closing = "".join(f"</{token.name}>" for token in reversed(stack))
        chunk = (body + closing).strip()
        if _has_text(chunk):
            chunks.append(chunk)
        start, reopened = end, stack
    return chunks


def _fit(tokens: list[Token], start: int, reopened: list[Token], limit: int) -> tuple[int, list[Token]]:
    """The best end index for a chunk beginning at ``start``, and the tags open there."""
    stack = list(reopened)
    used = 0
    visible = 0
    best_line: tuple[int, list[Token]] | None = None
    best_space: tuple[int, list[Token]] | None = None
    best_any: tuple[int, list[Token]] | None = None
    index = start
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "open":
            stack.append(token)
        elif token.kind == "close":
            stack.pop()
        elif not token.raw.isspace():
            visible += 1
        used += token.size
        if used > limit:
            break
        index += 1
        if visible:
            cut = (index, list(stack))
            best_any = cut
            if token.raw == "\n":
                best_line = cut
            elif token.raw == " ":
                best_space = cut
    else:
        return index, stack
    # A line break is the nicest cut unless it would leave the chunk mostly empty.
    for nice in (best_line, best_space):
        if nice is not None and _size(tokens, start, nice[0]) >= limit // 2:
            return nice
    if best_any is None:
        raise ValueError(f"cannot split text into chunks of {limit} characters")
    return best_any


def _size(tokens: list[Token], start: int, end: int) -> int:
    return sum(token.size for token in tokens[start:end])


def _visible(tokens: list[Token]) -> bool:
    return any(token.kind == "text" and not token.raw.isspace() for token in tokens)


def _has_text(chunk: str) -> bool:
    return _visible(tokenize(chunk))
