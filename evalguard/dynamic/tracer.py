"""The recorder that runs inside the script's process (see `bootstrap`).

Global module forward hooks see every module call. For each *top-level* call (one not
made from inside another module's forward) the tracer records, keyed by the chain of
lines in the user's files that were executing (outermost first) and the module's class:
the training flags of its mode-sensitive layers, grad/inference mode, whether the output
built a graph and whether that graph later took part in a backward pass (a pre-hook on
the output's `grad_fn`), and the batch size. Inside it, each BatchNorm call is checked for
a single value per channel in training mode (EG104) and, in layers whose parameters never
train, for running statistics that change (EG102; committed only when an optimizer step
follows, so that inference-only scripts never get it). Optimizer steps are counted too,
and which forwards' backward passes they follow. It also wraps functional dropout
(EG007 evidence) and `nn.Module.train` (which `.train()`/`.eval()` lines ran).

Everything is aggregated as it happens — counters per call site, not a log of calls —
so memory stays proportional to the number of call sites and `to_json()` can be called
at any moment, from any thread (the bootstrap writes it periodically, at exit and on SIGTERM).
"""
from __future__ import annotations

import functools
import os
import sys
import threading
import traceback
import weakref
from collections import Counter
from typing import Any, Callable, Iterable, Optional

import torch
import torch.nn.functional as F
from torch import nn
from torch.compiler import is_compiling
from torch.jit import _builtins as jit_builtins
from torch.nn.modules import module as module_hooks
from torch.nn.modules.batchnorm import _BatchNorm
from torch.optim.optimizer import register_optimizer_step_post_hook

from evalguard.dynamic import layers, patches, replay

