"""The flow-sensitive abstract interpreter (SPEC §3).

It executes the module body, then every function nobody in the file calls, over the
abstract domain of `values.py`: branches are joined, loops iterated to a fixpoint (so
the second epoch sees what the first left), `with` blocks scope grad mode, and calls
to functions, methods and classes of the same file are followed into their bodies
with the caller's objects, grad mode and constant arguments (so a caller's `no_grad`
covers the callee, a callee's `.eval()` is seen by the caller, `model.train(flag)`
with `flag=False` is `eval()`). Every forward pass it meets is recorded as an event.

Precision comes first: whatever it cannot see (calls into other files, variable
modes) becomes "unknown", and unknown never produces a finding.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Optional

import libcst as cst

from evalguard.analysis import knowledge as K
from evalguard.analysis import usage as U
from evalguard.analysis.events import ForwardEvent, FrozenPart, Visit
from evalguard.analysis.heap import Heap
from evalguard.analysis.index import NOT_CONSTANT, FileIndex, constant, zipped_parameter_owners
from evalguard.analysis.names import code_of, dotted, source_of
from evalguard.analysis.walk import children, contains, is_a, prune_scopes, walk
from evalguard.analysis.values import (
    EVAL,
    FRESH,
    INSTANCE,
    LOSS,
    MODULE,
    OFF,
    ON,
    OPAQUE,
    OPTIMIZER,
    OTHER,
    TRAIN,
    UNKNOWN,
    UNKNOWN_VALUE,
    ClassInfo,
    ClassRef,
    Const,
    Ext,
    FreezeFact,
    Func,
    GradCtx,
    GradFact,
    Members,
    ModeFact,
    Obj,
    ObjSet,
    Snapshot,
    State,
    TupleValue,
    Value,
    describe,
    join_values,
    object_ids,
)

#: class methods that build an instance of a module class without running its __init__ here
_CLASS_LOADERS = {"load_from_checkpoint", "from_pretrained"}
MAX_DEPTH = 10  # nested calls followed into bodies
MAX_INLINES = 60  # times one function's body is followed per file (calling contexts, loop rounds)
MAX_LOOP_ROUNDS = 5
MAX_STEPS = 400_000  # statements executed per file before giving up (precision: give up silently)
VOLATILE = Ext("<Variable(volatile=True)>")


class BudgetExceeded(Exception):
    """The file is too large or too branchy for the interpreter's budget."""


@dataclass(frozen=True)
class SuperRef(Value):
    obj: int
    cls: Optional[ClassInfo]


@dataclass
class Frame:
    func: Optional[cst.FunctionDef]
    call: Optional[cst.CSTNode]
    cls: Optional[ClassInfo] = None
    self_obj: Optional[int] = None
    outer: Optional[dict] = None
    globals_: set[str] = field(default_factory=set)
    ifs: list[cst.If] = field(default_factory=list)
    loops: list[cst.CSTNode] = field(default_factory=list)
    iters: list[cst.BaseExpression] = field(default_factory=list)
    stmt: Optional[cst.CSTNode] = None
    returns: list[tuple[State, Value]] = field(default_factory=list)
    breaks: list[list[State]] = field(default_factory=list)
    continues: list[list[State]] = field(default_factory=list)
    mode_call: Optional[cst.CSTNode] = None  # inside an inlined train()/set_training_mode(): report here
    yields: Optional[list[State]] = None  # a @contextmanager entered by `with`: the states at its yields


