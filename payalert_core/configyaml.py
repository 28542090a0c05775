"""YAML for ``config.yaml``: PyYAML's safe loader, with what anchors and aliases expand to bounded.

PyYAML builds one object per anchor and shares it wherever an alias points, so a few hundred bytes
("billion laughs") can describe more values than memory holds; everything that walks the document
afterwards would expand them. A document is refused before construction when, counted with every
alias expanded, it holds more than ``MAX_VALUES`` values, nests deeper than ``MAX_DEPTH`` levels,
or has an alias inside the very value it names. Ordinary anchors (a shared secret, ``<<: *base``)
stay well inside these bounds.
"""

from __future__ import annotations

from typing import Any

import yaml

#: More values than any real config holds once its aliases are expanded.
MAX_VALUES = 100_000
#: Deeper than any real config nests (sections are about five levels deep).
MAX_DEPTH = 64


class YamlBoundError(ValueError):
    """A document that would expand beyond the bounds; the message says what to change."""


def load_yaml(text: str) -> Any:
    """Parse ``text`` like ``yaml.safe_load``; raise YamlBoundError for a document beyond the bounds."""
    try:
        return yaml.load(text, Loader=_BoundedLoader)
    except RecursionError:
        raise YamlBoundError(f"values are nested too deeply (more than {MAX_DEPTH} levels)") from None


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that checks the composed node graph before constructing Python objects from it."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.anchor_names: dict[int, str] = {}

    def compose_sequence_node(self, anchor: str | None) -> yaml.Node:
        return self._named(super().compose_sequence_node(anchor), anchor)

    def compose_mapping_node(self, anchor: str | None) -> yaml.Node:
        return self._named(super().compose_mapping_node(anchor), anchor)

    def _named(self, node: yaml.Node, anchor: str | None) -> yaml.Node:
        if anchor is not None:
            self.anchor_names[id(node)] = anchor
        return node

    def construct_document(self, node: yaml.Node) -> Any:
        check_expansion(node, self.anchor_names)
        return super().construct_document(node)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: yaml.Node, anchor_names: dict[int, str]) -> None:
    """Raise YamlBoundError when ``root``, its aliases expanded, is too large, too deep or cyclic.

    Each distinct node is visited once (sizes and depths are kept per node), so the check takes
    time in proportion to the text, however far the aliases would expand.
    """
    measured: dict[int, tuple[int, int]] = {}  # node id: (values with aliases expanded, depth)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_measured = stack.pop()
        key = id(node)
        children = _children(node)
        if children_measured:
            size = 1 + sum(measured[id(child)][0] for child in children)
            depth = 1 + max((measured[id(child)][1] for child in children), default=0)
            if size > MAX_VALUES:
                raise YamlBoundError(
                    f"its aliases (*name) expand to more than {MAX_VALUES:,} values; "
                    "write the repeated parts out instead of nesting aliases"
                )
            if depth > MAX_DEPTH:
                raise YamlBoundError(f"values are nested too deeply (more than {MAX_DEPTH} levels)")
            measured[key] = (size, depth)
            on_path.discard(key)
            continue
        if key in measured:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                name = anchor_names.get(id(child), "?")
                raise YamlBoundError(
                    f"the alias *{name} refers to the value that contains it; write that value out"
                )
            if id(child) not in measured:
                stack.append((child, False))
