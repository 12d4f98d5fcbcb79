"""Errors of the dynamic checker that the command line turns into exit status 2."""
from __future__ import annotations

import importlib.util

INSTALL_HINT = "pip install 'evalguard[torch]'"


class DynamicError(Exception):
    """A `--confirm` or `probe` request that cannot be carried out; the message says why."""


class TorchMissing(DynamicError):
    """PyTorch cannot be imported: the dynamic checker runs models and needs it."""

    def __init__(self, detail: str = ""):
        why = f" ({detail})" if detail else ""
        super().__init__(
            f"PyTorch is not installed{why}: `evalguard check --confirm` and `evalguard probe` run your model "
            f"and need it. Install the extra: {INSTALL_HINT}"
        )


class ConfirmError(DynamicError):
    """`--confirm` was given something it cannot run."""


class ProbeError(DynamicError):
    """`probe` could not load or run the target."""


def require_torch() -> None:
    """Fail early, without importing torch (the linter's process stays light)."""
    try:
        found = importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError) as exc:
        raise TorchMissing(str(exc)) from None
    if not found:
        raise TorchMissing()