class Interpreter:
    def __init__(self, module: cst.Module, index: FileIndex, settings=None) -> None:
        self.module = module
        self.index = index
        self.settings = settings  # configured inference names and model constructors (or None)
        self.heap = Heap()
        self.frames: list[Frame] = []
        self.events: dict[cst.Call, ForwardEvent] = {}
        self.visited: set[cst.FunctionDef] = set()
        self.usages: dict[object, U.ScopeUsage] = {}
        self.steps = 0
        self.optimizers_seen = False
        self.outer_envs: dict[cst.FunctionDef, dict] = {}
        self.inlined: dict[cst.FunctionDef, int] = {}
        self.constants: dict[cst.CSTNode, Value] = {}
        self.scans: dict[cst.FunctionDef, _MethodScan] = {}

    # ==================================================================================
    # entry points

    def run(self) -> None:
        state = State({}, {}, {}, {}, {}, frozenset({GradFact(ON, None, True)}))
        self.frames.append(Frame(None, None))
        end = self.exec_block(self.module.body, state)
        self.frames.pop()
        # functions no analysed code calls run after the module has been imported: globals
        # keep the modes and attributes the module level gave them (`model.eval()` at import
        # time, then a web route that uses `model`)
        module_end = end or state
        called = self.index.called_names
        for func in self._roots(lambda f: f.name.value not in called):
            self.run_root(func, module_end)
        for func in self._roots(lambda f: True):
            self.run_root(func, module_end)

    def _roots(self, keep: Callable[[cst.FunctionDef], bool]) -> list[cst.FunctionDef]:
        out = []
        for func in self.index.all_functions:
            if func in self.visited or self.index.parent_function.get(func) is not None:
                continue
            if func not in self.index.relevant:
                continue  # nothing in it can change a mode, disable grads or run a model
            if keep(func):
                out.append(func)
        return out

    def run_root(self, func: cst.FunctionDef, module_end: State) -> None:
        """A function no analysed code calls: parameters are unknown objects and the
        grad mode is the default, but only weakly so (its callers may be elsewhere)."""
        if func in self.visited:
            return
        # the default grad mode is only a guess for a helper (its callers may disable grads);
        # a web route or CLI command is called by its framework with autograd on
        state = State({}, dict(module_end.genv), dict(module_end.attrs), dict(module_end.modes), dict(module_end.frozen),
                      frozenset({GradFact(ON, None, K.is_entry_point(func))}))
        cls = self.index.class_of_function.get(func)
        self_obj = None
        if cls is not None:
            kind = MODULE if cls.is_module else INSTANCE
            self_obj = self.heap.new(
                ("self", cls.node), kind, "self", cls.node, frozenset({ModeFact(UNKNOWN, None, "self")}),
                cls=cls, sensitive=cls.sensitive, has_bn=cls.has_bn,
            )
            if (not cls.is_module or _lightning_training_step(func, cls)) and func.name.value != "__init__":
                init = cls.find_method("__init__")
                if init is not None:
                    self.frames.append(Frame(None, None))
                    out = self.invoke(Func(init[1], init[0], self_obj), self._root_params(init[1]), {}, None, state)
                    self.frames.pop()
                    state = out[0] or state
                    state.env = {}
                    if any(self._scan(m).mode_change for name, m in cls.methods.items()
                           if m is not func and name != "__init__"):
                        self._forget_fresh_modes(self_obj, state)
        args = self._root_params(func)
        self.frames.append(Frame(None, None))
        self.invoke(Func(func, cls, self_obj), args, {}, None, state)
        self.frames.pop()

    def _forget_fresh_modes(self, self_obj: int, state: State) -> None:
        """A method called from outside may run after another method that changed the
        mode of `self.model` (`fit()` ending in `eval()`, before `predict()`): the
        training mode `__init__` left is then only one possibility, so it is unknown."""
        for (oid, _attr), value in list(state.attrs.items()):
            if oid != self_obj:
                continue
            for obj in object_ids(value):
                modes = self.heap.mode(state, obj)
                if any(f.kind == FRESH for f in modes):
                    self.heap.set_mode(state, obj, frozenset(
                        ModeFact(UNKNOWN, f.node, f.what) if f.kind == FRESH else f for f in modes))

    def _root_params(self, func: cst.FunctionDef) -> list[Value]:
        out: list[Value] = []
        params = func.params
        for p in list(params.posonly_params) + list(params.params):
            name = p.name.value
            if name in ("self", "cls"):
                continue
            out.append(self._param_object(func, p))
        return out

    def _param_object(self, func: cst.FunctionDef, p: cst.Param) -> Value:
        kind = OPAQUE
        if p.annotation is not None:
            ann = self.index.qualify(p.annotation.annotation) or dotted(p.annotation.annotation) or ""
            if ann.startswith("torch.nn") and ann.endswith("Module"):
                kind = MODULE
            elif ann and ann.split(".")[-1] in self.index.classes and self.index.classes[ann.split(".")[-1]].is_module:
                kind = MODULE
        oid = self.heap.new(("param", func, p.name.value), kind, p.name.value, p,
                            frozenset({ModeFact(UNKNOWN, None, p.name.value)}))
        return Obj(oid)

    # ==================================================================================
    # helpers

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def call_stack(self) -> tuple[cst.CSTNode, ...]:
        return tuple(f.call for f in self.frames if f.call is not None)

    def loop_stack(self) -> tuple[cst.CSTNode, ...]:
        out: list[cst.CSTNode] = []
        for f in self.frames:
            out.extend(f.loops)
        return tuple(out)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise BudgetExceeded()

    def scope_usage(self, scope: Optional[cst.CSTNode] = None) -> U.ScopeUsage:
        scope = scope or self.frame.func or self.module
        found = self.usages.get(scope)
        if found is None:
            found = self.usages[scope] = U.ScopeUsage(scope, self.index.has_optimizer_step)
        return found

    def mode_fact(self, kind: str, node: cst.CSTNode, what: str = "", **extra) -> ModeFact:
        for f in self.frames:
            if f.mode_call is not None:
                node, what = f.mode_call, ""
                break
        return ModeFact(kind, node, what, self.call_stack(), self.loop_stack(), **extra)

    # names ------------------------------------------------------------------------------
    def lookup(self, name: str, state: State) -> Value:
        frame = self.frame
        if frame.func is not None and name not in frame.globals_:
            if name in state.env:
                return state.env[name]
            if frame.outer is not None and name in frame.outer:
                return frame.outer[name]
        if name in state.genv:
            return state.genv[name]
        if name in ("True", "False", "None"):
            return Const({"True": True, "False": False, "None": None}[name])
        if name in self.index.functions:
            return Func(self.index.functions[name])
        if name in self.index.classes:
            return ClassRef(self.index.classes[name])
        qual = self.index.imports.qualify(name)
        if qual is not None:
            return Ext(qual)
        return Ext(name)  # a builtin (print, len, super, ...) or an unknown global

    def bind(self, name: str, value: Value, state: State) -> None:
        frame = self.frame
        if frame.func is None or name in frame.globals_:
            state.genv[name] = value
        else:
            state.env[name] = value

    def assign(self, target: cst.BaseExpression, value: Value, state: State) -> None:
        if isinstance(target, cst.Name):
            self.bind(target.value, value, state)
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = value.items if isinstance(value, TupleValue) and len(value.items) == len(target.elements) else None
            for i, el in enumerate(target.elements):
                sub = items[i] if items is not None else self._element_value(value)
                self.assign(el.value if not isinstance(el, cst.StarredElement) else el.value, sub, state)
        elif isinstance(target, cst.Attribute):
            base = self.eval(target.value, state)
            if isinstance(base, Members):
                self._member_assignment(base, target.attr.value, value, state)
            for oid in object_ids(base):
                state.attrs[(oid, target.attr.value)] = value
                if self.heap.objects[oid].kind in (MODULE, OPAQUE) or self._is_module_instance(oid):
                    for child in object_ids(value):
                        if self.heap.objects[child].kind in (MODULE, OPAQUE):
                            self.heap.contain(oid, child, target.attr.value)
                self._attr_assignment_effect(oid, target.attr.value, value, state, target)
        elif isinstance(target, cst.Subscript):
            base = self.eval(target.value, state)
            index = self._subscript_index(target, state)
            if isinstance(base, TupleValue) and isinstance(target.value, cst.Name):
                key = index.value if isinstance(index, Const) else NOT_CONSTANT
                self.bind(target.value.value, _with_item(base, key, value), state)
            for oid in object_ids(base):
                for child in object_ids(value):
                    if self.heap.objects[child].is_module_like and self.heap.objects[oid].is_module_like:
                        self.heap.contain(oid, child)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, UNKNOWN_VALUE, state)

    def _subscript_index(self, node: cst.Subscript, state: State) -> Value:
        """Evaluates the subscript's slices; the value of a single index `x[i]` (unknown
        for `x[a:b]` and `x[i, j]`)."""
        index: Value = UNKNOWN_VALUE
        for el in node.slice:
            if isinstance(el.slice, cst.Index):
                index = self.eval(el.slice.value, state)
            else:
                self.eval_children(el.slice, state)
        return index if len(node.slice) == 1 else UNKNOWN_VALUE

    @staticmethod
    def _element_value(value: Value) -> Value:
        if isinstance(value, Members):
            return value
        return UNKNOWN_VALUE

    def _is_module_instance(self, oid: int) -> bool:
        cls = self.heap.objects[oid].cls
        return cls is not None and cls.is_module

    def _attr_assignment_effect(self, oid: int, attr: str, value: Value, state: State, node: cst.CSTNode) -> None:
        """`model.bn1 = FrozenBatchNorm2d(...)`, `bn.track_running_stats = False`."""
        stmt = self.frame.stmt or node
        if (attr == "track_running_stats" and isinstance(value, Const) and value.value is False) or \
                (attr == "momentum" and isinstance(value, Const) and value.value == 0):
            self.heap.objects[oid].bn_safe = f"`{code_of(stmt)}`"
        for vid in object_ids(value):
            if "FrozenBatchNorm" in self.heap.objects[vid].ext_class:
                self.heap.objects[oid].bn_safe = f"`{code_of(stmt)}`"
        if any(self.heap.objects[v].is_module_like and not state.frozen.get(v) for v in object_ids(value)):
            # `model.fc = nn.Linear(...)` after freezing `model`: a trainable new head, so
            # the model is no longer frozen as a whole (its forward builds a graph)
            for holder in (oid, *self.heap.ancestors(oid)):
                facts = state.frozen.get(holder)
                if facts and any(not f.partial for f in facts):
                    state.frozen[holder] = frozenset(dataclasses.replace(f, partial=True) for f in facts)

    def _member_assignment(self, members: Members, attr: str, value: Value, state: State) -> None:
        """`p.requires_grad = False` for p in model.parameters(); `m.training = False` /
        `m.track_running_stats = False` for m in model.modules()."""
        stmt = self.frame.stmt
        const = value.value if isinstance(value, Const) else NOT_CONSTANT
        if attr == "requires_grad" and const is False:
            self.heap.freeze(state, members.obj, FreezeFact(stmt, code_of(stmt), bool(self._member_guards()), members.expr))
        elif (attr == "track_running_stats" and const is False) or (attr == "momentum" and const == 0):
            self.heap.objects[members.obj].bn_safe = f"`{code_of(stmt)}`"
        elif attr == "training" and const is False and members.kind == "modules":
            self._member_mode(members, stmt, state)
        for vid in object_ids(value):
            if "FrozenBatchNorm" in self.heap.objects[vid].ext_class:
                self.heap.objects[members.obj].bn_safe = f"`{code_of(stmt)}`"

    def _member_guards(self) -> list[cst.If]:
        """The `if`s inside the innermost loop (a condition on which members it acts)."""
        frame = self.frame
        loop = frame.loops[-1] if frame.loops else None
        return [i for i in frame.ifs if loop is None or contains(loop, i)]

    def _member_mode(self, members: Members, node: cst.CSTNode, state: State) -> None:
        """`m.eval()` on the members of a model: BatchNorm layers only (under an
        isinstance/BatchNorm check), some unknown subset, or all of them."""
        guards = self._member_guards()
        oid = members.obj
        if not guards:
            self.heap.set_mode(state, oid, frozenset({self.mode_fact(EVAL, node)}))
            return
        if any("Norm" in code_of(g.test, 400) or "bn" in code_of(g.test, 400).lower() for g in guards):
            self._bn_eval(oid, node, state)
            return
        self.heap.set_mode(state, oid, frozenset({self.mode_fact(UNKNOWN, node)}), weak=True)

    def members_method(self, node: cst.Call, members: Members, method: str, args, kwargs, state: State) -> Value:
        if method in ("parameters", "named_parameters"):
            return Members(members.obj, "params", members.expr)
        if method in ("modules", "named_modules", "children", "named_children"):
            return Members(members.obj, "modules", members.expr)
        if method == "requires_grad_":
            flag = args[0] if args else kwargs.get("requires_grad", Const(True))
            if isinstance(flag, Const) and flag.value is False:
                self.heap.freeze(state, members.obj, FreezeFact(node, code_of(node), bool(self._member_guards()), members.expr))
            return members
        if method in ("eval", "train") and members.kind == "modules":
            flag = self._mode_argument(method, args, kwargs)
            if flag is False:
                self._member_mode(members, node, state)
            elif flag is not None:
                self.heap.set_mode(state, members.obj, frozenset({self.mode_fact(UNKNOWN, node)}), weak=True)
            return members
        return UNKNOWN_VALUE

    # ==================================================================================
    # statements

    def exec_block(self, body, state: Optional[State]) -> Optional[State]:
        stmts = body.body if isinstance(body, (cst.IndentedBlock, cst.Module)) else body
        if isinstance(body, cst.SimpleStatementSuite):
            stmts = [body]
        for stmt in stmts:
            if state is None:
                return None
            state = self.exec_stmt(stmt, state)
        return state

    def exec_stmt(self, stmt: cst.CSTNode, state: State) -> Optional[State]:
        self.tick()
        if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in stmt.body:
                self.frame.stmt = small
                state = self.exec_small(small, state)
                if state is None:
                    return None
            return state
        self.frame.stmt = stmt
        handler = getattr(self, f"exec_{type(stmt).__name__}", None)
        if handler is None:
            return state
        return handler(stmt, state)

    def exec_small(self, small: cst.BaseSmallStatement, state: State) -> Optional[State]:
        if isinstance(small, cst.Expr):
            self.eval(small.value, state)
        elif isinstance(small, cst.Assign):
            value = self.eval(small.value, state)
            for t in small.targets:
                self.assign(t.target, value, state)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.eval(small.value, state), state)
        elif isinstance(small, cst.AugAssign):
            self.eval(small.value, state)
            if isinstance(small.target, cst.Name):
                self.bind(small.target.value, UNKNOWN_VALUE, state)
            else:
                self.eval_children(small.target, state)
        elif isinstance(small, cst.Return):
            value = self.eval(small.value, state) if small.value is not None else Const(None)
            self.frame.returns.append((state, value))
            return None
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self.eval(small.exc, state)
            return None
        elif isinstance(small, cst.Break):
            if self.frame.breaks:
                self.frame.breaks[-1].append(state)
            return None
        elif isinstance(small, cst.Continue):
            if self.frame.continues:
                self.frame.continues[-1].append(state)
            return None
        elif isinstance(small, cst.Global):
            self.frame.globals_.update(n.name.value for n in small.names)
        elif isinstance(small, cst.Assert):
            self.eval(small.test, state)
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            self._bind_imports(small, state)
        elif isinstance(small, cst.Del):
            pass
        return state

    def _bind_imports(self, node, state: State) -> None:
        """Imports re-bind names (a local `model` is shadowed by `import model`)."""
        if isinstance(node, cst.Import):
            for alias in node.names:
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                    else (dotted(alias.name) or "").split(".")[0]
                qual = self.index.imports.qualify(local)
                if qual:
                    self.bind(local, Ext(qual), state)
        elif not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                    else (dotted(alias.name) or "")
                qual = self.index.imports.qualify(local)
                if qual:
                    self.bind(local, Ext(qual), state)

    def exec_FunctionDef(self, node: cst.FunctionDef, state: State) -> State:
        if self.frame.func is not None:
            self.outer_envs[node] = state.env
        self.bind(node.name.value, Func(node), state)
        return state

    def exec_ClassDef(self, node: cst.ClassDef, state: State) -> State:
        info = self.index.classes.get(node.name.value)
        self.bind(node.name.value, ClassRef(info) if info is not None and info.node is node else UNKNOWN_VALUE, state)
        return state

    def exec_If(self, node: cst.If, state: State) -> Optional[State]:
        if _is_main_guard(node.test):
            return self.exec_block(node.body, state)
        test = self.eval(node.test, state)
        restored = self._conditional_restore(node, test, state)
        if restored is not None:
            return restored
        if node.orelse is None and self._selects_members(node.test, state) and not _leaves_block(node.body):
            # `for m in model.modules(): if isinstance(m, nn.BatchNorm2d): m.eval()`: the
            # test picks the members the body acts on (the body's member calls record
            # which), it does not decide whether the body runs at all
            return self._exec_branch(node, node.body, state, True)
        truth = test.value if isinstance(test, Const) else None
        frame = self.frame
        if truth is not None and truth is not NOT_CONSTANT and isinstance(truth, (bool, int, str, type(None))):
            branch = node.body if truth else node.orelse
            if branch is None:
                return state
            return self._exec_branch(node, branch, state, truth)
        before = state.copy()
        body_state = self._exec_branch(node, node.body, state.copy(), True)
        else_state = self._exec_branch(node, node.orelse, state, False) if node.orelse is not None else state
        joined = self.heap.join(body_state, else_state)
        if joined is not None and body_state is not None and else_state is not None and node.orelse is not None:
            self._mark_selected(before, body_state, else_state, joined)
        return joined

    def _selects_members(self, test: cst.BaseExpression, state: State) -> bool:
        return any(isinstance(n, cst.Name) and isinstance(self.lookup(n.value, state), Members)
                   for n in walk(test, prune=lambda n: isinstance(n, cst.Lambda)))

    def _mark_selected(self, before: State, body: State, orelse: State, joined: State) -> None:
        """`if training: model.train() else: model.eval()` chooses the mode on purpose:
        the joined facts are marked so that the rules do not read it as a forgotten eval()."""
        changed = {oid for oid, v in body.modes.items() if before.modes.get(oid) is not v}
        changed &= {oid for oid, v in orelse.modes.items() if before.modes.get(oid) is not v}
        for oid in changed:
            a, b, pre = self.heap.mode(body, oid), self.heap.mode(orelse, oid), self.heap.mode(before, oid)
            if a == pre or b == pre:
                continue
            ka, kb = {f.kind for f in a}, {f.kind for f in b}
            # one branch trains, another (possibly down an elif chain) evaluates
            if (ka == {TRAIN} and EVAL in kb) or (ka == {EVAL} and TRAIN in kb):
                joined.modes[oid] = frozenset(dataclasses.replace(f, selected=True) for f in a | b)

    def _exec_branch(self, node: cst.If, branch, state: State, is_body: bool) -> Optional[State]:
        frame = self.frame
        if is_body:
            frame.ifs.append(node)
            try:
                return self.exec_block(branch.body, state)
            finally:
                frame.ifs.pop()
        if isinstance(branch, cst.If):
            return self.exec_stmt(branch, state)
        return self.exec_block(branch.body, state)

    def _conditional_restore(self, node: cst.If, test: Value, state: State) -> Optional[State]:
        """`if was_training: model.train()` after `was_training = model.training`."""
        if not isinstance(test, Snapshot) or node.orelse is not None:
            return None
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
        if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
            return None
        expr = body[0].body[0]
        if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
            return None
        call = expr.value
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "train" and not call.args):
            return None
        recv = self.eval(call.func.value, state)
        if test.obj not in object_ids(recv):
            return None
        self.heap.set_mode(state, test.obj, test.modes)
        return state

    def exec_For(self, node: cst.For, state: State) -> Optional[State]:
        iter_value = self.eval(node.iter, state)
        literal = node.iter if isinstance(node.iter, (cst.Tuple, cst.List)) else None
        if isinstance(iter_value, TupleValue) and 0 < len(iter_value.items) <= 8 and not (
                literal is not None and any(isinstance(e, cst.StarredElement) for e in literal.elements)):
            # a sequence known item by item (`for net in self.nets:`, `zip(...)`, `d.items()`):
            # each item in turn; a dict gives its keys
            if not iter_value.is_dict:
                return self._unrolled_for(node, iter_value.items, state)
            if iter_value.keys is not None:
                return self._unrolled_for(node, tuple(Const(k) for k in iter_value.keys), state)
        element = self._iteration_value(iter_value)
        return self._loop(node, state, lambda s: self.assign(node.target, element, s), node.body, node.orelse, node.iter)

    def _iteration_value(self, iter_value: Value) -> Value:
        if isinstance(iter_value, Members):
            return iter_value
        if isinstance(iter_value, TupleValue) and iter_value.is_dict:
            return UNKNOWN_VALUE  # its keys
        if isinstance(iter_value, TupleValue) and iter_value.items:
            joined = iter_value.items[0]
            for item in iter_value.items[1:]:
                joined = join_values(joined, item)
            return joined
        return UNKNOWN_VALUE

    def _unrolled_for(self, node: cst.For, items: tuple, state: State) -> Optional[State]:
        frame = self.frame
        frame.loops.append(node)
        frame.breaks.append([])
        frame.continues.append([])
        try:
            for item in items:
                self.assign(node.target, item, state)
                out = self.exec_block(node.body, state)
                state = self.heap.join_all([out, *frame.continues[-1]])
                frame.continues[-1] = []
                if state is None:
                    break
            breaks = frame.breaks[-1]
        finally:
            frame.loops.pop()
            frame.breaks.pop()
            frame.continues.pop()
        if state is not None and node.orelse is not None:
            state = self.exec_block(node.orelse.body, state)
        return self.heap.join_all([state, *breaks])

    def _loop(self, node, state: State, bind: Callable[[State], None], body, orelse, iter_expr) -> Optional[State]:
        """Iterate the body to a fixpoint. Loops are assumed to run at least once."""
        frame = self.frame
        frame.loops.append(node)
        if iter_expr is not None:
            frame.iters.append(iter_expr)
        head = state
        exits: list[Optional[State]] = []
        try:
            for _ in range(MAX_LOOP_ROUNDS):
                frame.breaks.append([])
                frame.continues.append([])
                current = head.copy()
                bind(current)
                out = self.exec_block(body.body, current)
                ends = [out, *frame.continues[-1]]
                breaks = frame.breaks[-1]
                frame.breaks.pop()
                frame.continues.pop()
                end = self.heap.join_all(ends)
                exits = [end, *breaks]
                if end is None:
                    break
                new_head = self.heap.join(head, end)
                if new_head.same_as(head):
                    break
                head = new_head
        finally:
            frame.loops.pop()
            if iter_expr is not None:
                frame.iters.pop()
        after = self.heap.join_all(exits[:1])
        if after is not None and orelse is not None:
            after = self.exec_block(orelse.body, after)
        return self.heap.join_all([after, *exits[1:]])

    def exec_While(self, node: cst.While, state: State) -> Optional[State]:
        self.eval(node.test, state)
        return self._loop(node, state, lambda s: None, node.body, node.orelse, None)

    def exec_With(self, node: cst.With, state: State) -> Optional[State]:
        saved_grad = state.grad
        restores: list[tuple[int, frozenset]] = []
        for item in node.items:
            effect = self._with_item(item, state, restores)
            if effect == "raises":
                return state  # `with torch.no_grad:` raises before the body runs (EG006)
        out = self.exec_block(node.body, state)
        if out is not None:
            out.grad = saved_grad
            for oid, modes in restores:
                self.heap.set_mode(out, oid, modes)
        return out

    def _with_item(self, item: cst.WithItem, state: State, restores: list) -> Optional[str]:
        expr = item.item
        if isinstance(expr, (cst.Name, cst.Attribute)) and self.index.qualify(expr) in K.GRAD_CONTEXT_CLASSES:
            if not isinstance(self.lookup_head(expr, state), (Obj, ObjSet)):
                return "raises"
        if isinstance(expr, cst.Call):
            qual = self._callee_qualname(expr.func, state)
            if qual in K.EVAL_MODE_CONTEXTS or qual in K.TRAIN_MODE_CONTEXTS:
                for arg in expr.args:
                    for oid in object_ids(self.eval(arg.value, state)):
                        restores.append((oid, self.heap.mode(state, oid)))
                        kind = EVAL if qual in K.EVAL_MODE_CONTEXTS else TRAIN
                        self.heap.set_mode(state, oid, frozenset({self.mode_fact(kind, expr)}))
                state.grad = frozenset({GradFact(OFF if qual in K.EVAL_MODE_CONTEXTS else ON, expr)})
                return None
            if self._enter_context_generator(expr, state, restores):
                if item.asname is not None:
                    self.assign(item.asname.name, UNKNOWN_VALUE, state)
                return None
        value = self.eval(expr, state)
        if isinstance(value, GradCtx):
            state.grad = frozenset({GradFact(value.kind, expr)})
        elif isinstance(expr, cst.Call):
            qual = self._callee_qualname(expr.func, state) or ""
            last = qual.rsplit(".", 1)[-1].lower()
            if not qual.startswith(K.NEUTRAL_CONTEXTS_PREFIXES) and ("grad" in last or "inference" in last):
                state.grad = frozenset({GradFact(UNKNOWN, expr)})
        if item.asname is not None:
            self.assign(item.asname.name, value if not isinstance(value, GradCtx) else UNKNOWN_VALUE, state)
        return None

    def _enter_context_generator(self, expr: cst.Call, state: State, restores: list) -> bool:
        """`with evaluating(model):` where `evaluating` is a `@contextmanager` generator of
        this file: the body runs at its `yield`, in the modes and grad mode set up before
        it; what follows the yield (typically a `finally` that restores the mode) runs
        after the body. False when `expr` calls no such generator."""
        callee = self.eval(expr.func, state)
        if not isinstance(callee, Func) or not self._is_context_generator(callee.node):
            return False
        args, kwargs = self.call_arguments(expr, state)
        yields: list[State] = []
        self.invoke(callee, args, kwargs, expr, state, yields=yields)
        at_yield = self.heap.join_all(yields)
        if at_yield is None:  # not inlined (too deep, recursive) or never yields
            return True
        # `state` is now the generator run to its end; the body sees it as at the yield,
        # and the modes that the code after the yield changed are set again after the body
        for oid in state.modes.keys() | at_yield.modes.keys():
            if state.modes.get(oid) != at_yield.modes.get(oid):
                restores.append((oid, self.heap.mode(state, oid)))
        state.genv, state.attrs, state.modes, state.frozen = at_yield.genv, at_yield.attrs, at_yield.modes, at_yield.frozen
        state.grad = at_yield.grad
        return True

    def _is_context_generator(self, fnode: cst.FunctionDef) -> bool:
        for dec in fnode.decorators:
            qual = self.index.qualify(dec.decorator) or dotted(dec.decorator) or ""
            if qual.rsplit(".", 1)[-1] in ("contextmanager", "asynccontextmanager"):
                return True
        return False

    def lookup_head(self, expr: cst.BaseExpression, state: State) -> Value:
        while isinstance(expr, cst.Attribute):
            expr = expr.value
        return self.lookup(expr.value, state) if isinstance(expr, cst.Name) else UNKNOWN_VALUE

    def exec_Try(self, node: cst.Try, state: State) -> Optional[State]:
        if node.finalbody is None:
            return self._exec_try(node, state)
        # a `return`/`break`/`continue` inside the try leaves through the finally block
        frame = self.frame
        marks = (len(frame.returns), [len(b) for b in frame.breaks], [len(c) for c in frame.continues])
        out = self._exec_try(node, state)
        for i, (ret_state, value) in enumerate(frame.returns[marks[0]:], start=marks[0]):
            after = self.exec_block(node.finalbody.body, ret_state.copy())
            frame.returns[i] = (after, value) if after is not None else (ret_state, value)
        for pending, starts in ((frame.breaks, marks[1]), (frame.continues, marks[2])):
            for level, start in zip(pending, starts):
                for i in range(start, len(level)):
                    level[i] = self.exec_block(node.finalbody.body, level[i].copy()) or level[i]
        return out

    def _exec_try(self, node: cst.Try, state: State) -> Optional[State]:
        before = state.copy()
        body = self.exec_block(node.body, state)
        outs: list[Optional[State]] = []
        if body is not None:
            outs.append(self.exec_block(node.orelse.body, body) if node.orelse is not None else body)
        for handler in node.handlers:
            start = self.heap.join(before, body)
            if handler.name is not None:
                self.assign(handler.name.name, UNKNOWN_VALUE, start)
            outs.append(self.exec_block(handler.body, start))
        out = self.heap.join_all(outs)
        if node.finalbody is not None:
            if out is None:  # every path returns or raises: the finally still runs (analysed
                self.exec_block(node.finalbody.body, before)  # for what it calls), nothing follows
                return None
            return self.exec_block(node.finalbody.body, out)
        return out

    exec_TryStar = exec_Try  # `_exec_try` reads only body, handlers, orelse and finalbody

    def exec_Match(self, node: cst.Match, state: State) -> Optional[State]:
        self.eval(node.subject, state)
        outs: list[Optional[State]] = [state.copy()]
        for case in node.cases:
            outs.append(self.exec_block(case.body, state.copy()))
        return self.heap.join_all(outs)

    # ==================================================================================
    # expressions

    def eval(self, node: Optional[cst.CSTNode], state: State) -> Value:
        if node is None:
            return UNKNOWN_VALUE
        kind = type(node)  # concrete libcst classes: `is` is exact and much faster than isinstance
        if kind is cst.Name:
            return self.lookup(node.value, state)
        if kind is cst.Attribute:
            return self.eval_attribute(node, state)
        if kind is cst.Call:
            return self.eval_call(node, state)
        if kind is cst.Integer or kind is cst.Float or kind is cst.SimpleString:
            found = self.constants.get(node)
            if found is None:  # literal_eval is slow: once per literal
                value = constant(node)
                found = self.constants[node] = Const(value) if value is not NOT_CONSTANT else UNKNOWN_VALUE
            return found
        if kind is cst.Tuple or kind is cst.List or kind is cst.Set:
            return TupleValue(tuple(self.eval(el.value, state) for el in node.elements))
        if kind is cst.Dict:
            items, keys = [], []
            for el in node.elements:
                if type(el) is cst.DictElement:
                    key = self.eval(el.key, state)
                    keys.append(key.value if type(key) is Const else NOT_CONSTANT)
                else:
                    keys.append(NOT_CONSTANT)  # `**other`
                items.append(self.eval(el.value, state))
            exact = NOT_CONSTANT not in keys and len(set(map(repr, keys))) == len(keys)
            return TupleValue(tuple(items), tuple(keys) if exact else None, is_dict=True)
        if kind is cst.UnaryOperation:
            inner = self.eval(node.expression, state)
            if type(node.operator) is cst.Not and type(inner) is Const:
                return Const(not inner.value)
            return UNKNOWN_VALUE
        if kind is cst.IfExp:
            test = self.eval(node.test, state)
            body = self.eval(node.body, state)
            orelse = self.eval(node.orelse, state)
            if type(test) is Const:
                return body if test.value else orelse
            if type(body) is GradCtx or type(orelse) is GradCtx:
                return GradCtx(UNKNOWN, False)
            return join_values(body, orelse)
        if kind is cst.Comparison:
            return self._eval_comparison(node, state)
        if kind is cst.BooleanOperation:
            left = self.eval(node.left, state)
            right = self.eval(node.right, state)
            if type(left) is Const and type(right) is Const:
                if type(node.operator) is cst.And:
                    return Const(left.value and right.value)
                return Const(left.value or right.value)
            return UNKNOWN_VALUE
        if kind is cst.Subscript:
            return self._eval_subscript(node, state)
        if kind is cst.ListComp or kind is cst.SetComp or kind is cst.GeneratorExp or kind is cst.DictComp:
            return self._eval_comprehension(node, state)
        if kind is cst.Lambda:
            return UNKNOWN_VALUE
        if kind is cst.NamedExpr:
            value = self.eval(node.value, state)
            self.assign(node.target, value, state)
            return value
        if kind is cst.BinaryOperation and type(node.operator) is cst.Add:
            # `list(policy.parameters()) + list(value.parameters())`: both go to the optimizer
            left, right = self.eval(node.left, state), self.eval(node.right, state)
            parts = [v.items if type(v) is TupleValue and not v.is_dict else (v,) if type(v) is Members else None
                     for v in (left, right)]
            if parts[0] is not None and parts[1] is not None:
                return TupleValue(tuple(parts[0]) + tuple(parts[1]))
            return UNKNOWN_VALUE
        if kind is cst.Yield:
            self.eval_children(node, state)
            if self.frame.yields is not None:
                self.frame.yields.append(state.copy())
            return UNKNOWN_VALUE
        self.eval_children(node, state)
        return UNKNOWN_VALUE

    def eval_children(self, node: cst.CSTNode, state: State) -> None:
        for child in children(node):
            if is_a(child, cst.BaseExpression):
                self.eval(child, state)
            elif not (is_a(child, cst.BaseSuite) or is_a(child, cst.BaseCompoundStatement)):
                self.eval_children(child, state)

    def _eval_comparison(self, node: cst.Comparison, state: State) -> Value:
        left = self.eval(node.left, state)
        values = [self.eval(c.comparator, state) for c in node.comparisons]
        if len(node.comparisons) == 1 and isinstance(left, Const) and isinstance(values[0], Const):
            op = node.comparisons[0].operator
            a, b = left.value, values[0].value
            try:
                if isinstance(op, cst.Equal):
                    return Const(a == b)
                if isinstance(op, cst.NotEqual):
                    return Const(a != b)
                if isinstance(op, cst.Is):
                    return Const(a is b)
                if isinstance(op, cst.IsNot):
                    return Const(a is not b)
            except Exception:  # pragma: no cover - defensive
                return UNKNOWN_VALUE
        return UNKNOWN_VALUE

    def _eval_subscript(self, node: cst.Subscript, state: State) -> Value:
        base = self.eval(node.value, state)
        index_value = self._subscript_index(node, state)
        if isinstance(base, TupleValue) and base.is_dict:
            if base.keys is not None and isinstance(index_value, Const) and index_value.value in base.keys:
                return base.items[base.keys.index(index_value.value)]
            return UNKNOWN_VALUE
        if isinstance(base, TupleValue) and isinstance(index_value, Const) and isinstance(index_value.value, int):
            if -len(base.items) <= index_value.value < len(base.items):
                return base.items[index_value.value]
            return UNKNOWN_VALUE
        if isinstance(base, Members):
            return base
        if isinstance(base, Obj) and self.heap.objects[base.id].ext_class == K.PICKLE_LOADER \
                and isinstance(index_value, Const) and isinstance(index_value.value, str):
            # `checkpoint["net"]`: an entry of an unpickled checkpoint (a module if it is called)
            entry = self.heap.child(base.id, f"[{index_value.value!r}]")
            self.heap.objects[entry].ext_class = K.PICKLE_LOADER
            return Obj(entry)
        if isinstance(base, Obj) and self.heap.objects[base.id].is_module_like:
            return Obj(self.heap.child(base.id, "[]"))
        return UNKNOWN_VALUE

    def _eval_comprehension(self, node, state: State) -> Value:
        """Runs the element once with the loop variables bound (enough to follow the
        calls made inside: `[train_step(m, b) for b in loader]`, `sum(model(x) ...)`).
        `[m.training for m in modules]` over a sequence known item by item gives the
        element of each item, so that the flags saved can restore each module later."""
        saved_env = dict(state.env)
        saved_genv = dict(state.genv)
        frame = self.frame
        comp: Optional[cst.CompFor] = node.for_in
        iter_value = self.eval(comp.iter, state)
        pushed = 0
        try:
            if _element_per_item(node) and isinstance(iter_value, TupleValue) and not iter_value.is_dict \
                    and 0 < len(iter_value.items) <= 8:
                items = []
                for item in iter_value.items:
                    self.assign(comp.target, item, state)
                    items.append(self.eval(node.elt, state))
                return TupleValue(tuple(items))
            while comp is not None:
                frame.iters.append(comp.iter)
                frame.loops.append(comp)
                pushed += 1
                self.assign(comp.target, self._iteration_value(iter_value), state)
                for cond in comp.ifs:
                    self.eval(cond.test, state)
                comp = comp.inner_for_in
                if comp is not None:
                    iter_value = self.eval(comp.iter, state)
            if isinstance(node, cst.DictComp):
                self.eval(node.key, state)
                result = self.eval(node.value, state)
            else:
                result = self.eval(node.elt, state)
        finally:
            for _ in range(pushed):
                frame.iters.pop()
                frame.loops.pop()
            state.env.clear()
            state.env.update(saved_env)
            if frame.func is None:
                state.genv.clear()
                state.genv.update(saved_genv)
        return result if isinstance(result, Members) else UNKNOWN_VALUE

    def eval_attribute(self, node: cst.Attribute, state: State) -> Value:
        base = self.eval(node.value, state)
        attr = node.attr.value
        if isinstance(base, Ext):
            return Ext(f"{base.qualname}.{attr}")
        if isinstance(base, ClassRef):
            found = base.cls.find_method(attr)
            return Func(found[1], found[0]) if found else UNKNOWN_VALUE
        ids = object_ids(base)
        if not ids:
            return UNKNOWN_VALUE
        results = [self._object_attribute(oid, attr, state) for oid in ids]
        out = results[0]
        for r in results[1:]:
            out = join_values(out, r)
        return out

    def _object_attribute(self, oid: int, attr: str, state: State) -> Value:
        info = self.heap.objects[oid]
        if attr == "training":
            return Snapshot(oid, self.heap.mode(state, oid))
        bound = state.attrs.get((oid, attr))
        if bound is not None:  # `self.module = ResidualMLP(...)` in a class of this file
            return bound
        if attr in ("module", "_orig_mod", "_module"):
            return Obj(oid)  # DDP(model).module, torch.compile(model)._orig_mod: the model itself
        if info.cls is not None:
            found = info.cls.find_method(attr)
            if found is not None:
                if _is_property(found[1]):  # `self.net` through `@property def net(self)`
                    return self.invoke(Func(found[1], found[0], oid), [], {}, None, state)[1]
                return Func(found[1], found[0], oid)
        if info.kind in (OPTIMIZER, OTHER, LOSS) or attr in K.MODULE_METHOD_NAMES:
            return UNKNOWN_VALUE  # `pp = model.parameters` is a bound method, not a child module
        return Obj(self.heap.child(oid, attr))

    # ==================================================================================
    # calls

    def _callee_qualname(self, func: cst.BaseExpression, state: State) -> Optional[str]:
        value = self.lookup_head(func, state)
        if isinstance(value, Ext):
            name = dotted(func)
            if name is None:
                return None
            head, _, rest = name.partition(".")
            return f"{value.qualname}.{rest}" if rest else value.qualname
        return None

    def eval_call(self, node: cst.Call, state: State) -> Value:
        func = node.func
        receiver: Optional[Value] = None
        method: Optional[str] = None
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, state)
            method = func.attr.value
            callee: Value = UNKNOWN_VALUE
            if isinstance(receiver, Ext):
                callee = Ext(f"{receiver.qualname}.{method}")
            elif isinstance(receiver, ClassRef):
                found = receiver.cls.find_method(method)
                callee = Func(found[1], found[0]) if found else UNKNOWN_VALUE
                if not found and receiver.cls.is_module and method in _CLASS_LOADERS:
                    return self._load_instance(node, receiver.cls, method)
        else:
            callee = self.eval(func, state)
        args, kwargs = self.call_arguments(node, state)
        if method is not None and isinstance(receiver, SuperRef):
            return self.call_super(node, receiver, method, args, kwargs, state)
        if method is not None and object_ids(receiver):
            return self.call_method(node, receiver, method, args, kwargs, state)
        if method is not None and isinstance(receiver, Members):
            return self.members_method(node, receiver, method, args, kwargs, state)
        if method is not None and isinstance(receiver, GradCtx):
            return UNKNOWN_VALUE
        if method in ("values", "items", "keys") and isinstance(receiver, TupleValue) and receiver.keys is not None \
                and not args and not kwargs:
            return _dict_view(receiver, method)
        if isinstance(callee, Func):
            return self.call_function(node, callee, args, kwargs, state)
        if isinstance(callee, ClassRef):
            return self.instantiate(node, callee.cls, args, kwargs, state)
        if isinstance(callee, Ext):
            return self.call_external(node, callee.qualname, args, kwargs, state)
        if object_ids(callee):
            return self.call_object(node, callee, args, kwargs, state)
        if isinstance(callee, GradCtx):
            return GradCtx(callee.kind, True)
        self._unknown_call_effect(node, args, kwargs, state, "an unknown function")
        return UNKNOWN_VALUE

    def call_arguments(self, node: cst.Call, state: State) -> tuple[list[Value], dict[str, Value]]:
        args: list[Value] = []
        kwargs: dict[str, Value] = {}
        for arg in node.args:
            value = self.eval(arg.value, state)
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            elif arg.star:
                args.append(value if isinstance(value, Members) else UNKNOWN_VALUE)
            else:
                args.append(value)
        return args, kwargs

    # in-file functions ---------------------------------------------------------------------
    def call_function(self, node: cst.Call, func: Func, args: list[Value], kwargs: dict[str, Value], state: State) -> Value:
        return self.invoke(func, args, kwargs, node, state)[1]

    def invoke(self, func: Func, args: list[Value], kwargs: dict[str, Value], call: Optional[cst.CSTNode], state: State,
               mode_call: Optional[cst.CSTNode] = None,
               yields: Optional[list[State]] = None) -> tuple[Optional[State], Value]:
        """Run `func`'s body with these arguments; returns (state after, return value).
        `state` is updated in place as well (the caller continues with it). With `yields`,
        the states at the body's `yield`s are collected there (a context manager's enter)."""
        fnode = func.node
        inlined = self.inlined[fnode] = self.inlined.get(fnode, 0) + 1
        if len(self.frames) > MAX_DEPTH or inlined > MAX_INLINES or any(f.func is fnode for f in self.frames):
            if isinstance(call, cst.Call):
                self._unknown_call_effect(call, args, kwargs, state, f"{fnode.name.value}()")
            return state, UNKNOWN_VALUE
        self.visited.add(fnode)
        frame = Frame(fnode, call, func.cls, func.self_obj, outer=self.outer_envs.get(fnode), mode_call=mode_call,
                      yields=yields)
        caller_env, caller_grad = state.env, state.grad
        state.env = self._bind_params(fnode, func, args, kwargs, state)
        grad = self._decorator_grad(fnode, state)
        if grad is not None:
            state.grad = grad
        self.frames.append(frame)
        try:
            end = self.exec_block(fnode.body, state)
        finally:
            self.frames.pop()
        results = [s for s, _ in frame.returns]
        values = [v for _, v in frame.returns]
        if end is not None:
            results.append(end)
            values.append(Const(None))
        out = self.heap.join_all(results)
        ret: Value = values[0] if values else UNKNOWN_VALUE
        for v in values[1:]:
            ret = join_values(ret, v)
        if out is None:  # the function never returns normally
            out = state
        # the caller continues with the callee's heap, its own locals and grad mode
        state.genv, state.attrs, state.modes, state.frozen = out.genv, out.attrs, out.modes, out.frozen
        state.env, state.grad = caller_env, caller_grad
        return state, ret

    def _bind_params(self, fnode: cst.FunctionDef, func: Func, args: list[Value], kwargs: dict[str, Value],
                     state: State) -> dict[str, Value]:
        env: dict[str, Value] = {}
        params = list(fnode.params.posonly_params) + list(fnode.params.params)
        decorators = {dotted(d.decorator) for d in fnode.decorators}
        positional = list(args)
        if func.self_obj is not None and "staticmethod" not in decorators and params:
            env[params[0].name.value] = Obj(func.self_obj)
            params = params[1:]
        elif func.cls is not None and ("classmethod" in decorators) and params:
            env[params[0].name.value] = ClassRef(func.cls)
            params = params[1:]
        for p in params:
            name = p.name.value
            if positional:
                env[name] = positional.pop(0)
            else:
                env[name] = kwargs.get(name) or _default(p)
        for p in fnode.params.kwonly_params:
            env[p.name.value] = kwargs.get(p.name.value) or _default(p)
        star = fnode.params.star_arg
        if isinstance(star, cst.Param):
            env[star.name.value] = TupleValue(tuple(positional))
        if fnode.params.star_kwarg is not None:
            env[fnode.params.star_kwarg.name.value] = UNKNOWN_VALUE
        return env

    def _decorator_grad(self, fnode: cst.FunctionDef, state: State) -> Optional[frozenset]:
        for dec in fnode.decorators:
            expr = dec.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            qual = self.index.qualify(target) or dotted(target) or ""
            last = qual.rsplit(".", 1)[-1]
            if qual in K.GRAD_OFF or last.endswith(K.THIRD_PARTY_GRAD_OFF_SUFFIXES):
                if qual == "torch.inference_mode" and isinstance(expr, cst.Call) and expr.args:
                    first = constant(expr.args[0].value)
                    if first is False:
                        continue
                    if first is NOT_CONSTANT:
                        return frozenset({GradFact(UNKNOWN, dec)})
                return frozenset({GradFact(OFF, dec)})
            if qual in K.GRAD_ON:
                return frozenset({GradFact(ON, dec)})
            if qual in K.GRAD_SET and isinstance(expr, cst.Call) and expr.args:
                flag = constant(expr.args[0].value)
                return frozenset({GradFact(ON if flag is True else OFF if flag is False else UNKNOWN, dec)})
            if "grad" in last.lower() or "inference" in last.lower():
                return frozenset({GradFact(UNKNOWN, dec)})
        return None

    def instantiate(self, node: cst.Call, cls: ClassInfo, args: list[Value], kwargs: dict[str, Value], state: State) -> Value:
        kind = MODULE if cls.is_module else INSTANCE
        initial = frozenset({self.mode_fact(FRESH, node)}) if cls.is_module else frozenset()
        oid = self.heap.new(("new", node, self.call_stack()), kind, lambda: code_of(node.func), node, initial,
                            cls=cls, sensitive=cls.sensitive, has_bn=cls.has_bn, evidence=cls.is_module)
        init = cls.find_method("__init__")
        if init is not None:
            self.invoke(Func(init[1], init[0], oid), args, kwargs, node, state)
        else:
            for value in (*args, *kwargs.values()):
                for child in object_ids(value):
                    if cls.is_module and self.heap.objects[child].is_module_like:
                        self.heap.contain(oid, child)
        return Obj(oid)

    def _load_instance(self, node: cst.Call, cls: ClassInfo, method: str) -> Value:
        """`LitModel.load_from_checkpoint(...)` (training mode, like a fresh module) or
        `MyPreTrained.from_pretrained(...)` (eval mode) on a module class of this file."""
        if method == "from_pretrained":
            fact = self.mode_fact(EVAL, node, loader=True)
        else:
            fact = self.mode_fact(FRESH, node)
        oid = self.heap.new(("new", node, self.call_stack()), MODULE, lambda: code_of(node.func), node,
                            frozenset({fact}), cls=cls, sensitive=cls.sensitive, has_bn=cls.has_bn, evidence=True)
        return Obj(oid)

    def call_super(self, node: cst.Call, ref: SuperRef, method: str, args, kwargs, state: State) -> Value:
        cls = ref.cls
        if cls is not None:
            for base in cls.base_classes:
                found = base.find_method(method)
                if found is not None:
                    return self.invoke(Func(found[1], found[0], ref.obj), args, kwargs, node, state)[1]
        if method in ("train", "eval"):
            return self.module_method(node, ref.obj, method, args, kwargs, state)
        return UNKNOWN_VALUE

    def _scan(self, fnode: cst.FunctionDef) -> "_MethodScan":
        found = self.scans.get(fnode)
        if found is None:
            found = self.scans[fnode] = _MethodScan.of(fnode)
        return found

    # objects ----------------------------------------------------------------------------
    def call_method(self, node: cst.Call, receiver: Value, method: str, args, kwargs, state: State) -> Value:
        ids = object_ids(receiver)
        if len(ids) > 1:
            # one of several objects: weak updates, except `.eval()`, which puts whichever
            # it is in eval mode (`net = ckpt["net"] if resume else Net(); net.eval()`);
            # a weak eval would leave "may be in training mode" on every later use
            for oid in ids:
                self.module_method(node, oid, method, args, kwargs, state, weak=method != "eval")
            return UNKNOWN_VALUE
        oid = ids[0]
        info = self.heap.objects[oid]
        if info.cls is not None:
            found = info.cls.find_method(method)
            if found is not None and _is_property(found[1]):  # `self.model(x)`, `model` a property
                held = self._object_attribute(oid, method, state)
                if object_ids(held):
                    return self.call_object(node, held, args, kwargs, state)
                self._unknown_call_effect(node, args, kwargs, state, f"{method}()")
                return UNKNOWN_VALUE
            if found is not None:
                return self.call_own_method(node, oid, found, method, args, kwargs, state)
        bound = state.attrs.get((oid, method))
        if bound is not None:  # `self.model(x)`: a call of the object held in the attribute
            if isinstance(bound, Func):
                return self.invoke(bound, args, kwargs, node, state)[1]
            if isinstance(bound, ClassRef):
                return self.instantiate(node, bound.cls, args, kwargs, state)
            if object_ids(bound):
                return self.call_object(node, bound, args, kwargs, state)
            self._unknown_call_effect(node, args, kwargs, state, f"{method}()")
            return UNKNOWN_VALUE
        return self.module_method(node, oid, method, args, kwargs, state)

    def call_own_method(self, node: cst.Call, oid: int, found, method: str, args, kwargs, state: State) -> Value:
        cls, fnode = found
        if not cls.is_module:
            return self.invoke(Func(fnode, cls, oid), args, kwargs, node, state)[1]
        scan = self._scan(fnode)
        if method in ("train", "eval", "set_training_mode") or scan.mode_change or scan.moves_parameters:
            self.heap.objects[oid].evidence = True
            return self.invoke(Func(fnode, cls, oid), args, kwargs, node, state, mode_call=node)[1]
        if method in K.FORWARD_METHODS or method == "__call__" or scan.self_forward:
            grad = self._decorator_grad(fnode, state)
            self.record_forward(node, oid, state, method, grad_override=grad)
        return UNKNOWN_VALUE

    def call_object(self, node: cst.Call, callee: Value, args, kwargs, state: State) -> Value:
        for oid in object_ids(callee):
            info = self.heap.objects[oid]
            if info.cls is not None and not info.cls.is_module:
                found = info.cls.find_method("__call__")
                if found is not None:
                    return self.invoke(Func(found[1], found[0], oid), args, kwargs, node, state)[1]
                continue
            if info.kind == OPAQUE and info.ext_class == K.PICKLE_LOADER:
                info.evidence = True  # a checkpoint dict cannot be called: a pickled module
            if info.is_module_like:
                self.record_forward(node, oid, state, None, args=args)
        return UNKNOWN_VALUE

    def module_method(self, node: cst.Call, oid: int, method: str, args, kwargs, state: State, weak: bool = False) -> Value:
        """nn.Module methods (and the receivers that only look like modules)."""
        info = self.heap.objects[oid]
        if K.passes_through(info.ext_class, method) and args and not kwargs:
            return args[0] if len(args) == 1 else TupleValue(tuple(args))
        if info.kind == INSTANCE and K.looks_like_submodule(method):
            # `self.model(x)` on an object of this file whose `model` we did not see assigned
            return self.call_object(node, Obj(self.heap.child(oid, method)), args, kwargs, state)
        if info.kind in (OPTIMIZER, OTHER, INSTANCE):
            self._unknown_call_effect(node, args, kwargs, state, f"{method}()")
            return UNKNOWN_VALUE
        if method in ("eval", "train", "set_training_mode"):
            flag = self._mode_argument(method, args, kwargs)
            if flag is None or (info.kind == OPAQUE and not self._looks_like_module_call(node, info)):
                return UNKNOWN_VALUE
            info.evidence = True
            self._set_mode_from_flag(node, oid, flag, state, weak)
            return Obj(oid)
        if method == "requires_grad_":
            flag = args[0] if args else kwargs.get("requires_grad", Const(True))
            info.evidence = True
            if isinstance(flag, Const) and flag.value is False:
                self.heap.freeze(state, oid, FreezeFact(node, code_of(node), expr=_receiver_source(node)))
            return Obj(oid)
        if method in ("parameters", "named_parameters"):
            info.evidence = True
            return Members(oid, "params", _receiver_source(node))
        if method in ("modules", "named_modules", "children", "named_children"):
            info.evidence = True
            return Members(oid, "modules", _receiver_source(node))
        if method == "apply" and args:
            info.evidence = True
            self._apply_helper(node, oid, args[0], state)
            return Obj(oid)
        if method == "freeze" and not args and info.is_module_like:
            self._set_mode_from_flag(node, oid, False, state, weak)
            self.heap.freeze(state, oid, FreezeFact(node, code_of(node), expr=_receiver_source(node)))
            return Obj(oid)
        if method == "unfreeze" and not args and info.is_module_like:
            self._set_mode_from_flag(node, oid, True, state, weak)
            return Obj(oid)
        if method in K.MODULE_EVIDENCE_METHODS:
            info.evidence = True
            return UNKNOWN_VALUE
        if K.leaves_eval_mode(info.ext_class, method):
            # sentence-transformers `encode`/`predict` call `self.eval()` and never undo it
            info.evidence = True
            what = f"`{code_of(node.func)}()` (which calls `.eval()` inside and does not restore the mode)"
            self.heap.set_mode(state, oid, frozenset({self.mode_fact(EVAL, node, what)}), weak=weak)
            return UNKNOWN_VALUE
        if method in K.SELF_RETURNING_METHODS:
            return Obj(oid)
        if method in K.FORWARD_METHODS:
            if info.kind == MODULE or (method == "forward" and info.is_module_like):
                managed = method in K.SELF_NO_GRAD_METHODS
                self.record_forward(node, oid, state, method, managed_grad=managed, args=args)
            return UNKNOWN_VALUE
        if info.is_module_like and info.cls is None and info.parent is None and K.looks_like_submodule(method):
            # `model.backbone(x)`: a call of a child module of a library model
            return self.call_object(node, Obj(self.heap.child(oid, method)), args, kwargs, state)
        self._unknown_call_effect(node, args, kwargs, state, f"{method}()")
        return UNKNOWN_VALUE

    def _looks_like_module_call(self, node: cst.Call, info) -> bool:
        recv = node.func.value if isinstance(node.func, cst.Attribute) else None
        text = dotted(recv) if recv is not None else None
        last = (text or info.name).split(".")[-1]
        return not K.NON_MODULE_RECEIVER.search(last)

    @staticmethod
    def _mode_argument(method: str, args, kwargs) -> Optional[object]:
        """True (train), False (eval), a Snapshot (restore), "unknown", or None when the
        arguments are not those of nn.Module.train/eval (e.g. `trainer.train(data)`)."""
        if method == "eval":
            return False if not args and not kwargs else None
        flag = args[0] if args else kwargs.get("mode")
        if len(args) > 1 or (kwargs and set(kwargs) != {"mode"}):
            return None
        if flag is None:
            return True if method == "train" else None
        if isinstance(flag, Const):
            return bool(flag.value) if isinstance(flag.value, (bool, int)) or flag.value is None else None
        if isinstance(flag, Snapshot):
            return flag
        if object_ids(flag) or isinstance(flag, (TupleValue, Members, Ext)):
            return None
        return "unknown"

    def _set_mode_from_flag(self, node: cst.Call, oid: int, flag, state: State, weak: bool) -> None:
        if isinstance(flag, Snapshot):
            facts = flag.modes
        elif flag is True:
            facts = frozenset({self.mode_fact(TRAIN, node, target=oid)})
        elif flag is False:
            facts = frozenset({self.mode_fact(EVAL, node)})
        else:
            facts = frozenset({self.mode_fact(UNKNOWN, node)})
        self.heap.set_mode(state, oid, facts, weak=weak)

    def _bn_eval(self, oid: int, node: cst.CSTNode, state: State) -> None:
        """Training mode stays, but its BatchNorm layers are put back in eval here."""
        facts = frozenset(dataclasses.replace(f, bn_eval=node) if f.kind in (TRAIN, FRESH) else f
                          for f in self.heap.mode(state, oid))
        self.heap.set_mode(state, oid, facts)

    def _apply_helper(self, node: cst.Call, oid: int, fn: Value, state: State) -> None:
        """`model.apply(set_bn_eval)`: what the helper does to each submodule."""
        if not isinstance(fn, Func):
            self._unknown_call_effect(node, [Obj(oid)], {}, state, "apply()")
            return
        effects = _helper_effects(fn.node)
        if "eval" in effects:
            self.heap.set_mode(state, oid, frozenset({self.mode_fact(EVAL, node)}))
        elif "bn_eval" in effects:
            self._bn_eval(oid, node, state)
        if "bn_safe" in effects:
            self.heap.objects[oid].bn_safe = f"`{code_of(node)}`"
        if "freeze" in effects:
            self.heap.freeze(state, oid, FreezeFact(node, code_of(node), True, _receiver_source(node)))

    # external calls ----------------------------------------------------------------------
    def call_external(self, node: cst.Call, qual: str, args: list[Value], kwargs: dict[str, Value], state: State) -> Value:
        last = qual.rsplit(".", 1)[-1]
        stack = self.call_stack()
        if qual == "super":
            frame = self.frame
            if frame.self_obj is not None:
                return SuperRef(frame.self_obj, frame.cls)
            return UNKNOWN_VALUE
        if qual in K.GRAD_OFF:
            if last == "inference_mode" and args and isinstance(args[0], Const) and args[0].value is False:
                return GradCtx(ON, True)
            return GradCtx(OFF if not (args and not isinstance(args[0], Const)) else UNKNOWN, True)
        if qual in K.GRAD_ON:
            return GradCtx(ON, True)
        if qual in K.GRAD_SET:
            flag = args[0] if args else kwargs.get("mode", UNKNOWN_VALUE)
            kind = ON if isinstance(flag, Const) and flag.value else OFF if isinstance(flag, Const) else UNKNOWN
            if isinstance(self.frame.stmt, cst.Expr) and self.frame.stmt.value is node:
                state.grad = frozenset({GradFact(kind, node)})  # statement form: until changed again
            return GradCtx(kind, True)
        if last.endswith(K.THIRD_PARTY_GRAD_OFF_SUFFIXES):
            return GradCtx(OFF, True)
        if qual.startswith(f"{VOLATILE.qualname}.") and last in K.TENSOR_SAME_DATA_METHODS:
            return VOLATILE  # `Variable(x, volatile=True).view(...)`, `.cuda()`: the same input
        if qual in ("torch.autograd.Variable", "torch.autograd.variable.Variable", "torch.Variable"):
            volatile = kwargs.get("volatile")
            if isinstance(volatile, Const) and volatile.value:
                return VOLATILE
            return args[0] if args else UNKNOWN_VALUE
        if qual in K.WRAPPERS or last.endswith(K.WRAPPER_SUFFIXES):
            target = args[0] if args else kwargs.get("module", kwargs.get("model", UNKNOWN_VALUE))
            if qual in K.MODULE_WRAPPERS:
                for oid in object_ids(target):
                    self.heap.objects[oid].evidence = True
            return target
        if qual == "setattr" and len(args) == 3:
            for vid in object_ids(args[2]):
                if "FrozenBatchNorm" in self.heap.objects[vid].ext_class:
                    target = args[0].obj if isinstance(args[0], Members) else (object_ids(args[0]) or (None,))[0]
                    if target is not None:
                        self.heap.objects[target].bn_safe = f"`{code_of(node)}`"
            return UNKNOWN_VALUE
        if qual in K.DEEPCOPY and args:
            return self._copy(node, args[0], state)
        if qual in K.EVAL_MODE_COPIES and args:
            # quantize_dynamic deep-copies the model (unless inplace=True) and calls .eval()
            inplace = kwargs.get("inplace")
            if isinstance(inplace, Const) and inplace.value:
                result = args[0]
            elif inplace is None and len(args) < 5:
                result = self._copy(node, args[0], state)
            else:
                return UNKNOWN_VALUE
            for oid in object_ids(result):
                self.heap.set_mode(state, oid, frozenset({self.mode_fact(EVAL, node, f"`{code_of(node.func)}(...)`")}))
            return result
        if qual == "zip":
            # `for ps, pt in zip(student.parameters(), teacher.parameters()): pt.mul_(m).add_(ps)`:
            # a momentum/EMA copy (MoCo, BYOL, DINO) is not frozen: its weights move every step
            params = [a for a in args if isinstance(a, Members) and a.kind == "params"]
            for members in params if len(params) >= 2 else ():
                for moved in (members.obj, *self.heap.descendants(members.obj)):
                    self.heap.objects[moved].moving = True
        if qual in ("zip", "enumerate") and args and not kwargs:
            rows = _zipped(qual, args)
            if rows is not None:
                return rows
        if qual in ("itertools.chain",) and args and all(isinstance(a, Members) for a in args):
            return TupleValue(tuple(args))  # chain(a.parameters(), b.parameters())
        if qual in ("list", "tuple", "filter", "iter", "sorted", "reversed") and args:
            src = args[-1]
            if isinstance(src, Members):
                return src
        if qual in K.TRACERS and args:
            # tracing runs the model once and records that run: in training mode it bakes
            # dropout and batch statistics into the traced graph
            for oid in object_ids(args[0]):
                if self.heap.objects[oid].is_module_like:
                    self.record_forward(node, oid, state, "trace", managed_grad=True, receiver=node.args[0].value)
        if qual in K.UNKNOWN_MODE_LOADERS:
            kind = MODULE if qual.startswith(("torch.jit", "torch.hub", "torch.export")) else OPAQUE
            oid = self.heap.new(("new", node, stack), kind, f"{last}(...)", node,
                                frozenset({self.mode_fact(UNKNOWN, node)}), ext_class=qual)
            return Obj(oid)
        configured = self.settings.constructor_mode(qual) if self.settings is not None else None
        if configured is not None:
            kind = {"train": FRESH, "eval": EVAL}.get(configured, UNKNOWN)
            fact = self.mode_fact(kind, node, loader=(kind == EVAL))
            return Obj(self.heap.new(("new", node, stack), MODULE, lambda: code_of(node.func), node,
                                     frozenset({fact}), ext_class=qual, evidence=True))
        made = self._construct_known(node, qual, args, kwargs, stack)
        if made is not None:
            return made
        optimizer = self._optimizer(node, qual, args, kwargs, stack)
        if optimizer is not None:
            return optimizer
        if qual.rsplit(".", 1)[0] in ("torch", "torch.nn.functional", "math", "numpy", "np") or qual.startswith("torch."):
            return UNKNOWN_VALUE
        self._unknown_call_effect(node, args, kwargs, state, f"{code_of(node.func)}()")
        module_args = any(self.heap.objects[o].is_module_like for v in (*args, *kwargs.values()) for o in object_ids(v))
        if last[:1].isupper() and not module_args:
            initial = frozenset({self.mode_fact(FRESH, node)})
        else:
            initial = frozenset({self.mode_fact(UNKNOWN, node)})
        oid = self.heap.new(("new", node, stack), OPAQUE, lambda: code_of(node.func), node, initial, ext_class=qual)
        return Obj(oid)

    def _construct_known(self, node: cst.Call, qual: str, args, kwargs, stack) -> Optional[Value]:
        from evalguard.analysis.index import call_traits

        last = qual.rsplit(".", 1)[-1]
        cls = K.nn_class(qual)
        if cls is not None:
            if K.is_loss_class(cls):
                return Obj(self.heap.new(("new", node, stack), LOSS, cls, node, frozenset()))
            sensitive, has_bn = call_traits(qual, node)
            fact = self.mode_fact(FRESH, node)
            # a single layer with no mode-dependent behaviour (Linear, Softmax, Upsample):
            # its mode cannot matter, so its calls are never findings
            stateless = not K.is_container(cls) and sensitive is False and not has_bn
            oid = self.heap.new(("new", node, stack), MODULE, lambda: code_of(node.func), node, frozenset({fact}),
                                ext_class=qual, sensitive=sensitive, has_bn=has_bn, evidence=True, managed=stateless)
            if K.is_container(cls):
                info = self.heap.objects[oid]
                for value in (*args, *kwargs.values()):
                    if isinstance(value, Members):
                        src = self.heap.objects[value.obj]
                        info.has_bn = True if src.has_bn else info.has_bn
                        info.sensitive = True if self.heap.sensitive(value.obj) else info.sensitive
                    for child in object_ids(value):
                        if self.heap.objects[child].is_module_like:
                            self.heap.contain(oid, child)
                    if isinstance(value, TupleValue):
                        for item in value.items:
                            for child in object_ids(item):
                                self.heap.contain(oid, child)
            return Obj(oid)
        builder = K.torchvision_builder(qual)
        is_timm = qual in ("timm.create_model", "timm.models.create_model")
        if builder is not None or is_timm or K.is_hf_model_class(qual):
            sensitive, has_bn = call_traits(qual, node)
            fact = self.mode_fact(FRESH, node)
            return Obj(self.heap.new(("new", node, stack), MODULE, lambda: code_of(node.func), node, frozenset({fact}),
                                     ext_class=qual, sensitive=sensitive, has_bn=has_bn, evidence=True))
        if last in ("from_pretrained", "from_config", "from_single_file"):
            owner = qual.rsplit(".", 1)[0]
            mode = K.from_pretrained_mode(owner)
            if mode is None:
                return Obj(self.heap.new(("new", node, stack), OTHER, lambda: code_of(node.func), node, frozenset()))
            if last == "from_config":
                fact = self.mode_fact(FRESH, node)
            else:
                fact = self.mode_fact(EVAL, node, loader=True)
            return Obj(self.heap.new(("new", node, stack), MODULE, lambda: code_of(node.func), node, frozenset({fact}),
                                     ext_class=qual, sensitive=True, has_bn=False, evidence=True))
        return None

    def _optimizer(self, node: cst.Call, qual: str, args, kwargs, stack) -> Optional[Value]:
        sources: list[int] = []

        def collect(v: Value) -> None:
            if isinstance(v, Members) and v.kind == "params":
                sources.append(v.obj)
            elif isinstance(v, TupleValue):
                for item in v.items:
                    collect(item)

        for v in (*args[:1], kwargs.get("params", UNKNOWN_VALUE)):
            collect(v)
        is_optim = qual.startswith("torch.optim.") and qual.rsplit(".", 1)[-1][:1].isupper()
        if not sources and not is_optim:
            return None
        self.optimizers_seen = True
        for oid in sources:
            if self.heap.objects[oid].optimized is None:
                self.heap.objects[oid].optimized = node
        return Obj(self.heap.new(("new", node, stack), OPTIMIZER, lambda: code_of(node.func), node, frozenset()))

    def _copy(self, node: cst.Call, value: Value, state: State) -> Value:
        ids = object_ids(value)
        if len(ids) != 1:
            return UNKNOWN_VALUE
        src = self.heap.objects[ids[0]]
        oid = self.heap.new(("copy", node, self.call_stack()), src.kind, f"deepcopy({src.name})", node,
                            self.heap.mode(state, src.id), cls=src.cls, ext_class=src.ext_class,
                            sensitive=self.heap.sensitive(src.id), has_bn=self.heap.has_bn(src.id),
                            evidence=src.evidence, bn_safe=self.heap.bn_safe(src.id))
        frozen = self.heap.frozen(state, src.id)
        if frozen:
            state.frozen[oid] = frozen
        return Obj(oid)

    def _unknown_call_effect(self, node: cst.Call, args, kwargs, state: State, what: str) -> None:
        """A module handed to code we cannot see may come back in any mode."""
        qual = self._callee_qualname(node.func, state) or ""
        if qual in K.MODE_NEUTRAL_CALLS or qual.startswith(K.MODE_NEUTRAL_PREFIXES):
            return
        for value in (*args, *kwargs.values()):
            for oid in object_ids(value):
                info = self.heap.objects[oid]
                if not (info.is_module_like or info.kind == OPAQUE):
                    continue
                if all(f.kind == UNKNOWN for f in self.heap.mode(state, oid)) and not info.contains:
                    continue  # nothing known to forget (most opaque values: keeps the state small)
                fact = self.mode_fact(UNKNOWN, node, f"{what} at this call")
                self.heap.set_mode(state, oid, frozenset({fact}))

    # ==================================================================================
    # forward passes

    def record_forward(self, node: cst.Call, oid: int, state: State, method: Optional[str], *,
                       grad_override: Optional[frozenset] = None, managed_grad: bool = False,
                       args: Optional[list] = None, receiver: Optional[cst.CSTNode] = None) -> None:
        info = self.heap.objects[oid]
        if info.kind == LOSS or info.managed:
            return
        frame = self.frame
        receiver_node = receiver or (node.func.value if (method is not None and isinstance(node.func, cst.Attribute))
                                     else node.func)
        lightning_step = self._in_lightning_training_step(receiver_node)
        if frame.cls is not None and frame.cls.kind != "driver" and _rooted_at_self(receiver_node) and not lightning_step:
            return  # a submodule call inside the module's own code: part of its forward
        if self._in_unit_test():
            return  # tests run models in whatever mode they test, on purpose
        grads = grad_override if grad_override is not None else state.grad
        usage = self.scope_usage().classify(node, frame.stmt)
        if usage.kind == U.RETURNED:
            usage = self._usage_through_callers(usage)
        kind = usage.kind
        if lightning_step and kind == U.RETURNED and not self.heap.frozen(state, oid):
            kind = U.TRAINING  # Lightning runs backward and the optimizer on what training_step returns
        grad_off = all(g.kind == OFF for g in grads) or managed_grad
        target = False
        if grad_off and kind in (U.TRAINING, U.GRADIENT, U.MIXED) and info.optimized is not None:
            # its output feeds a loss, but no graph is built, and its own parameters go to an
            # optimizer: trained in another step (a GAN's generator during the critic step,
            # pseudo-labels from the model being trained), neither frozen nor an inference
            kind = "detached"
        elif grad_off and kind in (U.TRAINING, U.GRADIENT) and (self.heap.part_of_trained(oid) or (
                self.optimizers_seen and self.heap.frozen(state, oid) and not self.heap.optimized_near(oid))):
            # its output feeds a loss, but no graph is built: the frozen part of a model
            # being trained (`with no_grad(): feats = model.backbone(x)`), see EG004; or a
            # separate module frozen with requires_grad=False (a feature extractor kept
            # apart from the trained head)
            self.heap.freeze(state, oid, FreezeFact(node, f"`{code_of(node)}` runs under no_grad in a training step",
                                                    expr=code_of(receiver_node, 200)))
            kind = "frozen-part"
        elif grad_off and kind in (U.TRAINING, U.GRADIENT, U.MIXED):
            target = kind != U.MIXED
            kind = U.PLAIN  # no graph is built: a teacher, a target network, an eval branch
        signals: list[str] = []
        volatile = any(a == VOLATILE for a in (args or []))
        if kind not in (U.TRAINING, U.GRADIENT, U.MIXED, U.LOSS, U.DISCARDED, "frozen-part", "detached"):
            signals = self._inference_signals(node, method, grads, usage, volatile)
        modes = self._training_modes(oid, state) if kind == U.TRAINING else self._effective_modes(oid, state)
        if kind in (U.PLAIN, U.RETURNED) and not target and info.kind == MODULE and _explicitly_evaluated(modes) \
                and not (frame.func is not None and frame.func.name.value.startswith("__")):  # shape probes in __init__
            # `model.eval()` and then a forward whose result reaches no backward pass: the
            # code itself says this run is an inference
            signals.append(f"`{describe(next(iter(modes)))}` put it in eval mode for this")
        frozen_parts = () if signals else self._frozen_parts(oid, state, code_of(receiver_node))
        visit = Visit(modes, grads, tuple(signals), kind if not signals else "inference", self.call_stack(),
                      self.loop_stack(), frozen_parts, self.heap.optimized_near(oid) or not self.optimizers_seen,
                      volatile, managed_grad, target, self._fully_frozen(oid, state))
        event = self.events.get(node)
        if event is None:
            event = self.events[node] = ForwardEvent(node, code_of(receiver_node), info, self.heap.sensitive(oid))
        event.add(visit)

    def _inference_signals(self, node: cst.Call, method: Optional[str], grads: frozenset, usage: U.Usage,
                           volatile: bool) -> list[str]:
        signals: list[str] = []
        off = [g for g in grads if g.kind == OFF]
        if off:
            signals.append("gradients are disabled here")
        if method in ("predict", "predict_proba", "generate"):
            signals.append(f"`.{method}()` is an inference call")
        elif method == "trace":
            signals.append("`torch.jit.trace` records this run into the exported graph")
        settings = self.settings
        for f in reversed(self.frames):
            name = f.func.name.value if f.func is not None else None
            if name and (K.is_inference_function_name(name) or (settings and settings.is_inference_function(name))):
                signals.append(f"it runs inside `{name}()`")
                break
        for it in reversed(self.frame.iters):
            text = code_of(it, 200)
            if K.is_inference_loader_name(text) or (settings and settings.is_inference_loader(text)):
                signals.append(f"it iterates `{code_of(it)}`")
                break
        if usage.prediction:
            signals.append("its output is used as a prediction")
        if volatile:
            signals.append("its input is a `Variable(..., volatile=True)`")
        return signals

    def _usage_through_callers(self, usage: U.Usage) -> U.Usage:
        """A result handed back to the caller is used as the caller uses the call
        (`def perceptual_loss(...): return mse(vgg(sr), vgg(hr))` feeds `loss.backward()`)."""
        depth = len(self.frames) - 1
        found = usage
        while found.kind == U.RETURNED and depth > 0:
            call, caller = self.frames[depth].call, self.frames[depth - 1]
            if not isinstance(call, cst.Call) or caller.stmt is None:
                break
            found = self.scope_usage(caller.func or self.module).classify(call, caller.stmt)
            depth -= 1
        # only a backward pass up the chain changes what the forward is for (a caller that
        # discards or prints the result says nothing about it)
        return found if found.kind in (U.TRAINING, U.GRADIENT, U.MIXED) else usage

    def _in_lightning_training_step(self, receiver: cst.CSTNode) -> bool:
        """`self.model(**batch)` right in a LightningModule's `training_step`: Lightning's fit
        loop never calls `train()`, so a submodule that `__init__` loaded in eval mode
        (HF `from_pretrained`) trains in eval mode (idioms §3)."""
        frame = self.frame
        if frame.func is None or frame.cls is None or not _lightning_training_step(frame.func, frame.cls):
            return False
        if isinstance(receiver, cst.Name):  # `self(x)`: the module's own forward, with its frozen parts
            return receiver.value == "self"
        return isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) and receiver.value.value == "self"

    def _fully_frozen(self, oid: int, state: State) -> bool:
        """All its parameters are frozen (`model.requires_grad_(False)`): a forward pass
        without grad-requiring inputs builds no graph (SpeechBrain's inference classes)."""
        return any(not f.partial for f in self.heap.frozen(state, oid))

    def _in_unit_test(self) -> bool:
        for f in self.frames:
            if f.func is not None and f.func.name.value.startswith("test_"):
                return True
            if f.cls is not None and f.cls.name.startswith("Test"):
                return True
        return False

    def _training_modes(self, oid: int, state: State) -> frozenset:
        """For a training step: the modes of the parts that are trained (a model whose
        optimizer only gets its head trains the head; the frozen rest may be in eval)."""
        heap = self.heap
        if heap.optimized_above(oid) or not self.optimizers_seen:
            return heap.mode(state, oid)
        trained = [d for d in heap.descendants(oid) if heap.objects[d].optimized is not None]
        if not trained:
            return heap.mode(state, oid)
        out: frozenset = frozenset()
        for d in trained:
            out |= heap.mode(state, d)
        return out

    def _effective_modes(self, oid: int, state: State) -> frozenset:
        """The module's modes; for a wrapper of this file that builds no mode-sensitive
        layer of its own, the modes of the modules it wraps (they keep their own mode)."""
        info = self.heap.objects[oid]
        if info.cls is not None and info.cls.sensitive is False and info.contains:
            out: frozenset = frozenset()
            for child in info.contains:
                if self.heap.sensitive(child) is not False:
                    out |= self.heap.mode(state, child)
            return out or self.heap.mode(state, oid)
        return self.heap.mode(state, oid)

    def _left_out_of_optimizer(self, oid: int, state: State) -> dict[int, FreezeFact]:
        """When only some parts of a trained model go to the optimizer, the others are
        frozen: the known child modules left out, or else the model itself ("the rest")."""
        heap = self.heap
        if not self.optimizers_seen or heap.optimized_above(oid):
            return {}
        optimized = [d for d in heap.descendants(oid) if heap.objects[d].optimized is not None]
        if not optimized:
            return {}
        opt = heap.objects[optimized[0]].optimized
        fact = FreezeFact(opt, f"only `{heap.objects[optimized[0]].name}` is given to the optimizer (`{code_of(opt)}`)", True)
        keep = set(optimized)
        for d in optimized:
            keep |= set(heap.ancestors(d))
        info = heap.objects[oid]
        current = [c for attr, c in info.children.items() if (oid, attr) not in state.attrs]  # not replaced since
        children = [c for c in (*current, *info.contains) if heap.objects[c].is_module_like]
        left = {c: fact for c in children if c not in keep and not any(a in optimized for a in heap.ancestors(c))}
        if left:
            return left
        return {oid: fact}

    def _moving(self, part: int) -> bool:
        """An EMA/momentum copy (or a part of one): its weights move, it is not frozen."""
        heap = self.heap
        for p in (part, *heap.ancestors(part)):
            info = heap.objects[p]
            if info.moving:
                return True
            holders = [(info.parent, info.attr)] if info.parent is not None else []
            holders += [(c, heap.held_as.get((c, p), "")) for c in heap.containers.get(p, ())]
            for holder, attr in holders:
                cls = heap.objects[holder].cls
                if cls is not None and attr in cls.moving_attrs:
                    return True
        return False

    def _attr_path(self, part: int, root: int) -> Optional[tuple[str, ...]]:
        """`("backbone", "layer1")` when `part` is `root.backbone.layer1` (through attribute
        children and modules assigned to attributes); None when no attribute path leads there."""
        heap = self.heap
        paths: dict[int, tuple[str, ...]] = {root: ()}
        todo = [root]
        while todo:
            cur = todo.pop(0)
            if cur == part:
                return paths[cur]
            edges = [(a, c) for a, c in heap.objects[cur].children.items() if a != "[]"]
            edges += [(a, c) for (p, c), a in heap.held_as.items() if p == cur]
            for attr, child in edges:
                if child not in paths:
                    paths[child] = paths[cur] + (attr,)
                    todo.append(child)
        return None

    def _trained_paths(self, root: int) -> tuple[tuple[str, ...], ...]:
        out = []
        for d in self.heap.descendants(root):
            if self.heap.objects[d].optimized is not None:
                path = self._attr_path(d, root)
                if path is None:
                    return ()
                out.append(path)
        return tuple(out)

    def _frozen_parts(self, oid: int, state: State, receiver: str) -> tuple[FrozenPart, ...]:
        parts: list[FrozenPart] = []
        left_out = self._left_out_of_optimizer(oid, state)
        candidates = [oid, *self.heap.descendants(oid)]
        for part in candidates:
            if self._moving(part):
                continue
            if _parameterless_norm(self.heap.objects[part]):
                continue  # BatchNorm(affine=False): nothing to freeze, its statistics are meant to update
            freezes = self.heap.frozen(state, oid) if part == oid else state.frozen.get(part, frozenset())
            if part in left_out:
                freezes = freezes | {left_out[part]}
            if not freezes:
                continue
            if self.heap.bn_safe(part):
                continue
            modes = frozenset(f for f in self.heap.mode(state, part) if f.kind in (TRAIN, FRESH) and f.bn_eval is None)
            if modes:
                # name the part from the module whose .train() put it in training mode
                trains = [f.target for f in modes if f.kind == TRAIN and f.target >= 0]
                path = self._attr_path(part, trains[0] if trains else oid)
                name = ".".join([receiver, *path]).replace(".[...]", "[...]") if path is not None else self.heap.objects[part].name
                trained = self._trained_paths(part) if path == () else ()
                parts.append(FrozenPart(self.heap.objects[part], name, freezes, modes, self.heap.has_bn(part), path, trained))
        return tuple(parts)


