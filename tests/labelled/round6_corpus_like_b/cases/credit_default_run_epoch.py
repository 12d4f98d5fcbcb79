"""Credit-card default prediction: numeric features + embedded categoricals, one run_epoch()
shared by training and validation."""
import argparse

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, TensorDataset

CAT_COLS = ["SEX", "EDUCATION", "MARRIAGE", "PAY_0"]


class TabularNet(nn.Module):
    def __init__(self, n_num, cardinalities, emb_dim=8, hidden=128, p=0.25):
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(c, emb_dim) for c in cardinalities)
        d_in = n_num + emb_dim * len(cardinalities)
        self.mlp = nn.Sequential(
            nn.BatchNorm1d(d_in), nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, 1),
        )

    def forward(self, x_num, x_cat):
        cats = [emb(x_cat[:, i]) for i, emb in enumerate(self.embs)]
        return self.mlp(torch.cat([x_num, *cats], dim=1)).squeeze(-1)


def run_epoch(model, loader, optimizer=None, pos_weight=3.5):
    training = optimizer is not None
    model.train()
    losses, probs, labels = [], [], []
    with torch.set_grad_enabled(training):
        for x_num, x_cat, y in loader:
            logits = model(x_num, x_cat)
            loss = F.binary_cross_entropy_with_logits(logits, y, pos_weight=torch.tensor(pos_weight))
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            losses.append(loss.item())
            probs.append(torch.sigmoid(logits).detach())
            labels.append(y)
    return float(np.mean(losses)), roc_auc_score(torch.cat(labels).numpy(), torch.cat(probs).numpy())


def to_loader(df, num_cols, shuffle):
    x_num = torch.tensor(df[num_cols].values, dtype=torch.float32)
    x_cat = torch.tensor(df[CAT_COLS].values, dtype=torch.long)
    y = torch.tensor(df["default"].values, dtype=torch.float32)
    return DataLoader(TensorDataset(x_num, x_cat, y), batch_size=512, shuffle=shuffle, drop_last=shuffle)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="credit_default.parquet")
    ap.add_argument("--epochs", type=int, default=25)
    args = ap.parse_args()
    df = pd.read_parquet(args.data)
    num_cols = [c for c in df.columns if c not in CAT_COLS + ["default", "split"]]
    train_loader = to_loader(df[df.split == "train"], num_cols, True)
    val_loader = to_loader(df[df.split == "val"], num_cols, False)

    model = TabularNet(len(num_cols), [int(df[c].max()) + 1 for c in CAT_COLS])
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    best_auc = 0.0
    for epoch in range(args.epochs):
        tr_loss, tr_auc = run_epoch(model, train_loader, optimizer)
        va_loss, va_auc = run_epoch(model, val_loader)
        if va_auc > best_auc:
            best_auc = va_auc
            torch.save(model.state_dict(), "tabnet_credit_best.pt")
        print(f"epoch {epoch}: train {tr_loss:.4f}/{tr_auc:.4f}  val {va_loss:.4f}/{va_auc:.4f}")


if __name__ == "__main__":
    main()
