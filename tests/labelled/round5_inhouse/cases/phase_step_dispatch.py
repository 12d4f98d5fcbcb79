"""A small Engine that dispatches `{phase}_step` methods by name (house-price regression)."""
import functools
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class TabularRegressor(nn.Module):
    def __init__(self, d_in, hidden=128, p=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


class Engine:
    PHASES = ("train", "val", "test")

    def __init__(self, model, optimizer, device="cpu"):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.device = device
        self.history = {phase: [] for phase in self.PHASES}

    def train_step(self, batch):
        x, y = (t.to(self.device) for t in batch)
        loss = F.mse_loss(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item(), "n": len(y)}

    @torch.no_grad()
    def val_step(self, batch):
        x, y = (t.to(self.device) for t in batch)
        pred = self.model(x)
        return {"loss": F.mse_loss(pred, y).item(), "n": len(y)}

    def test_step(self, batch):
        x, y = (t.to(self.device) for t in batch)
        pred = self.model(x)
        return {"loss": F.mse_loss(pred, y).item(), "n": len(y), "pred": pred.detach().cpu().tolist()}

    def run_phase(self, phase, loader):
        if phase not in self.PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        self.model.train(phase == "train")
        step = getattr(self, f"{phase}_step")
        total, n, preds = 0.0, 0, []
        for batch in loader:
            out = step(batch)
            total += out["loss"] * out["n"]
            n += out["n"]
            preds.extend(out.get("pred", []))
        self.history[phase].append(total / max(n, 1))
        return total / max(n, 1), preds


def split(x, y, fractions=(0.8, 0.1)):
    n = len(x)
    a, b = int(fractions[0] * n), int(sum(fractions) * n)
    return (x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:], y[b:])


def main(path="housing.pt", epochs=40, out="test_predictions.json"):
    x, y = torch.load(path)
    train, val, test = split(x, y)
    make_loader = functools.partial(DataLoader, batch_size=256, num_workers=2)
    loaders = {
        "train": make_loader(TensorDataset(*train), shuffle=True, drop_last=True),
        "val": make_loader(TensorDataset(*val)),
        "test": make_loader(TensorDataset(*test)),
    }
    model = TabularRegressor(x.shape[1])
    engine = Engine(model, torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5))
    for epoch in range(epochs):
        tr, _ = engine.run_phase("train", loaders["train"])
        va, _ = engine.run_phase("val", loaders["val"])
        print(f"epoch {epoch:3d}  train mse {tr:.4f}  val mse {va:.4f}")
    te, preds = engine.run_phase("test", loaders["test"])
    print(f"test mse {te:.4f}")
    with open(out, "w") as fh:
        json.dump({"mse": te, "pred": preds}, fh)


if __name__ == "__main__":
    main()