# ---------------------------------------------------------------------------------------
# small syntactic helpers


def _with_item(seq: TupleValue, key: object, value: Value) -> Value:
    """The sequence after `seq[key] = value` (unknown when the key is not known)."""
    if seq.keys is not None and key is not NOT_CONSTANT:
        if key in seq.keys:
            i = seq.keys.index(key)
            return TupleValue(seq.items[:i] + (value,) + seq.items[i + 1:], seq.keys, is_dict=True)
        return TupleValue(seq.items + (value,), seq.keys + (key,), is_dict=True)
    if not seq.is_dict and isinstance(key, int) and not isinstance(key, bool) and -len(seq.items) <= key < len(seq.items):
        i = key % len(seq.items)
        return TupleValue(seq.items[:i] + (value,) + seq.items[i + 1:])
    return UNKNOWN_VALUE


def _element_per_item(node) -> bool:
    """`[m.training for m in modules]`: one plain loop whose element runs no code."""
    comp = node.for_in
    return (isinstance(node, (cst.ListComp, cst.GeneratorExp)) and comp.inner_for_in is None and not comp.ifs
            and isinstance(comp.target, cst.Name) and isinstance(node.elt, (cst.Name, cst.Attribute))
            and not isinstance(comp.asynchronous, cst.Asynchronous))


