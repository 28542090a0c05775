"""HTML mail bodies as the text a reader sees, with the standard library's ``html.parser``."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .visibility import StyleSheet, TextStyle, apply, apply_attributes, declarations

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template"})
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
#: A start tag that closes an open element of these kinds first, as browsers do.
_CLOSES = {
    "p": {"p"},
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "tr": {"td", "th", "tr"},
    "option": {"option"},
}
#: Characters that take no room on the screen: a reader never sees them between letters.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


_COMMENT = re.compile(r"<!--.*?(?:--!?>|$)", re.S)
#: ``<style>`` holds raw text up to ``</style``, as an HTML tokenizer reads it.
_STYLE = re.compile(r"<style\b[^>]*>(.*?)(?:</style|$)", re.S | re.I)


def style_sheet(html: str) -> StyleSheet:
    """The rules of every ``<style>`` element of ``html`` (none inside comments)."""
    return StyleSheet("\n".join(_STYLE.findall(_COMMENT.sub("", html))))


class _TextCollector(HTMLParser):
    """Visible text: what is hidden, zero-size or the colour of its background is left out."""

    def __init__(self, sheet: StyleSheet) -> None:
        super().__init__(convert_charrefs=True)
        self.sheet = sheet
        self.parts: list[str] = []
        self.skipping = 0
        self.open: list[tuple[str, TextStyle]] = []

    @property
    def style(self) -> TextStyle:
        return self.open[-1][1] if self.open else TextStyle()

    def _style_of(self, tag: str, attrs: list[tuple[str, str | None]]) -> TextStyle:
        named = {name.lower(): value for name, value in attrs}
        full, hiding = self.sheet.matching(tag, named)
        inline = declarations(named.get("style") or "")
        return apply(apply_attributes(self.style, tag, named), [*full, *inline], hiding)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
            return
        if tag in _BLOCK:
            self.parts.append("\n")
        closes = _CLOSES.get(tag, set()) | ({"p"} if tag in _BLOCK else set())
        while self.open and self.open[-1][0] in closes:
            self.open.pop()
        if tag not in _VOID:
            self.open.append((tag, self._style_of(tag, attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag in _BLOCK:
            self.parts.append("\n")
        if any(name == tag for name, _ in self.open):
            while self.open and self.open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self.skipping and self.style.shows_text:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of ``html``: one line per block element, entities decoded, blank lines dropped.

    Comments, scripts and styles are never text; neither is text hidden by CSS or attributes
    (``display:none``, ``visibility:hidden``, ``hidden``, zero size, off the screen, transparent)
    or drawn in its background's colour (white on white).
    """
    collector = _TextCollector(style_sheet(html))
    collector.feed(html)
    collector.close()
    text = "".join(collector.parts).replace("\xa0", " ").translate(_INVISIBLE)
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
