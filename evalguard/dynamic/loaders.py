"""Cut every DataLoader iteration to N batches, so that `--confirm` runs each epoch,
validation pass and test loop briefly while the loops around them (epochs) run as
written — mode bugs often show only from the second epoch on."""
from __future__ import annotations

from typing import Any, Callable, Optional

from torch.utils.data import DataLoader


class LoaderCut:
    """Patches `DataLoader.__iter__` (subclasses that call `super().__iter__()` are cut too)."""

    def __init__(self, max_batches: int):
        self.max_batches = max_batches
        self.iterations = 0
        self.cut = 0
        self._original: Optional[Callable] = None

    def install(self) -> None:
        original = self._original = DataLoader.__iter__
        limiter = self

        def __iter__(loader: DataLoader) -> Any:
            limiter.iterations += 1
            return _Limited(original(loader), limiter)

        DataLoader.__iter__ = __iter__

    def uninstall(self) -> None:
        if self._original is not None:
            DataLoader.__iter__ = self._original
            self._original = None

    def to_json(self) -> dict[str, int]:
        return {"max_batches": self.max_batches, "iterations": self.iterations, "cut": self.cut}


class _Limited:
    """The loader's own iterator, stopped after `max_batches`; anything else is delegated."""

    def __init__(self, inner: Any, limiter: LoaderCut):
        self._inner = inner
        self._limiter = limiter
        self._left = limiter.max_batches

    def __iter__(self) -> "_Limited":
        return self

    def __next__(self) -> Any:
        if self._left <= 0:
            if self._left == 0:
                self._left = -1
                try:
                    more = len(self._inner) > self._limiter.max_batches
                except TypeError:  # an iterable dataset: assume there was more
                    more = True
                self._limiter.cut += more
            raise StopIteration
        self._left -= 1
        return next(self._inner)

    def __len__(self) -> int:
        return min(len(self._inner), self._limiter.max_batches)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
