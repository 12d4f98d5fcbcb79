"""The abstract domain: what the interpreter knows at each point of the program.

* A module's **mode** is a set of `ModeFact`s, one per way it may have got there
  (fresh from its constructor, an explicit `.train()`/`.eval()`, a loader, unknown).
  A set with more than one fact means "depends on the path"; joining is set union.
  Facts remember where they came from, so messages can say *why*.
* The **grad mode** is a set of `GradFact`s (on / off / unknown) in the same way.
* Values bound to names are small immutable records (`Obj`, `Const`, `Func`, ...).
  Objects are abstract allocation sites (`ObjInfo`); their mode lives in the state,
  their static traits (class, BatchNorm inside, mode-sensitive layers) in `ObjInfo`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

FRESH = "fresh"  # constructed, never put in a mode: nn.Module's default training mode
TRAIN = "train"  # an explicit .train() / .train(True)
EVAL = "eval"  # an explicit .eval() / .train(False), or an eval-returning loader
UNKNOWN = "unknown"

ON, OFF = "on", "off"


@dataclass(frozen=True)
class ModeFact:
    """One way a module may have reached its current mode."""

    kind: str
    node: Optional[cst.CSTNode]  # the call that set it (constructor, loader, .train(), .eval())
    what: str = ""  # text for messages when the node's own source does not say it (see `describe`)
    stack: tuple[cst.CSTNode, ...] = ()  # call sites through which `node` ran (outermost first)
    loops: tuple[cst.CSTNode, ...] = ()  # loops active when it was set (outermost first)
    loader: bool = False  # eval mode because a loader (from_pretrained, ...) returns it so
    bn_eval: Optional[cst.CSTNode] = None  # train mode, but BatchNorm layers put back in eval here
    selected: bool = False  # chosen by a condition (`if training: m.train() else: m.eval()`): deliberate
    target: int = -1  # the object whose .train()/.eval() set it (its children share the fact)


def describe(fact: ModeFact) -> str:
    """How messages name the origin of a mode: `model.train()`, `resnet18(...)`, or the
    fact's own words (computed only when a message is written)."""
    if fact.what:
        return fact.what
    if fact.node is None:
        return "its origin"
    from evalguard.analysis.names import code_of

    if isinstance(fact.node, cst.Call) and (fact.kind in (FRESH, UNKNOWN) or fact.loader):
        return f"{code_of(fact.node.func)}(...)"
    return code_of(fact.node)


@dataclass(frozen=True)
class GradFact:
    kind: str  # ON / OFF / UNKNOWN
    node: Optional[cst.CSTNode]  # the with/decorator/call that set it; None for the default
    strong: bool = True  # False for the default of a function analysed without callers


Modes = frozenset  # frozenset[ModeFact]
Grads = frozenset  # frozenset[GradFact]


@dataclass(frozen=True)
class FreezeFact:
    node: cst.CSTNode
    what: str
    partial: bool = False  # only some parameters (e.g. all but the head)
    expr: str = ""  # the frozen module as the code names it there (for fixes)


# ---------------------------------------------------------------------------------
# Values


class Value:
    __slots__ = ()


@dataclass(frozen=True)
class Unknown(Value):
    pass


UNKNOWN_VALUE = Unknown()


@dataclass(frozen=True)
class Obj(Value):
    id: int


@dataclass(frozen=True)
class ObjSet(Value):
    """One of several objects (a join of different objects)."""

    ids: frozenset


@dataclass(frozen=True)
class Const(Value):
    value: object


@dataclass(frozen=True)
class Snapshot(Value):
    """The value of `m.training`: the modes `m` had when it was read."""

    obj: int
    modes: frozenset


@dataclass(frozen=True)
class Func(Value):
    node: cst.FunctionDef
    cls: Optional["ClassInfo"] = None
    self_obj: Optional[int] = None  # bound method
    qual: str = ""


@dataclass(frozen=True)
class ClassRef(Value):
    cls: "ClassInfo"


@dataclass(frozen=True)
class Ext(Value):
    """A name from outside the file, by qualified name (`torch.no_grad`, `resnet18`)."""

    qualname: str


@dataclass(frozen=True)
class BoundExt(Value):
    """`X.method` where X is an object: a method we may know (`model.eval`)."""

    obj: int
    method: str


@dataclass(frozen=True)
class Members(Value):
    """An element of `X.modules()` / `X.parameters()` (the loop variable of such a loop)."""

    obj: int
    kind: str  # "modules" or "params"
    expr: str = ""  # the module's expression (`encoder` in `encoder.parameters()`)


@dataclass(frozen=True)
class TupleValue(Value):
    """A tuple, list or set known item by item; a dict literal with constant keys keeps
    them in `keys` (`nets = {"G": G, "D": D}`; `nets["G"]`, `nets.values()`)."""

    items: tuple
    keys: Optional[tuple] = None
    is_dict: bool = False  # a dict literal (iterating it gives its keys, not `items`)


