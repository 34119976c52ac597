"""Text and data that came from outside: made safe to print, and YAML read within bounds.

``printable`` is the one function every foreign string (model metadata, a server's error
message, a file's own name for itself) goes through before it reaches a terminal, so no
newline, ANSI escape or bidirectional override a stranger wrote can move the cursor, recolour
the screen or reorder what the user reads. ``load_yaml`` is the one way YAML is read
(glossary, leaflet.yml, engines.yml, model manifests): the node graph is composed without
expanding aliases, then its expanded size and depth are measured (each node once) and refused
past the limits before anything is built, so an anchor bomb costs a millisecond, not minutes.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from pipeline.errors import PipelineError

# C0 and C1 controls (tab, newline and carriage return included: a printed line stays one
# line), DEL, and the Unicode format characters that reorder or hide text.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def printable(text: object) -> str:
    """``text`` as one line safe for a terminal: ANSI escape sequences removed, every other
    control or text-reordering character shown as an escape (``\\n``, ``\\x07``, ``\\u202e``)."""
    value = _ANSI.sub("", str(text))
    return _UNPRINTABLE.sub(_escape, value)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class YamlBounds(yaml.MarkedYAMLError, PipelineError):
    """YAML refused before it was built: too many nodes once aliases are expanded, nested too
    deep, or an alias inside itself. A ``yaml.YAMLError``, so callers' handling applies."""

    def __init__(self, problem: str, node: yaml.Node | None) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark if node else None)


def _loader(text: str) -> yaml.SafeLoader:
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10× faster
    loader: yaml.SafeLoader = loader_class(text)
    return loader


def compose_yaml(text: str, *, max_nodes: int, max_depth: int) -> yaml.Node | None:
    """The node graph of one YAML document, checked against the bounds; ``yaml.YAMLError``
    (a ``YamlBounds`` past them) when it cannot be read."""
    loader = _loader(text)
    try:
        root = loader.get_single_node()
    except RecursionError as exc:  # the pure-Python composer recurses per level
        raise YamlBounds(f"nested more than {max_depth} levels deep", None) from exc
    finally:
        loader.dispose()
    if root is not None:
        check_bounds(root, max_nodes=max_nodes, max_depth=max_depth)
    return root


def load_yaml(text: str, *, max_nodes: int, max_depth: int) -> tuple[yaml.Node | None, Any]:
    """(node graph, data) of one YAML document read with the safe loader within the bounds."""
    root = compose_yaml(text, max_nodes=max_nodes, max_depth=max_depth)
    if root is None:
        return None, None
    constructor = yaml.constructor.SafeConstructor()
    try:
        return root, constructor.construct_document(root)
    except RecursionError as exc:
        raise YamlBounds(f"nested more than {max_depth} levels deep", root) from exc


def check_bounds(root: yaml.Node, *, max_nodes: int, max_depth: int) -> int:
    """The number of nodes ``root`` stands for once every alias is expanded (each distinct
    node is visited once; a shared node counts as often as it is used). ``YamlBounds`` past
    ``max_nodes`` or ``max_depth``, or for a node that contains itself."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    # An explicit stack (no recursion): (node, children done?)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if sizes[key] > max_nodes:
                raise YamlBounds(
                    f"expands to more than {max_nodes} values (aliases of aliases: "
                    "an anchor bomb?)",
                    node,
                )
            if depths[key] > max_depth:
                raise YamlBounds(f"nested more than {max_depth} levels deep", node)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlBounds("an alias refers to a value that contains it", node)
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise YamlBounds("an alias refers to a value that contains it", child)
            if id(child) not in sizes:
                stack.append((child, False))
        if len(open_nodes) > max_depth:
            raise YamlBounds(f"nested more than {max_depth} levels deep", node)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
