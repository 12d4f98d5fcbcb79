"""Customer-churn MLP; one run_epoch() serves both the training and the validation split."""
import argparse

import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def make_model(d_in):
    return nn.Sequential(
        nn.Linear(d_in, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(64, 1),
    )


def run_epoch(model, loader, loss_fn, optimizer=None):
    training = optimizer is not None
    model.train()
    total, n = 0.0, 0
    with torch.set_grad_enabled(training):
        for xb, yb in loader:
            logits = model(xb).squeeze(-1)
            loss = loss_fn(logits, yb)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total += loss.item() * len(xb)
            n += len(xb)
    return total / n


def to_loader(df, feats, shuffle):
    x = torch.tensor(df[feats].values, dtype=torch.float32)
    y = torch.tensor(df["churned"].values, dtype=torch.float32)
    return DataLoader(TensorDataset(x, y), batch_size=256, shuffle=shuffle)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="churn_train.csv")
    ap.add_argument("--valid", default="churn_valid.csv")
    ap.add_argument("--epochs", type=int, default=40)
    args = ap.parse_args()
    train_df, valid_df = pd.read_csv(args.train), pd.read_csv(args.valid)
    feats = [c for c in train_df.columns if c not in ("customer_id", "churned")]
    train_loader, valid_loader = to_loader(train_df, feats, True), to_loader(valid_df, feats, False)

    model = make_model(len(feats))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    loss_fn = nn.BCEWithLogitsLoss()
    best = float("inf")
    for epoch in range(args.epochs):
        train_loss = run_epoch(model, train_loader, loss_fn, optimizer)
        valid_loss = run_epoch(model, valid_loader, loss_fn)
        if valid_loss < best:
            best = valid_loss
            torch.save(model.state_dict(), "churn_best.pt")
        print(f"epoch {epoch:02d} train {train_loss:.4f} valid {valid_loss:.4f}")


if __name__ == "__main__":
    main()
