"""Day-ahead electricity demand from lag/calendar features, with Monte-Carlo dropout
prediction intervals (Gal & Ghahramani, 2016).

For the MC passes only the Dropout layers are switched back on; BatchNorm keeps
using its running statistics.
"""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

LAGS = [24, 48, 72, 168, 336]


class DemandMLP(nn.Module):
    def __init__(self, d_in, hidden=256, p=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def make_features(df):
    out = pd.DataFrame({f"lag_{k}": df["load"].shift(k) for k in LAGS})
    out["hour_sin"] = np.sin(2 * np.pi * df["ts"].dt.hour / 24)
    out["hour_cos"] = np.cos(2 * np.pi * df["ts"].dt.hour / 24)
    out["dow"] = df["ts"].dt.dayofweek / 6.0
    out["y"] = df["load"]
    return out.dropna()


def enable_mc_dropout(model):
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()


def mc_predict(model, x, n_samples=100):
    enable_mc_dropout(model)
    with torch.no_grad():
        draws = torch.stack([model(x) for _ in range(n_samples)])
    return draws.mean(0), draws.std(0)


def main():
    raw = pd.read_csv("hourly_load.csv", parse_dates=["ts"])
    feats = make_features(raw)
    cols = [c for c in feats.columns if c != "y"]
    mu, sd = feats[cols].mean(), feats[cols].std()
    X = torch.tensor(((feats[cols] - mu) / sd).values, dtype=torch.float32)
    y = torch.tensor(feats["y"].values / 1000.0, dtype=torch.float32)
    cut = int(0.9 * len(X))
    train_dl = DataLoader(TensorDataset(X[:cut], y[:cut]), batch_size=256, shuffle=True)
    X_val, y_val = X[cut:], y[cut:]

    model = DemandMLP(len(cols))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    for epoch in range(40):
        model.train()
        for xb, yb in train_dl:
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val_rmse = ((model(X_val) - y_val) ** 2).mean().sqrt().item()
        print(f"epoch {epoch}: val RMSE {val_rmse:.4f} GW")

    mean, std = mc_predict(model, X_val)
    lo, hi = mean - 1.96 * std, mean + 1.96 * std
    coverage = ((y_val >= lo) & (y_val <= hi)).float().mean().item()
    print(f"95% interval coverage on validation: {coverage:.3f}")
    pd.DataFrame({"mean": mean.numpy(), "lo": lo.numpy(), "hi": hi.numpy()}).to_csv("val_intervals.csv", index=False)


if __name__ == "__main__":
    main()
