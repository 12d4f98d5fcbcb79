"""House-price regression MLP with ReduceLROnPlateau, early stopping and best-checkpoint saving."""
import argparse

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class PriceMLP(nn.Module):
    def __init__(self, d_in, hidden=256, p=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.GELU(), nn.Dropout(p),
            nn.Linear(hidden, hidden // 2), nn.BatchNorm1d(hidden // 2), nn.GELU(), nn.Dropout(p),
            nn.Linear(hidden // 2, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def load_split(path, stats=None):
    df = pd.read_csv(path)
    x = df.drop(columns=["price"]).to_numpy(np.float32)
    y = np.log1p(df["price"].to_numpy(np.float32))
    mean, std = stats if stats is not None else (x.mean(0), x.std(0) + 1e-6)
    return TensorDataset(torch.from_numpy((x - mean) / std), torch.from_numpy(y)), (mean, std)


def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    running = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        loss = criterion(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item() * len(xb)
    return running / len(loader.dataset)


def validate(model, loader, criterion, device):
    model.eval()
    running = 0.0
    with torch.no_grad:
        for xb, yb in loader:
            running += criterion(model(xb.to(device)), yb.to(device)).item() * len(xb)
    return running / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="houses_train.csv")
    ap.add_argument("--val", default="houses_val.csv")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--patience", type=int, default=15)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_ds, stats = load_split(args.train)
    val_ds, _ = load_split(args.val, stats)
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256)

    model = PriceMLP(train_ds.tensors[0].shape[1]).to(device)
    criterion = nn.MSELoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=5)
    best, wait = float("inf"), 0
    for epoch in range(args.epochs):
        tr = train_epoch(model, train_loader, optimizer, criterion, device)
        va = validate(model, val_loader, criterion, device)
        scheduler.step(va)
        print(f"epoch {epoch:3d} train {tr:.4f} val {va:.4f} lr {optimizer.param_groups[0]['lr']:.2e}")
        if va < best:
            best, wait = va, 0
            torch.save({"model": model.state_dict(), "stats": stats}, "price_mlp.pt")
        elif (wait := wait + 1) >= args.patience:
            break
    print(f"best val RMSE(log) {best ** 0.5:.4f}")


if __name__ == "__main__":
    main()
