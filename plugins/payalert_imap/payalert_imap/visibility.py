"""What CSS does to the visibility of text in an HTML mail: hidden, zero-size, or the colour of its background.

Declarations are read with ``tinycss2`` (quoted strings, comments and ``!important`` as CSS reads
them). ``<style>`` rules apply by their last compound selector (tag, classes, id); a rule whose
selector is more than that applies only what hides, so a rule payalert cannot fully match can
hide text from it, never show it text the user does not see.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import tinycss2
import tinycss2.color3
from tinycss2.ast import Declaration, Node

#: Text smaller than this (CSS pixels) is treated as unreadable.
MIN_FONT_PX = 4.0
#: Text whose contrast ratio with its background is below this is treated as invisible.
MIN_CONTRAST = 1.2
#: An offset further than this (text-indent, left, top …) moves text off the screen.
OFFSCREEN_PX = 500.0
WHITE = (1.0, 1.0, 1.0)
BLACK = (0.0, 0.0, 0.0)
_UNITS = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6}
_COMPOUND = re.compile(r"^(?P<tag>[a-z0-9*]+)?(?P<rest>(?:[.#][\w-]+)*)$", re.I)
_OFFSET_PROPERTIES = ("text-indent", "left", "top", "margin-left", "margin-top")

Colour = tuple[float, float, float]


@dataclass(frozen=True)
class TextStyle:
    """What an element passes to its text and children: whether and how text inside shows."""

    gone: bool = False
    visible: bool = True
    font_px: float = 16.0
    colour: Colour = BLACK
    colour_alpha: float = 1.0
    background: Colour = WHITE

    @property
    def shows_text(self) -> bool:
        """Would a reader see text with this style?"""
        if self.gone or not self.visible or self.font_px < MIN_FONT_PX or self.colour_alpha < 0.1:
            return False
        return contrast(self.colour, self.background) >= MIN_CONTRAST


def contrast(first: Colour, second: Colour) -> float:
    """The WCAG contrast ratio of two colours (1 = identical, 21 = black on white)."""

    def luminance(colour: Colour) -> float:
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in colour]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def declarations(css: str | Sequence[Node]) -> tuple[Declaration, ...]:
    """The declarations of an inline style or a rule body, in order (comments and errors skipped)."""
    if isinstance(css, str):
        return _inline_declarations(css) if css.strip() else ()
    parsed = tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True)
    return tuple(node for node in parsed if isinstance(node, Declaration))


@functools.lru_cache(maxsize=512)
def _inline_declarations(css: str) -> tuple[Declaration, ...]:
    """An inline style's declarations (a mail repeats the same few styles on hundreds of cells)."""
    parsed = tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True)
    return tuple(node for node in parsed if isinstance(node, Declaration))


def _length_px(tokens: Sequence[Node], parent_px: float) -> float | None:
    """A length in CSS pixels (percent and em of ``parent_px``), or None when it is not one."""
    values = [t for t in tokens if t.type not in ("whitespace", "comment")]
    if not values:
        return None
    token = values[0]
    if token.type == "number" and token.value == 0:
        return 0.0
    if token.type == "percentage":
        return parent_px * token.value / 100
    if token.type == "dimension":
        unit = token.lower_unit
        if unit in ("em", "rem"):
            return parent_px * token.value
        if unit in ("ex", "ch"):
            return parent_px * token.value / 2
        if unit in _UNITS:
            return token.value * _UNITS[unit]
        if unit in ("vw", "vh", "vmin", "vmax"):
            return token.value * 4.0  # a phone's screen: 1vw is about 4px
    return None


def _colour(tokens: Sequence[Node] | str) -> tuple[Colour, float] | None:
    """The first colour in ``tokens`` (a declaration's value or an attribute), with its alpha."""
    candidates: Iterable[Node | str] = [tokens] if isinstance(tokens, str) else tokens
    for token in candidates:
        if not isinstance(token, str) and token.type in ("whitespace", "comment"):
            continue
        parsed = tinycss2.color3.parse_color(token.strip() if isinstance(token, str) else token)
        if parsed is not None and parsed != "currentColor":
            return (parsed.red, parsed.green, parsed.blue), parsed.alpha
    return None


def _keyword(tokens: Sequence[Node]) -> str:
    return tinycss2.serialize(tokens).strip().lower()


def hides(declaration: Declaration, parent_px: float = 16.0) -> bool:
    """True when the declaration alone takes an element's content off the screen."""
    name, value = declaration.lower_name, declaration.value
    if name == "display":
        return _keyword(value) == "none"
    if name == "opacity":
        number = next((t for t in value if t.type in ("number", "percentage")), None)
        return number is not None and number.value <= (0.05 if number.type == "number" else 5)
    if name in ("max-height", "max-width", "height", "width"):
        return _length_px(value, parent_px) == 0.0
    if name in _OFFSET_PROPERTIES:
        offset = _length_px(value, parent_px)
        return offset is not None and offset <= -OFFSCREEN_PX
    return False


