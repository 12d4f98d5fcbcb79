"""The functions the tracer wraps besides its module hooks. Each wrapper calls a `note`
callback, then the original; a failing note goes to `failed` and never reaches the
user's code. Imported only in the child process (it imports torch)."""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import torch.nn.functional as F
from torch.compiler import is_compiling

Failed = Callable[[], None]
_FUNCTIONAL = F.__file__


def _guard(note: Callable[..., None], failed: Failed, *args: Any) -> None:
    if is_compiling():  # dynamo traces through the wrappers: note nothing there
        return
    try:
        note(*args)
    except Exception:
        failed()


def module_train(original: Callable, note: Callable[[bool], None], failed: Failed) -> Callable:
    """`nn.Module.train` (and so `.eval()`): note the outermost call only — `.train()`
    recurses into every child."""
    inside = False

    @functools.wraps(original)
    def train(module: Any, mode: bool = True) -> Any:
        nonlocal inside
        if inside:
            return original(module, mode)
        inside = True
        try:
            _guard(note, failed, bool(mode))
            return original(module, mode)
        finally:
            inside = False

    return train


def vf_dropout(original: Callable, op: str, note: Callable[..., None], failed: Failed) -> Callable:
    """`torch._VF.dropout` and its variants, the ops under `F.dropout`, `F.dropout2d`,
    `F.alpha_dropout`, …; the note gets the frame that called the `F` function, its name,
    `p` and `training`. (Patched below `F` so that TorchScript, which compiles `F.dropout`
    from its source, meets only registered builtins.)"""

    def dropout(input: Any, p: float, train: bool) -> Any:
        if not is_compiling():
            frame = sys._getframe(1)
            function = frame.f_code.co_name if frame.f_code.co_filename == _FUNCTIONAL else op
            while frame is not None and frame.f_code.co_filename == _FUNCTIONAL:
                frame = frame.f_back
            _guard(note, failed, frame, function, p, train)
        return original(input, p, train)

    dropout.__name__ = dropout.__qualname__ = op
    return dropout


def attention(original: Callable, note: Callable[..., None], failed: Failed) -> Callable:
    """`F.scaled_dot_product_attention`: a non-zero `dropout_p` is always active."""

    @functools.wraps(original)
    def scaled_dot_product_attention(*args: Any, **kwargs: Any) -> Any:
        if not is_compiling():
            p = kwargs.get("dropout_p", args[4] if len(args) > 4 else 0.0)
            _guard(note, failed, sys._getframe(1), "scaled_dot_product_attention", p, True)
        return original(*args, **kwargs)

    return scaled_dot_product_attention


def add_param_group(original: Callable, note: Callable[[Any], None], failed: Failed) -> Callable:
    """`Optimizer.add_param_group` (the constructor calls it too): note the optimizer."""

    @functools.wraps(original)
    def wrapper(optimizer: Any, param_group: dict) -> None:
        original(optimizer, param_group)
        _guard(note, failed, optimizer)

    return wrapper
