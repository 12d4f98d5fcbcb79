"""Ventilator pressure prediction: bidirectional LSTM over 80-step breaths.

EarlyStopping keeps an in-memory copy of the best weights and restores it before
predicting the test breaths.
"""
import copy

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

FEATURES = ["R", "C", "time_step", "u_in", "u_out"]


class EarlyStopping:
    def __init__(self, patience=10, min_delta=1e-4):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.wait = None, 0
        self.best_model_state = None

    def step(self, score, model):
        if self.best_score is None or score < self.best_score - self.min_delta:
            self.best_score, self.wait = score, 0
            self.best_model_state = copy.deepcopy(model.state_dict())
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, model):
        model.load_state_dict(self.best_model_state)


class VentilatorNet(nn.Module):
    def __init__(self, d_in=len(FEATURES), hidden=256):
        super().__init__()
        self.fc_in = nn.Sequential(nn.Linear(d_in, 64), nn.LayerNorm(64), nn.SiLU())
        self.lstm = nn.LSTM(64, hidden, num_layers=3, dropout=0.1, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Linear(2 * hidden, 128), nn.SiLU(), nn.Dropout(0.1), nn.Linear(128, 1))

    def forward(self, x):
        h, _ = self.lstm(self.fc_in(x))
        return self.head(h).squeeze(-1)


def to_breaths(df, target=True):
    x = torch.tensor(df[FEATURES].values.reshape(-1, 80, len(FEATURES)), dtype=torch.float32)
    y = torch.tensor(df["pressure"].values.reshape(-1, 80), dtype=torch.float32) if target else None
    return x, y


def valid_one_epoch(model, loader):
    model.eval()
    total, n = 0.0, 0
    with torch.set_grad_enabled(False):
        for xb, yb in loader:
            pred = model(xb)
            mask = xb[..., 4] == 0  # score only the inspiratory phase (u_out == 0)
            total += (pred - yb).abs()[mask].sum().item()
            n += mask.sum().item()
    return total / n


@torch.inference_mode()
def predict(model, x, bs=1024):
    model.eval()
    return torch.cat([model(x[i:i + bs]) for i in range(0, len(x), bs)]).numpy()


def main():
    train = pd.read_csv("../input/ventilator-pressure-prediction/train.csv")
    test = pd.read_csv("../input/ventilator-pressure-prediction/test.csv")
    x, y = to_breaths(train)
    x_test, _ = to_breaths(test, target=False)
    n_val = len(x) // 10
    tr_dl = DataLoader(TensorDataset(x[n_val:], y[n_val:]), batch_size=512, shuffle=True)
    va_dl = DataLoader(TensorDataset(x[:n_val], y[:n_val]), batch_size=1024)

    model = VentilatorNet()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=3)
    stopper = EarlyStopping(patience=10)
    for epoch in range(150):
        model.train()
        for xb, yb in tr_dl:
            loss = nn.functional.l1_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        val_mae = valid_one_epoch(model, va_dl)
        sched.step(val_mae)
        print(f"epoch {epoch}: val MAE {val_mae:.4f}")
        if stopper.step(val_mae, model):
            print("early stopping")
            break

    stopper.restore(model)
    pressure = predict(model, x_test).reshape(-1)
    pd.DataFrame({"id": test["id"], "pressure": pressure}).to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
