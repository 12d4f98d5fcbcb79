"""What makes a module mode-sensitive, what counts as frozen, and how two outputs differ.

Shared by the tracer (inside the script's process) and `probe`; imports torch, so only
the child bootstrap and `probe` import this module.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.dropout import _DropoutNd
from torch.nn.modules.instancenorm import _InstanceNorm

#: TorchScript modules keep the Python class name in `original_name`
_SCRIPT_DROPOUT = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"}
_SCRIPT_NORM = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm",
                "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"}

#: a class is "user code" (its own `self.training` branches count) when this says so
UserCode = Callable[[type], bool]


def type_name(module: nn.Module) -> str:
    """The class name the user knows: TorchScript keeps it in `original_name`, and
    `torch.compile` wraps the module in an `OptimizedModule`."""
    if isinstance(module, torch.jit.ScriptModule):
        return getattr(module, "original_name", type(module).__name__)
    if type(module).__name__ == "OptimizedModule":
        return f"{type_name(module._orig_mod)} (compiled)"
    return type(module).__name__


def is_batchnorm(module: nn.Module) -> bool:
    """BatchNorm that keeps running statistics (the kind that drifts and that fails on a
    single value per channel)."""
    if isinstance(module, _BatchNorm):
        return True
    return isinstance(module, torch.jit.ScriptModule) and type_name(module).startswith(("BatchNorm", "SyncBatchNorm"))


def sensitive_kind(module: nn.Module, user_code: UserCode) -> Optional[str]:
    """The layer's type name when its output depends on `training`, else None: Dropout
    with p > 0, Batch/InstanceNorm tracking running stats, multi-layer RNNs and attention
    with dropout, and classes of the user's own code whose `forward` reads `self.training`."""
    if isinstance(module, torch.jit.ScriptModule):
        name = type_name(module)
        if name in _SCRIPT_DROPOUT:
            return name if getattr(module, "p", 0.5) > 0 else None
        if name in _SCRIPT_NORM:
            return name if getattr(module, "track_running_stats", True) else None
        return None
    if isinstance(module, _DropoutNd):
        return type(module).__name__ if module.p > 0 else None
    if isinstance(module, (_BatchNorm, _InstanceNorm)):
        return type(module).__name__ if module.track_running_stats else None
    if isinstance(module, nn.RNNBase):
        return type(module).__name__ if module.dropout > 0 and module.num_layers > 1 else None
    if isinstance(module, nn.MultiheadAttention):
        return "MultiheadAttention" if module.dropout > 0 else None
    cls = type(module)
    if user_code(cls) and reads_training(cls):
        return cls.__name__
    return None


def reads_training(cls: type) -> bool:
    forward = getattr(cls, "forward", None)
    code = getattr(forward, "__code__", None)
    return code is not None and "training" in code.co_names


def frozen_reason(module: nn.Module, optimized: set[int]) -> Optional[str]:
    """Why the module's own parameters never train — `requires_grad`, or left out of
    every optimizer (only once an optimizer exists) — or None when they train or it has none."""
    has_params = trains = False
    for p in module._parameters.values():  # runs on every BatchNorm call: keep it lean
        if p is None:
            continue
        has_params = True
        if p.requires_grad:
            if id(p) in optimized:
                return None
            trains = True
    if not has_params:
        return None
    if not trains:
        return "requires_grad"
    return "optimizer" if optimized else None


def all_frozen(module: nn.Module) -> Optional[bool]:
    """True when every parameter has requires_grad=False; None when it has none."""
    flags = [p.requires_grad for p in module.parameters()]
    return None if not flags else not any(flags)


def tensors(obj: Any, limit: int = 8) -> list[torch.Tensor]:
    """The tensors in a forward's output, in order: tensors, tuples/lists, mappings (HF
    `ModelOutput` is one)."""
    out: list[torch.Tensor] = []
    for t in _walk(obj, 0):
        out.append(t)
        if len(out) >= limit:
            break
    return out


def _walk(obj: Any, depth: int) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif depth > 4:
        return
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _walk(item, depth + 1)
    elif isinstance(obj, Mapping):
        for item in obj.values():
            yield from _walk(item, depth + 1)


def clone_inputs(obj: Any) -> Any:
    """A copy of a forward's arguments with every tensor detached and cloned, so that an
    in-place forward cannot change what the eval-mode replay sees."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(clone_inputs(v) for v in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(clone_inputs(v) for v in obj)
    if isinstance(obj, dict):
        return {k: clone_inputs(v) for k, v in obj.items()}
    return obj


@dataclass
class Diff:
    """How far one output is from another: the largest absolute difference, that relative
    to the largest reference value, and (for logits) the share of argmax predictions that change."""

    max_abs: float
    relative: float
    pred_changed: Optional[float]

    def to_json(self) -> dict[str, Any]:
        return {"max_abs": self.max_abs, "relative": self.relative, "pred_changed": self.pred_changed}


def compare(actual: Any, reference: Any) -> Optional[Diff]:
    """Compare the floating-point tensors of two outputs pairwise (same shapes only)."""
    max_abs, scale, changed, total = 0.0, 0.0, 0, 0
    compared = False
    for a, b in zip(tensors(actual), tensors(reference)):
        if a.shape != b.shape or not a.is_floating_point() or not b.is_floating_point() or a.numel() == 0:
            continue
        a, b = a.detach().float(), b.detach().float().to(a.device)
        compared = True
        max_abs = max(max_abs, _finite((a - b).abs().max().item()))
        scale = max(scale, _finite(b.abs().max().item()))
        if a.dim() >= 2 and a.shape[-1] > 1:
            changed += int((a.argmax(-1) != b.argmax(-1)).sum().item())
            total += a.numel() // a.shape[-1]
    if not compared:
        return None
    return Diff(max_abs, max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf),
                changed / total if total else None)


def _finite(x: float) -> float:
    return x if math.isfinite(x) else math.inf