def _explicitly_evaluated(modes: frozenset) -> bool:
    """Every mode the module may be in comes from an explicit `.eval()` / `.train(False)`."""
    return bool(modes) and all(
        f.kind == EVAL and not f.loader and isinstance(f.node, cst.Call) and isinstance(f.node.func, cst.Attribute)
        and f.node.func.attr.value in ("eval", "train") for f in modes)


def _leaves_block(body: cst.BaseSuite) -> bool:
    """Does the block hold a `continue`/`break`/`return`/`raise` (it skips what follows)?"""
    return any(isinstance(n, (cst.Continue, cst.Break, cst.Return, cst.Raise)) for n in walk(body, prune=prune_scopes))


def _parameterless_norm(info) -> bool:
    """`nn.BatchNorm1d(d, affine=False)`: a normalisation layer with no parameters."""
    node = info.node
    if not (isinstance(node, cst.Call) and "Norm" in info.ext_class):
        return False
    return any(arg.keyword is not None and arg.keyword.value in ("affine", "elementwise_affine")
               and constant(arg.value) is False for arg in node.args)


def _lightning_training_step(func: cst.FunctionDef, cls: Optional[ClassInfo]) -> bool:
    return cls is not None and cls.is_lightning and func.name.value == "training_step"


def _is_property(fnode: cst.FunctionDef) -> bool:
    return any((dotted(d.decorator) or "").rsplit(".", 1)[-1] in ("property", "cached_property")
               for d in fnode.decorators)


