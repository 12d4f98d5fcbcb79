"""Name resolution with a light import table.

libcst's Scope/QualifiedName providers cost about 13x the parse; a linter about a
handful of torch names needs far less: every `import` in the file (at any depth) is
recorded, and a dotted expression resolves to a qualified name through it, so that
`import torch as t`, `from torch import no_grad` and `from torch.nn import functional
as F` all work. Shadowing by local assignment is handled by the interpreter, which
looks names up in its own environment first.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

_EMPTY_MODULE = cst.Module([])


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def source_of(node: cst.CSTNode) -> str:
    """The exact source text of a node (for fixes)."""
    return _EMPTY_MODULE.code_for_node(node)


def code_of(node: cst.CSTNode, limit: int = 60) -> str:
    """Source text of a (small) node for messages, shortened to `limit` characters."""
    text = _EMPTY_MODULE.code_for_node(node).strip()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _import_name(node: cst.BaseExpression) -> str:
    return dotted(node) or ""


class ImportTable:
    """Maps names bound by imports to the qualified names they stand for."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _import_name(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = full
                else:
                    top = full.split(".")[0]
                    self.names.setdefault(top, top)
            return
        if node.relative or node.module is None:
            module = "." * len(node.relative) + (_import_name(node.module) if node.module else "")
        else:
            module = _import_name(node.module)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _import_name(alias.name)
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.names[local] = f"{module}.{name}" if module else name

    def qualify(self, name: str) -> Optional[str]:
        """The qualified name for a dotted name whose head is an import, else None."""
        head, _, rest = name.partition(".")
        base = self.names.get(head)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base
