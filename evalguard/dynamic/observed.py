"""The child's record, parsed into what matching needs (no torch here: this runs in the
linter's process). Files are absolute real paths; lines are 1-based."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

Place = tuple[str, int]

GRAD_TEXT = {"grad": "with autograd on", "no_grad": "under no_grad", "inference": "under inference_mode"}


@dataclass(frozen=True)
class Combo:
    """Forward calls from one place that ran in the same state."""

    training: bool  # the called module's own flag
    layers: str  # its mode-sensitive layers: none / all-train / all-eval / mixed
    grad: str  # grad / no_grad / inference
    graph: bool  # the output had a grad_fn
    calls: int
    backward: int  # how many of those calls' outputs took part in a backward pass
    stepped: int  # how many of those backward passes an optimizer step followed

    @property
    def train_mode(self) -> bool:
        """The module was in training mode and it made a difference."""
        return self.training and self.layers in ("all-train", "mixed")

    @property
    def eval_mode(self) -> bool:
        return not self.training and self.layers == "all-eval"

    @property
    def unused(self) -> int:
        """Calls whose output never took part in a backward pass."""
        return self.calls - self.backward

    def describe(self) -> str:
        mode = "training" if self.training else "eval"
        state = {"none": "no mode-sensitive layers", "all-train": "", "all-eval": "",
                 "mixed": "some mode-sensitive layers in the other mode"}[self.layers]
        state = f" ({state})" if state else ""
        used = (f", {self.backward} used in a backward pass ({self.stepped} followed by an optimizer step)"
                if self.backward else "")
        return f"{self.calls}× in {mode} mode{state} {GRAD_TEXT[self.grad]}{used}"


@dataclass
class Forward:
    """Top-level forward calls of one module class along one call path."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    chain: tuple[Place, ...]  # outermost first; the last is (path, line)
    module: str
    sensitive: dict[str, int]
    combos: list[Combo]
    batch_sizes: list[int]
    train_layers: list[str]
    bn_drift: list[dict[str, Any]]
    bn_single: list[dict[str, Any]]
    impact: Optional[dict[str, Any]]
    last_step: int  # optimizer steps taken before the latest call
    repeated: bool  # two calls with no optimizer step between them
    in_init: bool  # made while a module was being built
    places: frozenset[Place] = field(init=False)

    def __post_init__(self) -> None:
        self.places = frozenset(self.chain)

    def through(self, path: str, lines: Iterable[int]) -> bool:
        return any((path, line) in self.places for line in lines)

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.combos)

    @property
    def backward(self) -> int:
        return sum(c.backward for c in self.combos)

    def describe(self) -> str:
        return "; ".join(c.describe() for c in sorted(self.combos, key=lambda c: -c.calls))

    def inference_context(self, optimizer_steps: int) -> bool:
        """No output from here ever fed a backward pass, and the calls are not part of the
        training steps: two of them ran with no optimizer step between, or the last one
        after the last step (a script without optimizer has no steps at all). A no_grad
        forward once per step — a GAN's fakes for the critic, a frozen feature extractor,
        a momentum encoder — is training, not inference; nor is a dummy forward made
        while a module is built (to infer shapes)."""
        return not self.backward and not self.in_init and (self.repeated or self.last_step == optimizer_steps)


@dataclass(frozen=True)
class DropoutCall:
    path: str
    line: int
    column: int
    function: str
    calls: int
    active_in_eval: int
    module: Optional[str]


@dataclass
class Observed:
    forwards: list[Forward]
    dropouts: list[DropoutCall]
    mode_calls: list[tuple[frozenset[Place], bool, int]]  # (places on the call path, mode, calls)
    forward_calls: int
    optimizer_steps: int
    loaders: dict[str, int]
    internal_errors: dict[str, Any]  # the tracer's own failures: {"count": n, "first": [traceback, ...]}

    @classmethod
    def parse(cls, record: dict[str, Any]) -> "Observed":
        files = record.get("files", [])

        def chain(items: list) -> tuple[Place, ...]:
            return tuple((files[i], line) for i, line in items)

        forwards = []
        for f in record.get("forwards", []):
            idx, line, col, end_line, end_col = f["position"]
            forwards.append(Forward(
                files[idx], line, col, end_line, end_col, chain(f["chain"]), f["module"], f["sensitive"],
                [Combo(c["training"], c["layers"], c["grad"], c["graph"], c["calls"], c["backward"], c["stepped"])
                 for c in f["combos"]],
                f["batch_sizes"], f["train_layers"], f["bn_drift"], f["bn_single"], f["impact"],
                f["last_step"], f["repeated"], f["in_init"],
            ))
        dropouts = [
            DropoutCall(files[d["position"][0]], d["position"][1], d["position"][2], d["function"], d["calls"],
                        d["active_in_eval"], d["module"])
            for d in record.get("dropout_calls", [])
        ]
        modes = [(frozenset(chain(m["chain"])), m["mode"], m["calls"]) for m in record.get("mode_calls", [])]
        return cls(forwards, dropouts, modes, record.get("forward_calls", 0), record.get("optimizer_steps", 0),
                   record.get("loaders", {}), record.get("internal_errors", {"count": 0, "first": []}))

    def forwards_through(self, path: str, lines: Iterable[int]) -> list[Forward]:
        wanted = list(lines)
        return [f for f in self.forwards if f.through(path, wanted)]

    def mode_call_ran(self, path: str, line: int, mode: bool) -> bool:
        return any(m == mode and (path, line) in places for places, m, _ in self.mode_calls)


def impact_text(impact: Optional[dict[str, Any]]) -> str:
    """`in eval mode the output differs by …` for a measured replay; the reason otherwise."""
    if not impact:
        return ""
    if "error" in impact:
        return f"eval-mode impact {impact['error']}"
    text = (f"replayed in eval mode on the same inputs, the output differs by up to {impact['max_abs']:.3g} "
            f"({impact['relative']:.1%} of its largest value)")
    if impact.get("pred_changed") is not None:
        text += f" and {impact['pred_changed']:.0%} of the argmax predictions change"
    return text