def _dict_view(d: TupleValue, method: str) -> TupleValue:
    """`d.values()`, `d.items()`, `d.keys()` of a dict known key by key."""
    keys = tuple(Const(k) for k in d.keys or ())
    if method == "values":
        return TupleValue(d.items)
    if method == "keys":
        return TupleValue(keys)
    return TupleValue(tuple(TupleValue((k, v)) for k, v in zip(keys, d.items)))


def _zipped(qual: str, args: list[Value]) -> Optional[TupleValue]:
    """`zip(a, b)` / `enumerate(a)` over sequences known item by item (`*modules`, the
    flags saved from them), so that `for m, was in zip(modules, flags): m.train(was)`
    restores each module."""
    if not all(isinstance(a, TupleValue) for a in args):
        return None
    if qual == "enumerate":
        if len(args) != 1:
            return None
        return TupleValue(tuple(TupleValue((Const(i), item)) for i, item in enumerate(args[0].items)))
    return TupleValue(tuple(TupleValue(row) for row in zip(*(a.items for a in args))))


def _default(param: cst.Param) -> Value:
    """A parameter's default value when the call does not pass it (constants only)."""
    value = constant(param.default) if param.default is not None else NOT_CONSTANT
    return Const(value) if value is not NOT_CONSTANT else UNKNOWN_VALUE


