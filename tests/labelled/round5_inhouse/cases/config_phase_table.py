"""Config-driven pipeline: phases are looked up in a table and share a state dict."""
import json
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


@dataclass
class PipelineConfig:
    phases: tuple = ("train", "evaluate", "export")
    data_dir: str = "data/ecg"
    epochs: int = 25
    lr: float = 2e-3
    n_classes: int = 5
    export_path: str = "ecg_cnn.ts"
    extra: dict = field(default_factory=dict)


class ECGNet(nn.Module):
    def __init__(self, n_classes=5, width=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, width, 7, padding=3), nn.BatchNorm1d(width), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(width, 2 * width, 5, padding=2), nn.BatchNorm1d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(0.3),
        )
        self.fc = nn.Linear(2 * width, n_classes)

    def forward(self, x):
        return self.fc(self.features(x))


def run_train(cfg, state):
    model = ECGNet(cfg.n_classes)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loader = DataLoader(torch.load(f"{cfg.data_dir}/train.pt"), batch_size=128, shuffle=True, drop_last=True)
    model.train()
    for epoch in range(cfg.epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"[train] epoch {epoch} loss {loss.item():.4f}")
    state["model"] = model


def run_evaluate(cfg, state):
    model = state["model"]
    model.eval()
    loader = DataLoader(torch.load(f"{cfg.data_dir}/test.pt"), batch_size=512)
    confusion = torch.zeros(cfg.n_classes, cfg.n_classes, dtype=torch.long)
    with torch.inference_mode:
        for x, y in loader:
            pred = model(x).argmax(1)
            confusion += torch.bincount(y * cfg.n_classes + pred, minlength=cfg.n_classes ** 2).view_as(confusion)
    state["metrics"] = {"accuracy": (confusion.diag().sum() / confusion.sum()).item(),
                        "confusion": confusion.tolist()}
    print(json.dumps(state["metrics"]))


def run_export(cfg, state):
    model = state["model"].eval()
    example = torch.randn(1, 1, 360)
    scripted = torch.jit.script(model)
    with torch.no_grad():
        torch.testing.assert_close(scripted(example), model(example))
    scripted.save(cfg.export_path)


PHASES = {"train": run_train, "evaluate": run_evaluate, "export": run_export}


def main(cfg: PipelineConfig):
    state = {}
    for name in cfg.phases:
        if name not in PHASES:
            raise KeyError(f"unknown phase {name!r}; known: {sorted(PHASES)}")
        PHASES[name](cfg, state)
    return state


if __name__ == "__main__":
    main(PipelineConfig())
