"""One walk over the whole tree that indexes what the interpreter and the syntactic
rules need: imports, classes (and whether each is an nn.Module, what layers it builds),
functions, which names are called, and the purely syntactic candidates (bare
`model.eval` statements, `with torch.no_grad:`, functional dropout calls,
`Variable(..., volatile=True)`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Union

import libcst as cst

from evalguard.analysis import knowledge as K
from evalguard.analysis.names import ImportTable, code_of, dotted
from evalguard.analysis.walk import children, prune_scopes, walk
from evalguard.analysis.values import ClassInfo

FunctionNode = cst.FunctionDef
Scope = Union[cst.Module, cst.FunctionDef]

_MODULE_BASE_SUFFIX = re.compile(
    r"(Module|Model|Net|Network|Layer|Block|Encoder|Decoder|Head|Backbone|Classifier|Regressor|Wrapper|Mixin)$"
)
_LIGHTNING = re.compile(r"(^|\.)(LightningModule)$")

DROPOUT_FUNCS = {
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
}
SDPA = "scaled_dot_product_attention"


@dataclass
class DropoutCall:
    node: cst.Call
    func: str  # dropout, dropout2d, ..., scaled_dot_product_attention
    function: Optional[FunctionNode]
    cls: Optional[ClassInfo]
    guards: tuple[cst.BaseExpression, ...]  # tests of enclosing `if`s (true branch only)


@dataclass
class FileIndex:
    imports: ImportTable = field(default_factory=ImportTable)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    class_of_function: dict[FunctionNode, ClassInfo] = field(default_factory=dict)
    functions: dict[str, FunctionNode] = field(default_factory=dict)  # module-level functions
    all_functions: list[FunctionNode] = field(default_factory=list)
    parent_function: dict[FunctionNode, Optional[FunctionNode]] = field(default_factory=dict)
    called_names: set[str] = field(default_factory=set)
    bare_mode_attrs: list[cst.Attribute] = field(default_factory=list)
    bare_grad_contexts: list[tuple[cst.WithItem, str]] = field(default_factory=list)
    dropout_calls: list[DropoutCall] = field(default_factory=list)
    volatile_calls: list[cst.Call] = field(default_factory=list)
    #: `self.train()` inside a method of a class (kept with the class and method name)
    self_train_calls: list[tuple[cst.Call, ClassInfo, str]] = field(default_factory=list)
    has_optimizer_step: bool = False
    #: functions whose body (or a nested function's) has a call that may matter
    relevant: set[FunctionNode] = field(default_factory=set)

    def qualify(self, node: cst.BaseExpression) -> Optional[str]:
        name = dotted(node)
        return self.imports.qualify(name) if name else None


class _Indexer:
    """One recursive pass with the class / function / `if` context each node needs."""

    def __init__(self) -> None:
        self.index = FileIndex()
        self.calls: list[tuple[cst.Call, Optional[ClassInfo], Optional[FunctionNode], tuple]] = []
        self.with_items: list[cst.WithItem] = []

    def run(self, module: cst.Module) -> FileIndex:
        self.visit(module, None, None, ())
        self.method_names = {m for c in self.index.classes.values() for m in c.methods}
        for item in self.with_items:
            qual = self.index.qualify(item.item)
            if qual in K.GRAD_CONTEXT_CLASSES:
                self.index.bare_grad_contexts.append((item, qual))
        for call, cls, func, guards in self.calls:
            self._call(call, cls, func, guards)
        return self.index

    def visit(self, node: cst.CSTNode, cls: Optional[ClassInfo], func: Optional[FunctionNode], guards: tuple) -> None:
        idx = self.index
        kind = type(node)  # exact-type tests: isinstance against libcst's ABCs is slow on misses
        if kind is cst.ClassDef:
            bases = [dotted(arg.value) or "" for arg in node.bases if arg.keyword is None]
            info = ClassInfo(node.name.value, node, bases)
            if cls is None and func is None:
                idx.classes.setdefault(info.name, info)
            for child in children(node):
                self.visit(child, info, None, ())
            return
        if kind is cst.FunctionDef:
            idx.all_functions.append(node)
            idx.parent_function[node] = func
            if cls is not None and func is None:
                cls.methods.setdefault(node.name.value, node)
                idx.class_of_function[node] = cls
            elif cls is None and func is None:
                idx.functions.setdefault(node.name.value, node)
            for child in children(node):
                self.visit(child, cls, node, ())
            return
        if kind is cst.Import or kind is cst.ImportFrom:
            idx.imports.add(node)
            return
        if kind is cst.If:
            self.visit(node.test, cls, func, guards)
            self.visit(node.body, cls, func, guards + (node.test,))
            if node.orelse is not None:
                self.visit(node.orelse, cls, func, guards)
            return
        if kind is cst.Expr:
            value = node.value
            if isinstance(value, cst.Attribute) and value.attr.value in ("eval", "train"):
                idx.bare_mode_attrs.append(value)
        elif kind is cst.WithItem:
            if isinstance(node.item, (cst.Name, cst.Attribute)):
                self.with_items.append(node)
        elif kind is cst.Call:
            self.calls.append((node, cls, func, guards))
        for child in children(node):
            self.visit(child, cls, func, guards)

    def _call(self, node: cst.Call, cls: Optional[ClassInfo], function: Optional[FunctionNode], guards: tuple) -> None:
        idx = self.index
        func = node.func
        if function is not None and function not in idx.relevant and (
                self._relevant_call(func) or _submodule_call_in_training_step(func, cls, function)):
            cur: Optional[FunctionNode] = function
            while cur is not None and cur not in idx.relevant:
                idx.relevant.add(cur)
                cur = idx.parent_function.get(cur)
        if (isinstance(func, cst.Attribute) and func.attr.value == "train" and isinstance(func.value, cst.Name)
                and func.value.value == "self" and cls is not None and function is not None
                and (not node.args or constant(node.args[0].value) is True)):
            idx.self_train_calls.append((node, cls, function.name.value))
        if isinstance(func, cst.Name):
            idx.called_names.add(func.value)
            if func.value == "zip" and cls is not None:
                cls.moving_attrs = cls.moving_attrs | frozenset(_zipped_self_parameters(node))
        elif isinstance(func, cst.Attribute):
            idx.called_names.add(func.attr.value)
            if func.attr.value == "step":
                recv = dotted(func.value) or ""
                if re.search(r"(opt|scaler|accelerator)", recv, re.I):
                    idx.has_optimizer_step = True
        qual = idx.qualify(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if qual is None:
            return
        last = qual.rsplit(".", 1)[-1]
        if qual.startswith("torch.nn.functional.") and (last in DROPOUT_FUNCS or last == SDPA):
            idx.dropout_calls.append(DropoutCall(node, last, function, cls, guards))
        elif qual in ("torch.autograd.Variable", "torch.autograd.variable.Variable", "torch.Variable"):
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "volatile":
                    if not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None")):
                        idx.volatile_calls.append(node)


    def _relevant_call(self, func: cst.BaseExpression) -> bool:
        """Could this call matter to mode or grad analysis? (Calls into this file, into
        the libraries that build models, or of module methods such as `.eval()`.)"""
        if isinstance(func, cst.Attribute) and (func.attr.value in _RELEVANT_METHODS
                                                or func.attr.value in self.method_names):
            return True
        name = dotted(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if name is None:
            return False
        head = name.split(".")[0]
        if head in self.index.functions or head in self.index.classes:
            return True
        qual = self.index.imports.qualify(name)
        return qual is not None and qual.split(".")[0] not in _IRRELEVANT_PACKAGES


def _submodule_call_in_training_step(func: cst.BaseExpression, cls, function) -> bool:
    """`self.model(**batch)` in a `training_step` (a Lightning module's, once resolved)."""
    if cls is None or function.name.value != "training_step":
        return False
    target = func.value if isinstance(func, cst.Attribute) else func
    return isinstance(target, cst.Name) and target.value == "self"


#: method names that touch a module's mode, gradients or training (a function without
#: any of these, without calls into this file and without model-library calls cannot
#: produce a finding of the flow rules, so it is not interpreted on its own)
_RELEVANT_METHODS = {
    "eval", "train", "forward", "predict", "predict_proba", "generate", "backward", "step", "parameters",
    "named_parameters", "requires_grad_", "apply", "load_state_dict", "modules", "named_modules", "children",
    "named_children", "set_training_mode", "freeze", "unfreeze", "from_pretrained", "from_config",
    "load_from_checkpoint", "manual_backward",
}
_IRRELEVANT_PACKAGES = {
    "os", "sys", "re", "json", "math", "time", "logging", "warnings", "typing", "collections", "itertools",
    "functools", "pathlib", "argparse", "dataclasses", "abc", "enum", "copy", "random", "string", "shutil",
    "subprocess", "inspect", "contextlib", "numpy", "np", "pandas", "pd", "io", "pickle", "glob", "tqdm",
    "datetime", "textwrap", "operator", "hashlib", "uuid", "tempfile", "threading", "multiprocessing",
}


def build_index(module: cst.Module) -> FileIndex:
    index = _Indexer().run(module)
    _resolve_classes(index)
    return index


# ---------------------------------------------------------------------------------
# Classes: which are nn.Modules, and what they contain


def _resolve_classes(index: FileIndex) -> None:
    for info in index.classes.values():
        info.base_classes = [index.classes[b] for b in info.bases if b in index.classes and index.classes[b] is not info]
    for info in index.classes.values():
        info.is_module = _is_module_class(info, index, set()) or _has_module_evidence(info, index)
        info.is_lightning = _is_lightning(info, index, set())
    for info in index.classes.values():
        info.kind = "module" if info.is_module else _driver_or_ambiguous(info, index)
    for info in index.classes.values():
        if info.is_module:
            info.sensitive, info.has_bn = _class_traits(info, index, set())


def _is_module_class(info: ClassInfo, index: FileIndex, seen: set[str]) -> bool:
    if info.name in seen:
        return False
    seen.add(info.name)
    for base in info.bases:
        if base in index.classes:
            if _is_module_class(index.classes[base], index, seen):
                return True
            continue
        qual = index.imports.qualify(base) or base
        if qual.startswith(("torch.nn.", "torch.jit.ScriptModule")) or _LIGHTNING.search(qual):
            return True
        if K.is_hf_model_class(qual) or qual.endswith(("PreTrainedModel", "ModelMixin")):
            return True
        last = qual.rsplit(".", 1)[-1]
        if base not in index.classes and _MODULE_BASE_SUFFIX.search(last) and "forward" in info.methods:
            return True
    return "forward" in info.methods and any(b for b in info.bases)


_SELF_MODULE_METHODS = {"parameters", "named_parameters", "register_buffer", "register_module", "add_module",
                       "register_parameter", "modules", "children", "named_modules", "buffers"}


def zipped_parameter_owners(node: cst.Call) -> list[cst.BaseExpression]:
    """`a`, `b` of `zip(a.parameters(), b.parameters())`: two modules' parameters walked
    together, a momentum/EMA update (empty when fewer than two)."""
    owners = [arg.value.func.value for arg in node.args
              if isinstance(arg.value, cst.Call) and isinstance(arg.value.func, cst.Attribute)
              and arg.value.func.attr.value in ("parameters", "named_parameters")]
    return owners if len(owners) >= 2 else []


def _zipped_self_parameters(node: cst.Call) -> list[str]:
    """`A`, `B` of `zip(self.A.parameters(), self.B.parameters())`."""
    names = [o.attr.value for o in zipped_parameter_owners(node) if isinstance(o, cst.Attribute) and _is_self(o.value)]
    return names if len(names) >= 2 else []


def _class_body_nodes(info: ClassInfo):
    """Every node of the class body, not descending into nested classes."""
    body = info.node.body
    for stmt in body.body if isinstance(body, cst.IndentedBlock) else ():
        yield from walk(stmt, prune=lambda n: type(n) is cst.ClassDef)


def _is_self(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "self"


def _has_module_evidence(info: ClassInfo, index: FileIndex) -> bool:
    """Signs inside a class body that it is an nn.Module whatever its (unknown) base:
    `self.training`, `self.parameters()`, `self.register_buffer(...)`, or torch.nn layers
    assigned to `self` attributes."""
    if info.bases and all((index.imports.qualify(b) or b).startswith(K.NON_MODULE_BASES) for b in info.bases):
        return False
    own = set(info.methods)
    for node in _class_body_nodes(info):
        kind = type(node)
        if kind is cst.Attribute:
            if node.attr.value == "training" and _is_self(node.value):
                return True
        elif kind is cst.Call:
            func = node.func
            if isinstance(func, cst.Attribute) and _is_self(func.value):
                name = func.attr.value
                if name in _SELF_MODULE_METHODS or (name in ("eval", "train") and name not in own):
                    return True
        elif kind is cst.Assign:
            value = node.value
            if not isinstance(value, cst.Call) or not isinstance(value.func, (cst.Name, cst.Attribute)):
                continue
            if any(isinstance(t.target, cst.Attribute) and _is_self(t.target.value) for t in node.targets):
                cls = K.nn_class(index.qualify(value.func) or "")
                if cls is not None and K.is_leaf_layer(cls):
                    return True
    return False


def _driver_or_ambiguous(info: ClassInfo, index: FileIndex) -> str:
    """A class that is not known to be a module: a driver of models (trainer, predictor,
    agent) unless it derives from an unknown base that may be a module."""
    if K.DRIVER_CLASS.search(info.name):
        return "driver"
    externals = [index.imports.qualify(b) or b for b in info.bases if b not in index.classes]
    internal = [index.classes[b] for b in info.bases if b in index.classes]
    if any(c.kind == "ambiguous" for c in internal if c is not info):
        return "ambiguous"
    for qual in externals:
        if qual.startswith(K.NON_MODULE_BASES) or K.DRIVER_CLASS.search(qual.rsplit(".", 1)[-1]):
            continue
        return "ambiguous"
    return "driver"


def _is_lightning(info: ClassInfo, index: FileIndex, seen: set[str]) -> bool:
    if info.name in seen:
        return False
    seen.add(info.name)
    for base in info.bases:
        if base in index.classes:
            if _is_lightning(index.classes[base], index, seen):
                return True
            continue
        qual = index.imports.qualify(base) or base
        if _LIGHTNING.search(qual):
            return True
    return False


def _merge(a: Optional[bool], b: Optional[bool]) -> Optional[bool]:
    """Or over three values: True wins, then unknown (None), then False."""
    if a or b:
        return True
    if a is None or b is None:
        return None
    return False


def _scan_traits(info: ClassInfo, index: FileIndex, seen: set[str]) -> tuple[Optional[bool], Optional[bool]]:
    """The layers a class builds: (mode-sensitive?, BatchNorm?)."""
    sensitive: Optional[bool] = False
    has_bn: Optional[bool] = False
    for node in _class_body_nodes(info):
        kind = type(node)
        if kind is cst.Attribute:
            if node.attr.value == "training" and _is_self(node.value):
                sensitive = True
            continue
        if kind is not cst.Call:
            continue
        name = dotted(node.func) if isinstance(node.func, (cst.Name, cst.Attribute)) else None
        if not name:
            continue
        if name in index.classes:
            other = index.classes[name]
            if other.is_module:
                s, b = _class_traits(other, index, seen)
                sensitive, has_bn = _merge(sensitive, s), _merge(has_bn, b)
            continue
        qual = index.imports.qualify(name)
        if qual:
            s, b = call_traits(qual, node)
            sensitive, has_bn = _merge(sensitive, s), _merge(has_bn, b)
    return sensitive, has_bn


def constant(node: cst.BaseExpression) -> object:
    """The value of a literal (numbers, True/False/None, strings), else a sentinel."""
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.SimpleString):
        try:
            return node.evaluated_value
        except Exception:  # pragma: no cover - defensive
            return NOT_CONSTANT
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        inner = constant(node.expression)
        return NOT_CONSTANT if inner is NOT_CONSTANT else (not inner)
    return NOT_CONSTANT


class _NotConstant:
    def __repr__(self) -> str:
        return "NOT_CONSTANT"


NOT_CONSTANT = _NotConstant()


def call_traits(qual: str, node: cst.Call) -> tuple[Optional[bool], Optional[bool]]:
    """(mode-sensitive?, has BatchNorm?) of what an external constructor call builds."""
    cls = K.nn_class(qual)
    if cls is not None:
        kwargs = {a.keyword.value: _const_or_none(a.value) for a in node.args if a.keyword is not None}
        positional = sum(1 for a in node.args if a.keyword is None)
        if cls in ("GRU", "LSTM", "RNN") and positional >= 6 and "dropout" not in kwargs:
            kwargs["dropout"] = _const_or_none(node.args[5].value)
        if K.is_container(cls):
            return False, False  # its children are scanned as calls of their own
        return K.nn_traits(cls, kwargs, positional)
    builder = K.torchvision_builder(qual)
    if builder is not None:
        norm = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "norm_layer"), None)
        if norm is not None:  # resnet50(norm_layer=FrozenBatchNorm2d) / nn.GroupNorm ...
            text = code_of(norm, 200)
            return True, ("BatchNorm" in text and "Frozen" not in text)
        return True, K.torchvision_has_bn(builder)
    if qual in ("timm.create_model", "timm.models.create_model"):
        name = _const_or_none(node.args[0].value) if node.args and node.args[0].keyword is None else None
        has_bn = K.timm_has_bn(name if isinstance(name, str) else None)
        return (True if has_bn else None), has_bn
    if qual.endswith((".from_pretrained", ".from_config")) or K.is_hf_model_class(qual):
        return True, False
    if qual.startswith("torch.nn.functional.") and qual.rsplit(".", 1)[-1] in DROPOUT_FUNCS:
        return True, False
    return False, False


def _const_or_none(node: cst.BaseExpression) -> object:
    value = constant(node)
    return None if value is NOT_CONSTANT else value


def _class_traits(info: ClassInfo, index: FileIndex, seen: set[str]) -> tuple[Optional[bool], Optional[bool]]:
    """Memoised per class (`info.traits_done`); `seen` breaks cycles."""
    if info.traits_done or info.name in seen:
        return info.sensitive, info.has_bn
    seen.add(info.name)
    sensitive, has_bn = _scan_traits(info, index, seen)
    for base in info.base_classes:
        s, b = _class_traits(base, index, seen)
        sensitive, has_bn = _merge(sensitive, s), _merge(has_bn, b)
    external_bases = [b for b in info.bases if b not in index.classes]
    if any(not (index.imports.qualify(b) or b).startswith("torch.nn.") for b in external_bases):
        # an unknown base class may add layers of its own
        sensitive = True if sensitive else None
        has_bn = True if has_bn else None
    info.sensitive, info.has_bn = sensitive, has_bn
    info.traits_done = True
    return sensitive, has_bn
