"""What `evalguard probe` found, and how it is shown (rich text or JSON). No torch here:
the report is plain data, built by `model_probe`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from rich.console import Console

PROBE_JSON_VERSION = 1


@dataclass
class LayerRow:
    """A mode-sensitive layer."""

    path: str
    type: str
    training: Optional[bool]  # None: unknown (a state dict has no mode)
    frozen: Optional[bool]  # None: the layer has no parameters of its own
    detail: str


@dataclass
class FrozenPart:
    """A largest submodule whose parameters all have requires_grad=False."""

    path: str
    params: int
    batchnorm: int  # BatchNorm layers tracking running statistics inside it
    batchnorm_training: int  # of those, how many are in training mode now

    @property
    def risk(self) -> Optional[str]:
        if self.batchnorm_training:
            return (f"{self.batchnorm_training} BatchNorm layer(s) in training mode: their running statistics drift "
                    "if this part runs in training mode while the rest trains")
        if self.batchnorm:
            return "BatchNorm inside: keep this part in eval mode after every .train() of its parent"
        return None


@dataclass
class Difference:
    max_abs: float
    relative: float
    pred_changed: Optional[float]


@dataclass
class Measurement:
    """Forwards of a copy of the model on one synthetic input (seeded)."""

    input_shape: list[int]
    guessed: bool = False  # the shape was guessed from the first layer
    train_vs_eval: Optional[Difference] = None
    train_repeat: Optional[Difference] = None  # two training-mode forwards: Dropout randomness
    eval_repeat: Optional[Difference] = None  # two eval-mode forwards: determinism
    error: Optional[str] = None


@dataclass
class ProbeReport:
    target: str
    kind: str  # factory / torchscript / pickled-module / state-dict
    model: Optional[str]  # the class name; None for a state dict
    training: Optional[bool]
    params_total: int
    params_trainable: Optional[int]  # None for a state dict (no requires_grad there)
    layers: list[LayerRow] = field(default_factory=list)
    frozen_parts: list[FrozenPart] = field(default_factory=list)
    measurement: Optional[Measurement] = None
    notes: list[str] = field(default_factory=list)

    @property
    def params_frozen(self) -> Optional[int]:
        return None if self.params_trainable is None else self.params_total - self.params_trainable

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["params_frozen"] = self.params_frozen
        for part, raw in zip(self.frozen_parts, data["frozen_parts"]):
            raw["risk"] = part.risk
        return {"version": PROBE_JSON_VERSION, **data}


def render_text(report: ProbeReport, console: "Console") -> None:
    from rich.table import Table

    mode = {True: "training mode", False: "eval mode", None: "no mode (weights only)"}[report.training]
    console.print(f"[bold]{report.target}[/bold] ({report.kind}): "
                  f"{'`' + report.model + '` in ' if report.model else ''}{mode}")
    if report.layers:
        table = Table("Path", "Type", "Mode", "Frozen", "Detail", title="Mode-sensitive layers", title_justify="left")
        for row in report.layers:
            table.add_row(row.path, row.type, _mode(row.training), _yes_no(row.frozen), row.detail)
        console.print(table)
    else:
        console.print("No mode-sensitive layers (Dropout, BatchNorm, …): training and eval mode give the same "
                      "output.")
    if report.params_trainable is None:
        console.print(f"Parameters: {_count(report.params_total)}")
    else:
        console.print(f"Parameters: {_count(report.params_total)} total, {_count(report.params_trainable)} trainable, "
                      f"{_count(report.params_total - report.params_trainable)} frozen")
    if report.frozen_parts:
        table = Table("Frozen part", "Params", "BatchNorm", "Risk", title="Frozen parameters", title_justify="left")
        for part in report.frozen_parts:
            table.add_row(part.path, _count(part.params), str(part.batchnorm), part.risk or "—")
        console.print(table)
    if report.measurement is not None:
        _render_measurement(report.measurement, console)
    for note in report.notes:
        console.print(f"[bold cyan]note[/bold cyan]: {note}")


def _render_measurement(m: Measurement, console: "Console") -> None:
    from rich.table import Table

    shape = "×".join(map(str, m.input_shape)) + (" (guessed from the first layer)" if m.guessed else "")
    rows = [("train vs eval", m.train_vs_eval, "what leaving the model in training mode costs"),
            ("train vs train (repeat)", m.train_repeat, "randomness of training mode (Dropout)"),
            ("eval vs eval (repeat)", m.eval_repeat, "determinism in eval mode")]
    if any(diff is not None for _, diff, _ in rows):
        table = Table("Outputs compared", "max |Δ|", "relative", "argmax changed", "Meaning",
                      title=f"Measured on a random input of shape {shape}", title_justify="left")
        for label, diff, meaning in rows:
            if diff is not None:
                changed = "—" if diff.pred_changed is None else f"{diff.pred_changed:.0%}"
                table.add_row(label, f"{diff.max_abs:.3g}", f"{diff.relative:.1%}", changed, meaning)
        console.print(table)
    if m.error:
        console.print(f"[bold yellow]measurement[/bold yellow]: {m.error}")
    diff = m.train_vs_eval
    if diff is not None and diff.max_abs > 0:
        console.print(f"[bold]In training mode this model's output differs from eval mode by up to {diff.max_abs:.3g} "
                      f"({diff.relative:.1%}); call `model.eval()` before inference.[/bold]")


def _mode(training: Optional[bool]) -> str:
    return {True: "[red]training[/red]", False: "eval", None: "—"}[training]


def _yes_no(flag: Optional[bool]) -> str:
    return {True: "yes", False: "no", None: "—"}[flag]


def _count(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)
