"""Abstract objects and the mode/frozen state attached to them.

Objects are allocation sites (a constructor call in a given call context), so a
helper that builds two models makes two objects. A module's children are objects too:
`model.backbone` is created on first access and *inherits* its parent's mode until it
is given one of its own; modules put into a container (`nn.Sequential(enc, head)`,
`self.encoder = encoder`) keep their own mode until the container's mode is set, which
sets theirs (`train()`/`eval()` recurse into children).
"""
from __future__ import annotations

import re
from typing import Iterator, Optional

import libcst as cst

from evalguard.analysis.values import (
    FRESH,
    MODULE,
    OPAQUE,
    UNKNOWN,
    FreezeFact,
    ModeFact,
    ObjInfo,
    State,
    _join_dicts,
    join_values,
)

_NO_BN_CHILD = re.compile(
    r"^(fc\d*|classifier|head|heads|lm_head|cls|linear\d*|dropout|drop|pool|avgpool|maxpool|relu|act\d*|"
    r"conv\d*|embed\w*|proj|out|output|logits|decoder_head|score)$"
)
_BN_CHILD = re.compile(r"^(bn\d*|norm\d*|batch_?norm\d*)$")


class Heap:
    """All objects of one analysis, with the operations on modes that need them."""

    def __init__(self) -> None:
        self.objects: list[ObjInfo] = []
        self._alloc: dict[tuple, int] = {}
        self.containers: dict[int, set[int]] = {}
        self.held_as: dict[tuple[int, int], str] = {}  # (container, child) -> attribute name

    # creation ---------------------------------------------------------------------------
    def new(self, key: tuple, kind: str, name, node: Optional[cst.CSTNode], initial: frozenset, **traits) -> int:
        """The object for allocation site `key`, created on first use (`name` may be a
        function that makes it: it is only needed once)."""
        found = self._alloc.get(key)
        if found is not None:
            return found
        if callable(name):
            name = name()
        oid = len(self.objects)
        self.objects.append(ObjInfo(oid, kind, name, node, initial, **traits))
        self._alloc[key] = oid
        return oid

    def child(self, parent: int, attr: str) -> int:
        """`parent.attr` as an object of its own (inherits the parent's mode)."""
        info = self.objects[parent]
        found = info.children.get(attr)
        if found is not None:
            return found
        kind = MODULE if info.kind == MODULE else OPAQUE
        oid = len(self.objects)
        self.objects.append(
            ObjInfo(
                oid,
                kind,
                f"{info.name}.{attr}" if attr != "[]" else f"{info.name}[...]",
                None,
                frozenset(),
                parent=parent,
                attr=attr,
                sensitive=info.sensitive,
                has_bn=self._child_bn(info, attr),
                evidence=info.evidence,
                moving=info.moving,
            )
        )
        info.children[attr] = oid
        return oid

    @staticmethod
    def _child_bn(parent: ObjInfo, attr: str) -> Optional[bool]:
        if _BN_CHILD.match(attr):
            return True if parent.has_bn else parent.has_bn
        if parent.has_bn is None:
            return None
        if not parent.has_bn or _NO_BN_CHILD.match(attr):
            return False
        return True

    def contain(self, parent: int, child: int, attr: str = "") -> None:
        """`child` is held by `parent` (as `parent.attr` when `attr` is given)."""
        if parent == child or self.is_ancestor(child, parent):
            return
        self.objects[parent].contains.add(child)
        self.containers.setdefault(child, set()).add(parent)
        if attr:
            self.held_as[(parent, child)] = attr

    # structure ------------------------------------------------------------------------------
    def descendants(self, oid: int) -> Iterator[int]:
        seen = {oid}
        todo = [oid]
        while todo:
            cur = todo.pop()
            info = self.objects[cur]
            for nxt in list(info.children.values()) + list(info.contains):
                if nxt not in seen:
                    seen.add(nxt)
                    yield nxt
                    todo.append(nxt)

    def ancestors(self, oid: int) -> Iterator[int]:
        seen = {oid}
        todo = [oid]
        while todo:
            cur = todo.pop()
            parents = set(self.containers.get(cur, ()))
            parent = self.objects[cur].parent
            if parent is not None:
                parents.add(parent)
            for p in parents:
                if p not in seen:
                    seen.add(p)
                    yield p
                    todo.append(p)

    def is_ancestor(self, maybe: int, oid: int) -> bool:
        return any(a == maybe for a in self.ancestors(oid))

    def has_bn(self, oid: int) -> Optional[bool]:
        info = self.objects[oid]
        if info.has_bn:
            return True
        if any(self.objects[d].has_bn for d in self.descendants(oid)):
            return True
        return info.has_bn

    def sensitive(self, oid: int) -> Optional[bool]:
        info = self.objects[oid]
        if info.sensitive or info.has_bn:
            return True
        if any(self.objects[d].sensitive or self.objects[d].has_bn for d in self.descendants(oid)):
            return True
        return info.sensitive

    def bn_safe(self, oid: int) -> Optional[str]:
        info = self.objects[oid]
        if info.bn_safe:
            return info.bn_safe
        for a in self.ancestors(oid):
            if self.objects[a].bn_safe:
                return self.objects[a].bn_safe
        return None

    def optimized_near(self, oid: int) -> bool:
        """Its parameters (or an ancestor's or a descendant's) go to an optimizer."""
        if self.objects[oid].optimized is not None:
            return True
        return any(self.objects[x].optimized is not None for x in (*self.ancestors(oid), *self.descendants(oid)))

    def part_of_trained(self, oid: int) -> bool:
        """It, an ancestor, or a sibling part of an ancestor goes to an optimizer: the
        object is part of a model being trained (not a separate teacher/target network)."""
        if self.optimized_above(oid):
            return True
        return any(self.optimized_near(a) for a in self.ancestors(oid))

    def optimized_above(self, oid: int) -> bool:
        if self.objects[oid].optimized is not None:
            return True
        return any(self.objects[x].optimized is not None for x in self.ancestors(oid))

    # modes ----------------------------------------------------------------------------------
    def mode(self, state: State, oid: int) -> frozenset:
        cur: Optional[int] = oid
        while cur is not None:
            found = state.modes.get(cur)
            if found is not None:
                return found
            info = self.objects[cur]
            if info.parent is None:
                return info.initial or frozenset({ModeFact(UNKNOWN, None, info.name)})
            cur = info.parent
        return frozenset()  # pragma: no cover

    def set_mode(self, state: State, oid: int, facts: frozenset, weak: bool = False) -> None:
        """`module.train()/.eval()`: sets the module and, recursively, its children."""
        if weak:
            facts = self.mode(state, oid) | facts
        state.modes[oid] = facts
        for d in self.descendants(oid):
            state.modes[d] = facts if not weak else self.mode(state, d) | facts

    def frozen(self, state: State, oid: int) -> frozenset:
        out = state.frozen.get(oid, frozenset())
        for a in self.ancestors(oid):
            out = out | state.frozen.get(a, frozenset())
        return out

    def freeze(self, state: State, oid: int, fact: FreezeFact) -> None:
        state.frozen[oid] = state.frozen.get(oid, frozenset()) | {fact}

    # joins ----------------------------------------------------------------------------------
    def join(self, a: Optional[State], b: Optional[State]) -> Optional[State]:
        if a is None:
            return b.copy() if b is not None else None
        if b is None:
            return a.copy()
        # both states come from one ancestor: most entries are the very same set, and
        # only the entries that differ need the (inherited) mode of the other side
        am, bm = a.modes, b.modes
        modes = dict(am)
        for oid, bv in bm.items():
            av = am.get(oid)
            if av is bv:
                continue
            modes[oid] = (self.mode(a, oid) if av is None else av) | bv
        for oid in am.keys() - bm.keys():
            modes[oid] = am[oid] | self.mode(b, oid)
        return State(
            env=_join_dicts(a.env, b.env, join_values),
            genv=_join_dicts(a.genv, b.genv, join_values),
            attrs=_join_dicts(a.attrs, b.attrs, join_values),
            modes=modes,
            frozen=_join_dicts(a.frozen, b.frozen, lambda x, y: x | y),
            grad=a.grad | b.grad,
        )

    def join_all(self, states: list[Optional[State]]) -> Optional[State]:
        out: Optional[State] = None
        for s in states:
            if s is not None:
                out = s.copy() if out is None else self.join(out, s)
        return out


def fresh_fact(node: cst.CSTNode, what: str, stack=(), loops=()) -> ModeFact:
    return ModeFact(FRESH, node, what, stack, loops)
