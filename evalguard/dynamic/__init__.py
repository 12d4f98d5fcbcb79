"""The dynamic checker: confirm static findings by running the script, and probe a model.

Both EXECUTE the user's code: `confirm` runs the script (in a child process, never in
the caller's), `probe` imports the factory's module or unpickles a checkpoint (only with
`trust_pickle=True`) in the caller's process. Nothing here runs unless called.

This package is importable without torch; torch is imported only by the child process
and inside `probe`. Without torch, `confirm` and `probe` raise `TorchMissing`, whose
message tells the user to `pip install 'evalguard[torch]'` (the CLI exits 2).

API
---

``confirm(script, args=(), diagnostics=(), *, max_batches=2, timeout=60.0, device="cpu", cwd=None) -> ConfirmResult``
    Runs ``python SCRIPT ARGS`` under the tracer in a child process (its own process group;
    DataLoader loops cut to `max_batches`; SIGTERM then SIGKILL to the group after
    `timeout` seconds). For each given diagnostic whose path is this script, sets
    ``diagnostic.status`` to "confirmed" / "not-observed" / "not-reached" (EG006 and
    EG008 stay None: nothing to observe) and appends a `Related` note with the evidence
    (and, for a confirmed EG001/EG003, the measured output difference in eval mode).
    ``ConfirmResult.added`` holds the runtime-only findings EG101–EG104 (status
    "confirmed"); ``ConfirmResult.run`` the `RunRecord` (exit code, timed_out, error,
    traceback tail, output tail, duration; ``.ok``, ``.summary()``, ``.details()``,
    ``.to_json()``). The script's own failure is *not* an exception: it is in the
    record, and whatever was recorded until then is used. Raises `ConfirmError`
    (notebook, missing file, bad options, internal tracer error) and `TorchMissing`.

``probe(target, *, input_shape=None, kwargs=None, trust_pickle=False, device="cpu") -> ProbeReport``
    `target` is ``pkg.module:factory`` (or ``path/to/file.py:factory``), a TorchScript
    file, or a checkpoint (``torch.load(weights_only=True)`` unless `trust_pickle`).
    Raises `ProbeError` with a message for the user, and `TorchMissing`.

``render_probe_text(report, console)`` / ``probe_to_json(report) -> dict``
    The two output formats of a `ProbeReport`.

``parse_input_shape(text) -> list[int]`` / ``parse_kwargs(text) -> dict``
    The command line's `--input-shape 1,3,224,224` and `--kwargs '{"depth": 18}'`;
    ProbeError with a message for anything else.

``RULES`` / ``get_rule(code)``
    EG101–EG104 metadata (`code`, `name`, `summary`, `severity`, `docs`), the same shape
    as the static rules, for `evalguard rules` and `evalguard rule CODE`.

All errors derive from `DynamicError`; the command line prints their message and exits 2.

Wiring `check --confirm` (one script): check it statically, pass its diagnostics to
`confirm`, add `result.added` to the report (their status is already set), and show
`result.run.details()` whenever `not result.run.ok` — in every output format, since the
statuses then rest on a partial run. Reporters need only print `Diagnostic.status`.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional, Sequence

from evalguard.dynamic.confirmation import ConfirmResult, Outcome, RunRecord, confirm
from evalguard.dynamic.errors import ConfirmError, DynamicError, ProbeError, TorchMissing, require_torch
from evalguard.dynamic.probe_report import ProbeReport
from evalguard.dynamic.rules import RULES, DynamicRule, get_rule

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "RULES", "ConfirmError", "ConfirmResult", "DynamicError", "DynamicRule", "Outcome", "ProbeError", "ProbeReport",
    "RunRecord", "TorchMissing", "confirm", "get_rule", "parse_input_shape", "parse_kwargs", "probe", "probe_to_json",
    "render_probe_text",
]


def probe(target: str, *, input_shape: Optional[Sequence[int]] = None, kwargs: Optional[dict[str, Any]] = None,
          trust_pickle: bool = False, device: str = "cpu") -> ProbeReport:
    """Load `target` and report its mode-sensitive layers, frozen parts and measured
    train-vs-eval output difference (see the module docstring)."""
    require_torch()
    from evalguard.dynamic import model_probe

    return model_probe.probe(target, input_shape=input_shape, kwargs=kwargs, trust_pickle=trust_pickle, device=device)


def render_probe_text(report: ProbeReport, console: "Console") -> None:
    from evalguard.dynamic.probe_report import render_text

    render_text(report, console)


def probe_to_json(report: ProbeReport) -> dict[str, Any]:
    return report.to_json()


def parse_input_shape(text: str) -> list[int]:
    """`1,3,224,224` (commas or `x` between positive sizes) → [1, 3, 224, 224]."""
    parts = [p.strip() for p in text.replace("x", ",").replace("×", ",").split(",")]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ProbeError(f"--input-shape must be positive sizes separated by commas, like 1,3,224,224 (got {text!r})")
    return [int(p) for p in parts]


def parse_kwargs(text: str) -> dict[str, Any]:
    """A JSON object of keyword arguments for the factory."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ProbeError(f"--kwargs must be a JSON object, like '{{\"num_classes\": 10}}': {exc}") from None
    if not isinstance(value, dict):
        raise ProbeError(f"--kwargs must be a JSON object, not {type(value).__name__}")
    return value