@dataclass(frozen=True)
class GradCtx(Value):
    """A grad-mode context manager class or instance held in a variable."""

    kind: str  # ON / OFF / UNKNOWN
    called: bool


@dataclass(frozen=True)
class Forwarded(Value):
    """The result of a forward pass (kept for `outputs.loss`-style taint; not needed here)."""

    node: cst.Call


def join_values(a: Value, b: Value) -> Value:
    if a == b:
        return a
    # `self.ema = ModelEMA(model) if use_ema else None`: None has no methods, so wherever
    # the value is used as a module it is the object
    if b == _NONE and isinstance(a, (Obj, ObjSet)):
        return a
    if a == _NONE and isinstance(b, (Obj, ObjSet)):
        return b
    ids = set()
    for v in (a, b):
        if isinstance(v, Obj):
            ids.add(v.id)
        elif isinstance(v, ObjSet):
            ids |= v.ids
        else:
            return UNKNOWN_VALUE
    return ObjSet(frozenset(ids))


_NONE = Const(None)


def object_ids(v: Value) -> tuple[int, ...]:
    if isinstance(v, Obj):
        return (v.id,)
    if isinstance(v, ObjSet):
        return tuple(sorted(v.ids))
    return ()


# ---------------------------------------------------------------------------------
# Objects


@dataclass(eq=False)
class ClassInfo:
    """A class defined in this file."""

    name: str
    node: cst.ClassDef
    bases: list[str]
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    is_module: bool = False
    is_lightning: bool = False
    #: "module", "driver" (uses models: trainers, predictors), or "ambiguous" (an unknown
    #: base class that may well be nn.Module: its own `self.x(...)` calls count as internal)
    kind: str = "driver"
    traits_done: bool = False
    sensitive: Optional[bool] = None
    has_bn: Optional[bool] = None
    base_classes: list["ClassInfo"] = field(default_factory=list)
    #: attributes whose parameters a method updates in place from another's (momentum
    #: encoders: `for q, k in zip(self.encoder_q.parameters(), self.encoder_k.parameters())`)
    moving_attrs: frozenset = frozenset()

    def find_method(self, name: str) -> Optional[tuple["ClassInfo", cst.FunctionDef]]:
        if name in self.methods:
            return self, self.methods[name]
        for base in self.base_classes:
            found = base.find_method(name)
            if found:
                return found
        return None


MODULE = "module"  # known nn.Module
OPAQUE = "opaque"  # unknown object: a module only if it shows module evidence
INSTANCE = "instance"  # instance of a non-module class of this file
OPTIMIZER = "optimizer"
OTHER = "other"  # known not to be a module
LOSS = "loss"  # a loss module: never an inference forward


@dataclass(eq=False)
class ObjInfo:
    id: int
    kind: str
    name: str  # how the code first referred to it, for messages
    node: Optional[cst.CSTNode]
    initial: frozenset  # modes on creation
    cls: Optional[ClassInfo] = None
    ext_class: str = ""  # qualified name of an external class/builder
    sensitive: Optional[bool] = None  # contains mode-sensitive layers
    has_bn: Optional[bool] = None
    parent: Optional[int] = None  # for `x.attr` children created on access
    attr: str = ""
    children: dict[str, int] = field(default_factory=dict)
    contains: set[int] = field(default_factory=set)  # modules held as children (containment)
    evidence: bool = False  # proved to be an nn.Module by how it is used
    optimized: Optional[cst.CSTNode] = None  # its parameters go to an optimizer here
    optimized_whole: bool = False
    bn_safe: Optional[str] = None  # why its BatchNorm layers cannot drift (FrozenBatchNorm, ...)
    managed: bool = False  # a framework object that manages mode and grad itself
    moving: bool = False  # its parameters are updated in place from another module's (EMA/momentum copy)

    @property
    def is_module_like(self) -> bool:
        return self.kind == MODULE or (self.kind == OPAQUE and self.evidence)


# ---------------------------------------------------------------------------------
# State


@dataclass
class State:
    """The abstract state at a program point (mutable; copied at branches)."""

    env: dict[str, Value]  # the current function's locals
    genv: dict[str, Value]  # module globals
    attrs: dict[tuple[int, str], Value]  # x.attr = value, per object
    modes: dict[int, frozenset]  # explicit modes per object; children inherit otherwise
    frozen: dict[int, frozenset]  # FreezeFacts per object
    grad: frozenset  # GradFacts

    def copy(self) -> "State":
        return State(dict(self.env), dict(self.genv), dict(self.attrs), dict(self.modes), dict(self.frozen), self.grad)

    def same_as(self, other: "State") -> bool:
        return (
            self.grad == other.grad
            and self.modes == other.modes
            and self.env == other.env
            and self.genv == other.genv
            and self.attrs == other.attrs
            and self.frozen == other.frozen
        )


def _join_dicts(a: dict, b: dict, join) -> dict:
    out = dict(a)
    for k, v in b.items():
        if k in out:
            if out[k] is not v and out[k] != v:
                out[k] = join(out[k], v)
        else:
            out[k] = v
    return out
