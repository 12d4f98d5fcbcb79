"""`evalguard probe`: load a model (a factory, a TorchScript file or a checkpoint), list
its mode-sensitive layers and frozen parts, and measure on a seeded random input how far
training-mode outputs are from eval-mode ones. Loading executes code (the factory's
module, or unpickling with --trust-pickle); the forwards run on a copy of the model."""
from __future__ import annotations

import copy
import importlib
import importlib.util
import os
import pickle
import sys
import warnings
import zipfile
from typing import Any, Optional, Sequence

import torch
from torch import nn

from evalguard.dynamic import layers
from evalguard.dynamic.errors import ProbeError
from evalguard.dynamic.probe_report import Difference, FrozenPart, LayerRow, Measurement, ProbeReport

_STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model", "net", "module")


def probe(target: str, *, input_shape: Optional[Sequence[int]] = None, kwargs: Optional[dict[str, Any]] = None,
          trust_pickle: bool = False, device: str = "cpu") -> ProbeReport:
    if device == "cuda" and not torch.cuda.is_available():
        raise ProbeError("--device cuda was asked for, but torch.cuda.is_available() is False")
    obj, kind = load(target, kwargs or {}, trust_pickle, device)
    if kind == "state-dict":
        return state_dict_report(target, obj)
    model = obj.to(device) if kind in ("factory", "pickled-module") else obj
    report = model_report(target, kind, model)
    shape = list(input_shape) if input_shape else guess_input_shape(model)
    if shape is None:
        report.notes.append("the input shape could not be guessed from the first layer: pass --input-shape "
                            "(e.g. 1,3,224,224) to measure train-vs-eval outputs")
    else:
        report.measurement = measure(model, shape, device, guessed=not input_shape)
    return report


# -- loading ------------------------------------------------------------------------


def load(target: str, kwargs: dict[str, Any], trust_pickle: bool, device: str) -> tuple[Any, str]:
    if os.path.isfile(target):
        return _load_file(target, trust_pickle, device)
    if ":" in target:
        return _load_factory(target, kwargs), "factory"
    raise ProbeError(f"{target!r} is neither a file nor `pkg.module:factory` (or `path/to/file.py:factory`)")


def _load_file(path: str, trust_pickle: bool, device: str) -> tuple[Any, str]:
    if _is_torchscript(path):
        try:
            with warnings.catch_warnings():  # TorchScript is deprecated; loading it is still what the user asked
                warnings.simplefilter("ignore", DeprecationWarning)
                return torch.jit.load(path, map_location=device), "torchscript"
        except RuntimeError as exc:
            raise ProbeError(f"{path}: not a loadable TorchScript file: {exc}") from None
    try:
        obj = torch.load(path, map_location=device, weights_only=not trust_pickle)
    except pickle.UnpicklingError as exc:
        if trust_pickle:
            raise ProbeError(f"{path}: cannot unpickle: {exc}") from None
        raise ProbeError(
            f"{path} holds pickled Python objects (such as a whole nn.Module), and unpickling runs code from the "
            "file. evalguard loads checkpoints with weights_only=True; re-run with --trust-pickle only if you "
            "trust where the file came from."
        ) from None
    except (AttributeError, ModuleNotFoundError) as exc:
        raise ProbeError(f"{path}: the pickled model refers to code that cannot be imported here ({exc}); run "
                         "from the project directory so that its model classes are importable") from None
    except (RuntimeError, OSError, EOFError) as exc:
        raise ProbeError(f"{path}: not a PyTorch checkpoint: {exc}") from None
    if isinstance(obj, nn.Module):
        return obj, "pickled-module"
    state = _find_state_dict(obj)
    if state is None:
        raise ProbeError(f"{path}: holds a {type(obj).__name__}, neither a module nor a state dict")
    return state, "state-dict"


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any("/code/" in name or name.endswith("/constants.pkl") for name in zf.namelist())


def _find_state_dict(obj: Any) -> Optional[dict[str, torch.Tensor]]:
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj
    if isinstance(obj, dict):
        for key in _STATE_DICT_KEYS:
            found = _find_state_dict(obj.get(key))
            if found is not None:
                return found
    return None


def _load_factory(target: str, kwargs: dict[str, Any]) -> nn.Module:
    module_name, _, attr = target.rpartition(":")
    if module_name.endswith(".py"):
        module = _import_file(module_name)
    else:
        if os.getcwd() not in sys.path:  # as `python -m` would: the working directory's packages import
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ProbeError(f"cannot import {module_name!r}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ProbeError(f"{module_name!r} has no attribute {attr!r}") from None
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise ProbeError(f"{target} is a {type(obj).__name__}, not a callable that builds a model")
    model = obj(**kwargs)
    if not isinstance(model, nn.Module):
        raise ProbeError(f"{target}(...) returned a {type(model).__name__}, not an nn.Module")
    return model


def _import_file(path: str) -> Any:
    if not os.path.isfile(path):
        raise ProbeError(f"{path}: no such file")
    name = os.path.splitext(os.path.basename(path))[0]
    if name in sys.modules:  # never shadow a module already imported (a models file named `json.py`)
        name = f"_evalguard_probe_{name}"
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# -- what the model is --------------------------------------------------------------


def _user_code(cls: type) -> bool:
    return cls.__module__.split(".")[0] != "torch"


def model_report(target: str, kind: str, model: nn.Module) -> ProbeReport:
    params = list(model.parameters())
    report = ProbeReport(target, kind, layers.type_name(model), model.training,
                         sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad))
    for name, sub in model.named_modules():
        kind_name = layers.sensitive_kind(sub, _user_code)
        if kind_name:
            own = list(sub.parameters(recurse=False))
            frozen = None if not own else not any(p.requires_grad for p in own)
            report.layers.append(LayerRow(name or "(root)", kind_name, sub.training, frozen, _detail(sub)))
    report.frozen_parts = frozen_parts(model)
    if kind == "torchscript":
        report.notes.append("a TorchScript model keeps the mode it was saved in; call .eval() after torch.jit.load "
                            "before inference")
    return report


