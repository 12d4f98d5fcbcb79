"""What the interpreter observed, in the form the rules read.

A `ForwardEvent` is one forward-pass call site; each distinct way the analysis reached
it (a calling context, a loop iteration that changed something) is a `Visit`, with
the module's possible modes, the grad mode, the signals that make it an inference
forward, what its result is used for, and (for non-inference forwards) the frozen
parts with BatchNorm it runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

from evalguard.analysis.values import FreezeFact, GradFact, ModeFact, ObjInfo


@dataclass(frozen=True)
class FrozenPart:
    obj: ObjInfo
    name: str  # how the code refers to it, relative to the forward's receiver
    freezes: frozenset  # FreezeFacts
    modes: frozenset  # the ModeFacts that leave it in training mode
    has_bn: Optional[bool]
    path: Optional[tuple[str, ...]] = None  # attribute path from the forward's module (None: not by attributes)
    trained_paths: tuple = ()  # for a model frozen by leaving it out of the optimizer: the parts that train


@dataclass(frozen=True)
class Visit:
    modes: frozenset  # ModeFacts of the module at the call
    grads: frozenset  # GradFacts at the call
    signals: tuple[str, ...]  # why this forward is an inference forward ("" if it is not)
    usage: str  # usage.TRAINING / MIXED / LOSS / ... / "frozen-part" / "inference"
    stack: tuple[cst.CSTNode, ...]  # call sites that led here (outermost first)
    loops: tuple[cst.CSTNode, ...]
    frozen_parts: tuple[FrozenPart, ...] = ()
    optimized: bool = True  # the module's parameters are (near) an optimizer's
    volatile: bool = False  # an input came from Variable(..., volatile=True)
    managed_grad: bool = False  # the called method disables gradients itself (HF generate)
    target: bool = False  # a no_grad forward whose output feeds a loss (teacher, target network)
    frozen: bool = False  # every parameter of the module is frozen: no graph without grad inputs

    @property
    def is_inference(self) -> bool:
        return bool(self.signals)


@dataclass
class ForwardEvent:
    node: cst.Call
    receiver: str  # source text of the module expression
    obj: ObjInfo
    sensitive: Optional[bool]
    visits: dict[Visit, None] = field(default_factory=dict)

    def add(self, visit: Visit) -> None:
        self.visits.setdefault(visit, None)


__all__ = ["ForwardEvent", "Visit", "FrozenPart", "ModeFact", "GradFact", "FreezeFact"]