def _receiver_source(call: cst.Call) -> str:
    """`model.backbone` for `model.backbone.requires_grad_(False)`."""
    return source_of(call.func.value) if isinstance(call.func, cst.Attribute) else ""


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left, right = test.left, test.comparisons[0].comparator
        names = {dotted(left), dotted(right)}
        strings = [constant(x) for x in (left, right)]
        return "__name__" in names and "__main__" in strings
    return False


def _rooted_at_self(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return isinstance(expr, cst.Name) and expr.value == "self"


@dataclass
class _MethodScan:
    """What a method of a module class does to `self`: changes its mode, calls it."""

    mode_change: bool = False
    self_forward: bool = False
    moves_parameters: bool = False  # `zip(a.parameters(), b.parameters())`: a momentum update

    @classmethod
    def of(cls, fnode: cst.FunctionDef) -> "_MethodScan":
        scan = cls()
        for node in walk(fnode.body, prune=prune_scopes):
            if not isinstance(node, cst.Call):
                continue
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("train", "eval", "set_training_mode") \
                    and _rooted_at_self(func.value):
                scan.mode_change = True
            if (isinstance(func, cst.Name) and func.value == "self") or (
                    isinstance(func, cst.Attribute) and func.attr.value == "forward" and _rooted_at_self(func.value)):
                scan.self_forward = True
            if isinstance(func, cst.Name) and func.value == "zip" and zipped_parameter_owners(node):
                scan.moves_parameters = True
        return scan


def _helper_effects(fnode: cst.FunctionDef) -> set[str]:
    """What a helper given to `module.apply(fn)` does to each submodule: `bn_eval`
    (BatchNorm layers put in eval), `eval`, `bn_safe` (stats frozen), `freeze`."""
    params = list(fnode.params.params)
    if not params:
        return set()
    param = params[0].name.value
    effects: set[str] = set()

    def scan(node: cst.CSTNode, bn_guard: bool) -> None:
        if isinstance(node, cst.If):
            text = code_of(node.test, 400)
            guard = bn_guard or "Norm" in text or "bn" in text.lower()
            scan(node.test, bn_guard)
            scan(node.body, guard)
            if node.orelse is not None:
                scan(node.orelse, bn_guard)
            return
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("eval", "train") and dotted(func.value) == param:
                if func.attr.value == "eval" or (node.args and constant(node.args[0].value) is False):
                    effects.add("bn_eval" if bn_guard else "eval")
            if isinstance(func, cst.Attribute) and func.attr.value == "requires_grad_" and node.args \
                    and constant(node.args[0].value) is False:
                effects.add("freeze")
        elif isinstance(node, cst.Assign):
            for t in node.targets:
                if isinstance(t.target, cst.Attribute):
                    attr = t.target.attr.value
                    if attr in ("track_running_stats", "requires_grad") and constant(node.value) is False:
                        effects.add("bn_safe" if attr == "track_running_stats" else "freeze")
                    if attr == "momentum" and constant(node.value) == 0:
                        effects.add("bn_safe")
        elif isinstance(node, cst.Name) and node.value.startswith("FrozenBatchNorm"):
            effects.add("bn_safe")
        for child in children(node):
            scan(child, bn_guard)

    scan(fnode.body, False)
    return effects