def apply(
    style: TextStyle, found: Iterable[Declaration], hiding_only: Iterable[Declaration] = ()
) -> TextStyle:
    """``style`` (the parent's) as changed by an element's declarations, later ones winning."""
    result = style
    items = [(d, False) for d in hiding_only] + [(d, True) for d in found]
    items.sort(key=lambda item: item[0].important)  # !important last: it wins over what came before
    overflow_hidden = any(
        d.lower_name == "overflow" and _keyword(d.value) in ("hidden", "clip") for d, _ in items
    )
    for declaration, full in items:
        name = declaration.lower_name
        if hides(declaration, style.font_px) and (
            name not in ("max-height", "max-width", "height", "width") or overflow_hidden
        ):
            result = replace(result, gone=True)
        elif name == "font-size" and (full or _length_px(declaration.value, style.font_px) == 0.0):
            size = _length_px(declaration.value, style.font_px)
            if size is not None:
                result = replace(result, font_px=size)
        elif name == "visibility":
            keyword = _keyword(declaration.value)
            if keyword in ("hidden", "collapse"):
                result = replace(result, visible=False)
            elif full and keyword == "visible":
                result = replace(result, visible=True)
        elif full and name == "color":
            colour = _colour(declaration.value)
            if colour is not None:
                result = replace(result, colour=colour[0], colour_alpha=colour[1])
        elif full and name in ("background-color", "background"):
            colour = _colour(declaration.value)
            if colour is not None and colour[1] >= 0.5:
                result = replace(result, background=colour[0])
    return result


def apply_attributes(style: TextStyle, tag: str, attrs: Mapping[str, str | None]) -> TextStyle:
    """Presentational HTML attributes: ``hidden``, ``bgcolor``, ``<font color>``."""
    if "hidden" in attrs:
        style = replace(style, gone=True)
    background = attrs.get("bgcolor")
    if background and (colour := _colour(background)) is not None and colour[1] >= 0.5:
        style = replace(style, background=colour[0])
    text_colour = attrs.get("color") if tag == "font" else None
    if text_colour and (colour := _colour(text_colour)) is not None:
        style = replace(style, colour=colour[0], colour_alpha=colour[1])
    return style


@dataclass(frozen=True)
class _Rule:
    tag: str | None
    classes: frozenset[str]
    ident: str | None
    declarations: tuple[Declaration, ...]
    exact: bool

    def matches(self, tag: str, classes: frozenset[str], ident: str | None) -> bool:
        return (
            (self.tag is None or self.tag == tag)
            and self.classes <= classes
            and (self.ident is None or self.ident == ident)
        )


class StyleSheet:
    """The rules of a mail's ``<style>`` blocks (inside ``@media`` and ``@supports`` too)."""

    def __init__(self, css: str = "") -> None:
        self.rules: list[_Rule] = []
        self._add(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))

    def _add(self, nodes: Iterable[Node]) -> None:
        for node in nodes:
            if node.type == "at-rule" and node.content is not None:
                self._add(
                    tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
                )
            elif node.type == "qualified-rule":
                found = declarations(node.content)
                for selector in tinycss2.serialize(node.prelude).split(","):
                    rule = _rule(selector, found)
                    if rule is not None:
                        self.rules.append(rule)

    def matching(
        self, tag: str, attrs: Mapping[str, str | None]
    ) -> tuple[list[Declaration], list[Declaration]]:
        """Declarations of rules that fully match the element, and hiding ones of rules that may match."""
        classes = frozenset((attrs.get("class") or "").lower().split())
        ident = (attrs.get("id") or "").lower() or None
        full: list[Declaration] = []
        hiding: list[Declaration] = []
        for rule in self.rules:
            if rule.matches(tag, classes, ident):
                (full if rule.exact else hiding).extend(rule.declarations)
        return full, hiding


def _rule(selector: str, found: tuple[Declaration, ...]) -> _Rule | None:
    """A rule keyed by the last compound of ``selector``; None when that compound names nothing usable."""
    text = selector.strip().lower()
    if not text:
        return None
    last = re.split(r"\s*[>+~]\s*|\s+", text)[-1]
    simple = re.sub(r"::?[\w-]+(?:\([^)]*\))?|\[[^\]]*\]", "", last)
    exact = simple == last == text
    match = _COMPOUND.match(simple)
    if not match:
        return None
    tag = match.group("tag")
    parts = re.findall(r"([.#])([\w-]+)", match.group("rest"))
    classes = frozenset(name for kind, name in parts if kind == ".")
    idents = [name for kind, name in parts if kind == "#"]
    if len(idents) > 1:
        return None
    kept = (
        found if exact else tuple(d for d in found if hides(d) or d.lower_name in ("visibility", "font-size"))
    )
    if not kept:
        return None
    return _Rule(None if tag in (None, "*") else tag, classes, idents[0] if idents else None, kept, exact)
