"""What a train-mode inference costs: replay the same forward once on a deep copy of the
module in eval mode, on a copy of the same inputs, and compare the outputs. The user's
module, its BatchNorm statistics and the random number generators are left untouched."""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from evalguard.dynamic import layers

#: modules larger than this are not copied
MAX_BYTES = 2 << 30


class NotMeasured(Exception):
    """Why there is no measurement; the message completes "not measured: …"."""


def snapshot(module: nn.Module, args: tuple) -> tuple[nn.Module, Any]:
    """Copies of the module and its inputs, taken *before* the forward runs (a training-mode
    forward updates BatchNorm running statistics; an in-place one may change its inputs)."""
    size = sum(t.numel() * t.element_size() for t in module.state_dict().values() if isinstance(t, torch.Tensor))
    if size > MAX_BYTES:
        raise NotMeasured(f"the module is larger than {MAX_BYTES >> 30} GiB")
    try:
        replica = copy.deepcopy(module)
    except Exception as exc:  # modules holding unpicklable state, ...
        raise NotMeasured(f"could not copy the module ({type(exc).__name__}: {exc})") from None
    _drop_user_hooks(replica)
    return replica, layers.clone_inputs(args)


def measure(replica: nn.Module, inputs: Any, kwargs: dict[str, Any], output: Any) -> dict[str, Any]:
    """Run the replica in eval mode without gradients and compare with the actual output."""
    try:
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            replica.eval()
            reference = replica(*inputs, **kwargs)
    except Exception as exc:
        return {"error": f"not measured: the eval-mode replay failed ({type(exc).__name__}: {exc})"}
    diff = layers.compare(output, reference)
    return diff.to_json() if diff else {"error": "not measured: no floating-point output to compare"}


def _drop_user_hooks(module: nn.Module) -> None:
    """The replica must not run the user's own forward hooks (they would record into the
    user's lists); torch's own hooks (weight_norm, pruning) are part of the computation."""
    for sub in module.modules():
        for attr in ("_forward_hooks", "_forward_pre_hooks"):
            hooks = getattr(sub, attr, None)
            if hooks:
                for key in [k for k, h in hooks.items() if not _from_torch(h)]:
                    del hooks[key]


def _from_torch(hook: Any) -> bool:
    owner = getattr(hook, "__module__", None) or type(hook).__module__
    return isinstance(owner, str) and owner.split(".")[0] == "torch"