#: innermost user frames kept per call path (deep recursion is cut here)
MAX_CHAIN = 32
#: the aten ops under F.dropout and its variants (in-place too), called through `torch._VF`
_VF_DROPOUT = tuple(f"{kind}{suffix}" for suffix in ("", "_")
                    for kind in ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"))
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep
_THIRD_PARTY = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


class Site:
    """Everything recorded for one (call path, module class)."""

    __slots__ = ("key", "position", "module", "sensitive", "combos", "batch_sizes", "train_layers",
                 "bn_drift", "bn_single", "impact", "wants_impact", "last_step", "repeated", "in_init")

    def __init__(self, key: tuple, position: tuple, wants_impact: bool):
        self.key = key
        self.position = position  # (file index, line, column, end line, end column), 1-based
        self.module = key[1]
        self.sensitive: Optional[dict[str, int]] = None
        # (module.training, sensitive-layer state, grad mode, built a graph)
        #   -> [calls, used in a backward, and then in an optimizer step]
        self.combos: dict[tuple, list[int]] = {}
        self.batch_sizes: set[int] = set()
        self.train_layers: Optional[list[str]] = None
        self.bn_drift: dict[str, dict] = {}
        self.bn_single: dict[str, list[int]] = {}
        self.impact: Optional[dict] = None
        self.wants_impact = wants_impact
        self.last_step = -1  # optimizer steps taken before the latest call from here
        self.repeated = False  # two calls from here with no optimizer step between them
        self.in_init = False  # made while a module was being built (a dummy forward to infer shapes)

    def to_json(self) -> dict[str, Any]:
        return {
            "position": list(self.position),
            "chain": [list(c) for c in self.key[0]],
            "module": self.module,
            "sensitive": self.sensitive or {},
            "combos": [
                {"training": t, "layers": state, "grad": grad, "graph": graph, "calls": n[0], "backward": n[1],
                 "stepped": n[2]}
                for (t, state, grad, graph), n in list(self.combos.items())
            ],
            "batch_sizes": sorted(self.batch_sizes),
            "train_layers": self.train_layers or [],
            "bn_drift": [dict(v) for v in list(self.bn_drift.values())],
            "bn_single": [{"layer": k, "shape": v} for k, v in list(self.bn_single.items())],
            "impact": self.impact,
            "last_step": self.last_step,
            "repeated": self.repeated,
            "in_init": self.in_init,
        }


class _Info:
    """A module's mode-sensitive layers and its layers' dotted names (computed once)."""

    __slots__ = ("sensitive", "names")

    def __init__(self, sensitive: list[tuple[str, nn.Module]], names: dict[int, str]):
        self.sensitive = sensitive
        self.names = names


class _Call:
    """A top-level forward call in flight."""

    __slots__ = ("site", "info", "mode", "replay")

    def __init__(self, site: Site, info: _Info, mode: tuple, replay: Optional[tuple]):
        self.site, self.info, self.mode, self.replay = site, info, mode, replay


class _Drift:
    """Changes of a frozen BatchNorm layer's running statistics at one site, waiting for
    an optimizer step to show that they happened in training."""

    __slots__ = ("site", "name", "layer", "reason", "calls", "change")

    def __init__(self, site: Site, name: str, layer: nn.Module, reason: str):
        self.site, self.name, self.layer, self.reason = site, name, layer, reason
        self.calls, self.change = 0, 0.0


class _Backward:
    """A grad_fn pre-hook: counts the forward as used in a backward pass, once, and
    queues it to count as part of a parameter update when an optimizer step follows."""

    __slots__ = ("counts", "awaiting", "done")

    def __init__(self, counts: list[int], awaiting: dict[int, list]):
        self.counts, self.awaiting, self.done = counts, awaiting, False

    def __call__(self, grad_outputs: Any) -> None:
        if not self.done:
            self.done = True
            self.counts[1] += 1
            entry = self.awaiting.setdefault(id(self.counts), [self.counts, 0])
            entry[1] += 1


class Tracer:
    """Install with `install()`; `to_json()` is the record the parent matches."""

    def __init__(self, root: str, *, impact_paths: Iterable[Iterable[Iterable]] = ()):
        self.root = os.path.realpath(root) + os.sep
        self.forward_calls = 0
        self.optimizer_steps = 0
        self.internal_errors = 0
        self._error_texts: list[str] = []
        self._impact = [frozenset((os.path.realpath(f), int(line)) for f, line in path) for path in impact_paths]
        self._files: list[str] = []
        self._index_of: dict[str, int] = {}
        self._sites: dict[tuple, Site] = {}
        self._dropouts: dict[tuple, dict] = {}
        self._modes: Counter = Counter()
        self._infos: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._bn_types: dict[type, bool] = {}
        self._user_types: dict[type, bool] = {}
        self._snapshots: dict[int, tuple] = {}
        self._pending: dict[tuple, _Drift] = {}
        self._awaiting_step: dict[int, list] = {}  # combos whose backward ran since the last step
        self._optimized: set[int] = set()
        self._local = threading.local()
        self._busy = False
        self._undo: list[Callable[[], None]] = []

    # -- installation ---------------------------------------------------------------

    def install(self) -> None:
        self._undo.append(module_hooks.register_module_forward_pre_hook(self._pre).remove)
        post = module_hooks.register_module_forward_hook(self._post, with_kwargs=True, always_call=True)
        self._undo.append(post.remove)
        self._undo.append(register_optimizer_step_post_hook(self._on_step).remove)
        failed = self._internal_error
        self._patch(torch.optim.Optimizer, "add_param_group",
                    lambda f: patches.add_param_group(f, self._note_optimizer, failed))
        self._patch(nn.Module, "train", lambda f: patches.module_train(f, self._note_mode, failed))
        for op in _VF_DROPOUT:
            self._patch(torch._VF, op, functools.partial(patches.vf_dropout, op=op, note=self._note_dropout,
                                                         failed=failed), builtin=f"aten::{op}")
        self._patch(F, "scaled_dot_product_attention", lambda f: patches.attention(f, self._note_dropout, failed),
                    builtin="aten::scaled_dot_product_attention")

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _patch(self, owner: Any, name: str, wrap: Callable[[Callable], Callable],
               builtin: Optional[str] = None) -> None:
        """Replace `owner.name` by a wrapper. A wrapper of an aten op (`builtin`) is
        registered as that op for TorchScript, which would otherwise try to compile it;
        where that fails, the op stays unwrapped."""
        original = getattr(owner, name)
        wrapper = wrap(original)
        if builtin is not None:
            try:
                table = jit_builtins._get_builtin_table()
                jit_builtins._register_builtin(wrapper, builtin)
            except Exception:
                return
            self._undo.append(lambda: table.pop(id(wrapper), None))
        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original))

    # -- the forward hooks ----------------------------------------------------------

    def _pre(self, module: nn.Module, args: tuple) -> None:
        # called for every module call: kept to a few attribute and dict lookups. Under
        # torch.compile, dynamo traces hooks: is_compiling() is True there, so they do nothing
        if is_compiling() or self._busy:
            return None
        try:
            local = self._local
            try:
                stack = local.stack
            except AttributeError:  # the first call on this thread
                stack = local.stack = []
                local.call = None
            if not stack:
                local.call = self._begin(module, args)
            stack.append(module)
            is_bn = self._bn_types.get(type(module))
            if is_bn is None:
                is_bn = self._bn_types[type(module)] = isinstance(module, _BatchNorm)
            if is_bn and module.training and local.call is not None:
                self._bn_pre(module, args, local.call)
        except Exception:  # a bug of the tracer must never break the user's forward
            self._internal_error()
        return None

    def _post(self, module: nn.Module, args: tuple, *rest: Any) -> None:
        # rest is (kwargs, output); after an exception in the forward torch passes (output,)
        if is_compiling() or self._busy:
            return None
        try:
            local = self._local
            stack = getattr(local, "stack", None)
            if not stack:
                return None
            if stack[-1] is module:
                stack.pop()
            else:  # a call whose pre-hook we missed, or a stack left unbalanced by an exception
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i] is module:
                        del stack[i:]
                        break
                else:
                    return None
            if self._snapshots:
                snap = self._snapshots.pop(id(module), None)
                if snap is not None and local.call is not None:
                    self._bn_post(module, snap, local.call)
            if not stack:
                call, local.call = local.call, None
                if call is not None:
                    self._end(call, rest[-1] if rest else None, rest[0] if len(rest) == 2 else {})
        except Exception:
            self._internal_error()
        return None

    def _internal_error(self) -> None:
        self.internal_errors += 1
        if len(self._error_texts) < 3:
            self._error_texts.append(traceback.format_exc(limit=-4))

    def _begin(self, module: nn.Module, args: tuple) -> Optional[_Call]:
        if torch._C._get_tracing_state() is not None or torch._C._current_graph_task_id() != -1:
            return None  # jit tracing/export, checkpoint recomputation inside backward
        chain, frame = self._chain(sys._getframe(1))
        if frame is None:
            return None  # made from library code only (a thread of DataParallel, ...)
        self.forward_calls += 1
        key = (chain, layers.type_name(module))
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = self._new_site(key, frame)
        if site.last_step == self.optimizer_steps:
            site.repeated = True
        site.last_step = self.optimizer_steps
        info = self._info(module)
        if site.sensitive is None:
            site.sensitive = dict(Counter(layers.type_name(layer) for _, layer in info.sensitive))
        n_train = 0
        for _, layer in info.sensitive:
            if layer.training:
                n_train += 1
        total = len(info.sensitive)
        state = "none" if not total else "all-train" if n_train == total else "all-eval" if not n_train else "mixed"
        grad = "inference" if torch.is_inference_mode_enabled() else "grad" if torch.is_grad_enabled() else "no_grad"
        for a in args:
            if isinstance(a, torch.Tensor):
                if a.dim() and len(site.batch_sizes) < 16:
                    site.batch_sizes.add(int(a.shape[0]))
                break
        replay = None
        if n_train and module.training:
            if site.train_layers is None:
                site.train_layers = [f"`{name}` ({layers.type_name(layer)})" for name, layer in info.sensitive
                                     if layer.training][:8]
            if site.impact is None and (grad != "grad" or site.wants_impact):
                replay = self._snapshot(site, module, args)
        return _Call(site, info, (module.training, state, grad), replay)

    def _end(self, call: _Call, output: Any, kwargs: dict) -> None:
        nodes: list = []
        for t in layers.tensors(output):
            node = t.grad_fn
            if node is not None and all(node is not n for n in nodes):
                nodes.append(node)
        key = call.mode + (bool(nodes),)
        counts = call.site.combos.get(key)
        if counts is None:
            counts = call.site.combos[key] = [0, 0, 0]
        counts[0] += 1
        if nodes:
            hook = _Backward(counts, self._awaiting_step)
            for node in nodes:
                try:
                    node.register_prehook(hook)
                except (AttributeError, RuntimeError):
                    pass
        if call.replay is not None and output is not None:
            self._replay(call, output, kwargs)

    # -- call paths -----------------------------------------------------------------

    def _chain(self, frame: Any) -> tuple[tuple, Any]:
        """(file index, line) of every frame in the user's files, outermost first, and the
        innermost such frame."""
        index_of = self._index_of
        out = []
        inner = None
        while frame is not None:
            filename = frame.f_code.co_filename
            idx = index_of.get(filename)
            if idx is None:
                idx = self._classify(filename)
            if idx >= 0:
                if inner is None:
                    inner = frame
                out.append((idx, frame.f_lineno))
                if len(out) >= MAX_CHAIN:
                    break
            frame = frame.f_back
        out.reverse()
        return tuple(out), inner

    def _classify(self, filename: str) -> int:
        """The file's index among the user's files, or -1: user code is under the script's
        directory, outside installed packages and evalguard itself."""
        idx = -1
        if filename and not filename.startswith("<"):
            real = os.path.realpath(filename)
            if real.startswith(self.root) and not real.startswith(_PACKAGE_DIR) and not any(
                part in real for part in _THIRD_PARTY
            ):
                if real in self._files:
                    idx = self._files.index(real)
                else:
                    idx = len(self._files)
                    self._files.append(real)
        self._index_of[filename] = idx
        return idx

    def _position(self, frame: Any, idx: int) -> tuple:
        line, end_line, col, end_col = frame.f_lineno, None, None, None
        try:
            pos = list(frame.f_code.co_positions())[frame.f_lasti // 2]
            if pos[0] is not None:
                line, end_line, col, end_col = pos
        except (IndexError, ValueError):
            pass
        return (idx, line, (col or 0) + 1, end_line or line, (end_col if end_col is not None else col or 0) + 1)

    def _new_site(self, key: tuple, frame: Any) -> Site:
        wants = False
        if self._impact:
            lines = {(self._files[i], line) for i, line in key[0]}
            wants = any(path <= lines for path in self._impact)
        site = Site(key, self._position(frame, key[0][-1][0]), wants)
        site.in_init = _in_module_init(frame)
        return site

    def _info(self, module: nn.Module) -> _Info:
        info = self._infos.get(module)
        if info is None:
            sensitive, names = [], {id(module): layers.type_name(module)}
            for name, sub in module.named_modules():
                if name:
                    names[id(sub)] = name
                if layers.sensitive_kind(sub, self._is_user_type):
                    sensitive.append((name or layers.type_name(module), sub))
            info = self._infos[module] = _Info(sensitive, names)
        return info

    def _is_user_type(self, cls: type) -> bool:
        known = self._user_types.get(cls)
        if known is None:
            code = getattr(getattr(cls, "forward", None), "__code__", None)
            known = False
            if code is not None:
                idx = self._index_of.get(code.co_filename)
                known = (idx if idx is not None else self._classify(code.co_filename)) >= 0
            self._user_types[cls] = known
        return known

    # -- impact: replay the forward in eval mode ------------------------------------

    def _snapshot(self, site: Site, module: nn.Module, args: tuple) -> Optional[tuple]:
        self._busy = True
        try:
            return replay.snapshot(module, args)
        except replay.NotMeasured as exc:
            site.impact = {"error": f"not measured: {exc}"}
            return None
        finally:
            self._busy = False

    def _replay(self, call: _Call, output: Any, kwargs: dict) -> None:
        self._busy = True
        try:
            call.site.impact = replay.measure(*call.replay, kwargs, output)
        finally:
            self._busy = False

    # -- BatchNorm ------------------------------------------------------------------

    def _bn_pre(self, module: _BatchNorm, args: tuple, call: _Call) -> None:
        x = args[0] if args else None
        if isinstance(x, torch.Tensor) and x.dim() >= 2 and x.shape[0] == 1 and x.numel() == x.shape[1]:
            name = call.info.names.get(id(module), layers.type_name(module))
            call.site.bn_single.setdefault(name, list(x.shape))
        if module.momentum != 0 and module.track_running_stats:  # plain attributes: cheap
            reason = layers.frozen_reason(module, self._optimized)
            if reason is not None and module.running_mean is not None:
                var = module.running_var.detach().clone() if module.running_var is not None else None
                self._snapshots[id(module)] = (module.running_mean.detach().clone(), var, reason)

    def _bn_post(self, module: _BatchNorm, snap: tuple, call: _Call) -> None:
        mean, var, reason = snap
        change = (module.running_mean - mean).abs().max().item()
        if var is not None:
            change = max(change, (module.running_var - var).abs().max().item())
        if change > 0:
            name = call.info.names.get(id(module), layers.type_name(module))
            drift = self._pending.get((call.site.key, name))
            if drift is None:
                drift = self._pending[(call.site.key, name)] = _Drift(call.site, name, module, reason)
            drift.calls += 1
            drift.change = max(drift.change, change)

    def _on_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        """An optimizer step makes the forwards whose backward ran since the last step, and
        the pending BatchNorm drift, part of a parameter update."""
        self.optimizer_steps += 1
        try:
            for counts, n in list(self._awaiting_step.values()):
                counts[2] += n
            self._awaiting_step.clear()
            self._commit_drift()
        except Exception:
            self._internal_error()

    def _commit_drift(self) -> None:
        for drift in list(self._pending.values()):
            if drift.reason == "optimizer" and layers.frozen_reason(drift.layer, self._optimized) is None:
                continue
            seen = drift.site.bn_drift.get(drift.name)
            if seen is None:
                drift.site.bn_drift[drift.name] = {"layer": drift.name, "type": layers.type_name(drift.layer),
                                                   "calls": drift.calls, "max_change": drift.change,
                                                   "frozen_by": drift.reason}
            else:
                seen["calls"] += drift.calls
                seen["max_change"] = max(seen["max_change"], drift.change)
        self._pending.clear()

    # -- what the patched functions note ------------------------------------------

    def _note_mode(self, mode: bool) -> None:
        """Which `.train()`/`.eval()` lines ran (EG003 needs its `.train()` to have run)."""
        if not self._busy:
            chain, frame = self._chain(sys._getframe(1))
            if frame is not None:
                self._modes[(chain, mode)] += 1

    def _note_optimizer(self, optimizer: Any) -> None:
        self._optimized.update(id(p) for group in optimizer.param_groups for p in group["params"])

    def _note_dropout(self, frame: Any, name: str, p: Any, training: Any) -> None:
        """Count a functional dropout made from the user's files, and whether it was active
        although the module running it was in eval mode (EG007)."""
        if self._busy or frame is None:
            return
        idx = self._index_of.get(frame.f_code.co_filename)
        if idx is None:
            idx = self._classify(frame.f_code.co_filename)
        if idx < 0:
            return
        key = (idx, frame.f_lineno)
        rec = self._dropouts.get(key)
        if rec is None:
            rec = self._dropouts[key] = {"position": list(self._position(frame, idx)), "function": name,
                                         "calls": 0, "active_in_eval": 0, "module": None}
        rec["calls"] += 1
        stack = getattr(self._local, "stack", None)
        owner = stack[-1] if stack else None
        if owner is not None and training and float(p) > 0 and not owner.training:
            rec["active_in_eval"] += 1
            rec["module"] = layers.type_name(owner)

    # -- the record -----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "files": list(self._files),
            "forward_calls": self.forward_calls,
            "optimizer_steps": self.optimizer_steps,
            "internal_errors": {"count": self.internal_errors, "first": list(self._error_texts)},
            "forwards": [site.to_json() for site in list(self._sites.values())],
            "dropout_calls": [dict(v) for v in list(self._dropouts.values())],
            "mode_calls": [{"chain": [list(c) for c in chain], "mode": mode, "calls": n}
                           for (chain, mode), n in list(self._modes.items())],
        }



def _in_module_init(frame: Any) -> bool:
    """Whether the call is made inside some module's `__init__`."""
    while frame is not None:
        if frame.f_code.co_name == "__init__" and isinstance(frame.f_locals.get("self"), nn.Module):
            return True
        frame = frame.f_back
    return False