def _detail(m: nn.Module) -> str:
    name = layers.type_name(m)
    if "Dropout" in name:
        return f"p={getattr(m, 'p', '?')}"
    if "Norm" in name:
        return f"momentum={getattr(m, 'momentum', '?')}, track_running_stats={getattr(m, 'track_running_stats', '?')}"
    if isinstance(m, nn.RNNBase):
        return f"dropout={m.dropout}, num_layers={m.num_layers}"
    if isinstance(m, nn.MultiheadAttention):
        return f"dropout={m.dropout}"
    return "forward reads self.training"


def frozen_parts(model: nn.Module) -> list[FrozenPart]:
    """The largest submodules whose parameters all have requires_grad=False."""
    parts: list[FrozenPart] = []
    taken: list[str] = []
    for name, sub in model.named_modules():
        if any(name == t or name.startswith(t + ".") for t in taken) or layers.all_frozen(sub) is not True:
            continue
        taken.append(name)
        bns = [m for m in sub.modules() if layers.is_batchnorm(m) and getattr(m, "track_running_stats", True)]
        parts.append(FrozenPart(name or "(whole model)", sum(p.numel() for p in sub.parameters()), len(bns),
                                sum(1 for m in bns if m.training)))
        if not name:
            break
    return parts


def state_dict_report(target: str, state: dict[str, torch.Tensor]) -> ProbeReport:
    """A state dict has weights but no modules and no mode: list the BatchNorm layers that
    its buffers reveal, and say what to probe instead."""
    buffers = (".running_mean", ".running_var", ".num_batches_tracked")
    total = sum(t.numel() for k, t in state.items() if not k.endswith(buffers))
    report = ProbeReport(target, "state-dict", None, None, total, None)
    for key in state:
        if key.endswith(".running_mean"):
            prefix = key[: -len(".running_mean")]
            tracked = state.get(f"{prefix}.num_batches_tracked")
            seen = ""
            if tracked is not None and tracked.numel() == 1:
                seen = f"{int(tracked.item())} training batches seen"
            report.layers.append(LayerRow(prefix, "BatchNorm (from its buffers)", None, None, seen))
    report.notes.append("a state dict holds weights only — no modules, no mode, no requires_grad; to list the "
                        "layers' modes and measure train-vs-eval outputs, probe the code that builds the model "
                        "(`evalguard probe pkg.module:build_model`)")
    return report


# -- measuring ----------------------------------------------------------------------


def guess_input_shape(model: nn.Module) -> Optional[list[int]]:
    """A batch of two for the first layer with weights, when it is a common one."""
    try:
        return _guess(model)
    except AttributeError:  # a TorchScript layer without the attribute
        return None


def _guess(model: nn.Module) -> Optional[list[int]]:
    for m in model.modules():
        name = layers.type_name(m)
        if name == "Conv1d":
            return [2, m.in_channels, 64]
        if name == "Conv2d":
            return [2, m.in_channels, 64, 64]
        if name == "Conv3d":
            return [2, m.in_channels, 16, 32, 32]
        if name == "Linear":
            return [2, m.in_features]
        if name in ("RNN", "GRU", "LSTM"):
            return [2, 16, m.input_size] if m.batch_first else [16, 2, m.input_size]
        if name.startswith("BatchNorm1d"):
            return [2, m.num_features]
        if name == "Embedding" or list(m.parameters(recurse=False)):
            return None
    return None


def measure(model: nn.Module, shape: list[int], device: str, *, guessed: bool) -> Measurement:
    """Eval twice, then train twice, on a copy (training mode updates BatchNorm buffers)."""
    result = Measurement(shape, guessed)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(device)
    try:
        subject = copy.deepcopy(model)
    except Exception:  # some modules cannot be copied: measure the loaded model itself
        subject = model
    stage = "eval-mode"
    try:
        devices = [torch.cuda.current_device()] if device == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            torch.manual_seed(0)
            subject.eval()
            first = subject(x)
            result.eval_repeat = _difference(subject(x), first)
            stage = "training-mode"
            subject.train()
            train = subject(x)
            result.train_vs_eval = _difference(train, first)
            result.train_repeat = _difference(subject(x), train)
    except Exception as exc:
        hint = " (the shape was guessed: pass --input-shape)" if guessed else ""
        result.error = (f"the {stage} forward failed on an input of shape {tuple(shape)}{hint}: "
                        f"{type(exc).__name__}: {exc}")
    return result


def _difference(actual: Any, reference: Any) -> Optional[Difference]:
    diff = layers.compare(actual, reference)
    return None if diff is None else Difference(diff.max_abs, diff.relative, diff.pred_changed)
