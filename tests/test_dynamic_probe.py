"""`probe()` on a factory, a TorchScript file, a state-dict checkpoint and a pickled
module (which needs trust_pickle), and its two output formats."""
from __future__ import annotations

import io
import json
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from rich.console import Console  # noqa: E402

from evalguard.dynamic import (  # noqa: E402
    ProbeError, parse_input_shape, parse_kwargs, probe, probe_to_json, render_probe_text,
)

MODELS = """
from torch import nn


class Net(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        return self.head(self.drop(self.features(x)))


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc(x).relu()


def build(width=8, frozen_features=False):
    model = Net(width)
    if frozen_features:
        model.features.requires_grad_(False)
    return model
"""


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "probe_models.py").write_text(textwrap.dedent(MODELS).lstrip())
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield __import__("probe_models")
    sys.modules.pop("probe_models", None)


def text_of(report) -> str:
    out = io.StringIO()
    render_probe_text(report, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_factory_with_kwargs(models) -> None:
    report = probe("probe_models:build", kwargs={"width": 4, "frozen_features": True}, input_shape=[2, 3, 16, 16])

    assert (report.kind, report.model, report.training) == ("factory", "Net", True)
    assert [(r.path, r.type, r.training, r.frozen) for r in report.layers] == [
        ("features.1", "BatchNorm2d", True, True), ("drop", "Dropout", True, None)]
    (part,) = report.frozen_parts
    assert (part.path, part.batchnorm, part.batchnorm_training) == ("features", 1, 1) and part.risk
    assert report.params_frozen == part.params > 0
    m = report.measurement
    assert m.input_shape == [2, 3, 16, 16] and not m.guessed and m.error is None
    assert m.train_vs_eval.max_abs > 0 and m.eval_repeat.max_abs == 0
    text = text_of(report)
    assert "features.1" in text and "train vs eval" in text and "call `model.eval()`" in text
    data = json.loads(json.dumps(probe_to_json(report)))
    assert data["version"] == 1 and data["frozen_parts"][0]["risk"] and data["layers"][0]["frozen"] is True


def test_guessed_input_and_a_model_without_mode_sensitive_layers(models, tmp_path: Path) -> None:
    report = probe(f"{tmp_path / 'probe_models.py'}:Plain")  # the `file.py:factory` form

    assert report.layers == [] and report.measurement.guessed and report.measurement.input_shape == [2, 6]
    assert report.measurement.train_vs_eval.max_abs == 0
    assert "No mode-sensitive layers" in text_of(report)


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_torchscript_file(models, tmp_path: Path) -> None:
    path = tmp_path / "net.ts"
    torch.jit.save(torch.jit.script(models.build().eval()), str(path))
    report = probe(str(path), input_shape=[1, 3, 8, 8])

    assert (report.kind, report.model, report.training) == ("torchscript", "Net", False)
    assert [(r.path, r.type, r.training) for r in report.layers] == [
        ("features.1", "BatchNorm2d", False), ("drop", "Dropout", False)]
    assert report.measurement.train_vs_eval.max_abs > 0


def test_state_dict_checkpoint_loads_weights_only(models, tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    torch.save({"epoch": 3, "state_dict": models.build().state_dict()}, str(path))
    report = probe(str(path))

    assert (report.kind, report.model, report.training, report.measurement) == ("state-dict", None, None, None)
    assert [r.path for r in report.layers] == ["features.1"] and report.params_trainable is None
    assert "state dict holds weights only" in report.notes[0]


def test_pickled_module_needs_trust_pickle(models, tmp_path: Path) -> None:
    path = tmp_path / "whole.pt"
    torch.save(models.build(), str(path))
    with pytest.raises(ProbeError, match="--trust-pickle"):
        probe(str(path))
    report = probe(str(path), trust_pickle=True, input_shape=[2, 3, 8, 8])
    assert (report.kind, report.model) == ("pickled-module", "Net")


@pytest.mark.parametrize("target, message", [
    ("probe_models:missing", "has no attribute"),
    ("no_such_package.models:build", "cannot import"),
    ("not-a-target", "neither a file nor"),
])
def test_bad_targets_are_explained(models, target: str, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        probe(target)


def test_command_line_arguments() -> None:
    assert parse_input_shape("1,3,224,224") == [1, 3, 224, 224] and parse_input_shape("2x8") == [2, 8]
    assert parse_kwargs('{"width": 4}') == {"width": 4}
    for bad in ("", "1,,3", "0,3", "a,b"):
        with pytest.raises(ProbeError, match="--input-shape"):
            parse_input_shape(bad)
    for bad in ("[1]", "{width: 4}"):
        with pytest.raises(ProbeError, match="--kwargs must be a JSON object"):
            parse_kwargs(bad)
