"""Fast traversal of libcst trees.

libcst's visitor machinery rebuilds every node it passes (`_visit_and_replace_children`)
and dispatches through several layers per node: a full walk costs more than the parse
itself. The analysis only *reads* trees, so it walks the dataclass fields directly and
skips the whitespace, punctuation and operator fields that never hold a name or a call.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterator, Optional

import libcst as cst

_SKIP_NAMES = {
    "lpar", "rpar", "comma", "semicolon", "leading_lines", "header", "footer", "newline", "equal", "colon",
    "dot", "star", "operator", "lbracket", "rbracket", "lbrace", "rbrace", "asynchronous", "relative",
    "trailing_whitespace", "first_line", "empty_lines", "walrus", "default_comma", "star_tok",
}
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    found = _FIELDS.get(kind)
    if found is None:
        found = tuple(
            f.name for f in dataclasses.fields(kind)
            if f.name not in _SKIP_NAMES and "whitespace" not in f.name and not f.name.startswith("lines_")
        )
        _FIELDS[kind] = found
    return found


_IS_NODE: dict[type, bool] = {}


def is_node(value: object) -> bool:
    """isinstance(value, CSTNode), cached per type (libcst's ABC checks are slow)."""
    kind = type(value)
    found = _IS_NODE.get(kind)
    if found is None:
        found = _IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return found


def is_a(value: object, base: type) -> bool:
    """isinstance against a libcst base class, cached per (type, base)."""
    key = (type(value), base)
    found = _IS_A.get(key)
    if found is None:
        found = _IS_A[key] = issubclass(type(value), base)
    return found


_IS_A: dict[tuple[type, type], bool] = {}


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The syntactic children of `node` that can contain code, in source order."""
    out: list[cst.CSTNode] = []
    for name in _fields(type(node)):
        value = getattr(node, name)
        if type(value) in (tuple, list):
            out.extend(v for v in value if is_node(v))
        elif is_node(value):
            out.append(value)
    return out


def walk(node: cst.CSTNode, prune: Optional[Callable[[cst.CSTNode], bool]] = None) -> Iterator[cst.CSTNode]:
    """Every node under `node` (itself included), depth first in source order; `prune(n)`
    True stops the descent below `n` (n itself is still yielded)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if prune is not None and current is not node and prune(current):
            continue
        kids = children(current)
        kids.reverse()
        stack.extend(kids)


def contains(tree: cst.CSTNode, target: cst.CSTNode) -> bool:
    if tree is target:
        return True
    return any(n is target for n in walk(tree))


def prune_scopes(node: cst.CSTNode) -> bool:
    """Stop at nested functions, classes and lambdas (a different scope)."""
    return isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
