"""K-fold out-of-fold predictions for the demand-forecast residual model.

Each fold trains with per-epoch validation (mode saved and restored around it) and early
stopping; the best weights of the fold then predict its held-out rows and the test set.
"""
import argparse
import copy

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.model_selection import GroupKFold
from torch.utils.data import DataLoader, TensorDataset


def make_model(d_in):
    return nn.Sequential(
        nn.Linear(d_in, 256), nn.BatchNorm1d(256), nn.SiLU(), nn.Dropout(0.2),
        nn.Linear(256, 128), nn.BatchNorm1d(128), nn.SiLU(), nn.Dropout(0.2),
        nn.Linear(128, 1),
    )


def run_validation(model, loader, device):
    was_training = model.training
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).squeeze(-1)
            total += nn.functional.mse_loss(pred, y.to(device), reduction="sum").item()
            n += y.numel()
    model.train(was_training)
    return total / n


def train_fold(model, train_loader, val_loader, device, epochs=40, patience=5):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-5)
    best, best_state, bad = float("inf"), None, 0
    model.train()
    for epoch in range(epochs):
        for x, y in train_loader:
            loss = nn.functional.mse_loss(model(x.to(device)).squeeze(-1), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        val = run_validation(model, val_loader, device)
        if val < best:
            best, best_state, bad = val, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(best_state)
    return best


def predict(model, X, device):
    model.eval()
    with torch.inference_mode():
        return model(torch.as_tensor(X, device=device)).squeeze(-1).cpu().numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="train.parquet")
    ap.add_argument("--test", default="test.parquet")
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    train, test = pd.read_parquet(args.train), pd.read_parquet(args.test)
    feats = [c for c in train.columns if c.startswith("f_")]
    X, y = train[feats].to_numpy(np.float32), train["residual"].to_numpy(np.float32)
    X_test = test[feats].to_numpy(np.float32)

    oof, test_pred = np.zeros(len(X), np.float32), np.zeros(len(X_test), np.float32)
    for fold, (tr, va) in enumerate(GroupKFold(5).split(X, y, groups=train["store_id"])):
        model = make_model(X.shape[1]).to(device)
        tl = DataLoader(TensorDataset(torch.from_numpy(X[tr]), torch.from_numpy(y[tr])), batch_size=1024,
                        shuffle=True, drop_last=True)
        vl = DataLoader(TensorDataset(torch.from_numpy(X[va]), torch.from_numpy(y[va])), batch_size=4096)
        best = train_fold(model, tl, vl, device)
        oof[va] = predict(model, X[va], device)
        test_pred += predict(model, X_test, device) / 5
        print(f"fold {fold}: best val mse {best:.5f}")
    print(f"OOF rmse {np.sqrt(np.mean((oof - y) ** 2)):.5f}")
    pd.DataFrame({"id": test["id"], "residual": test_pred}).to_csv("mlp_test.csv", index=False)


if __name__ == "__main__":
    main()
