"""Out-of-fold predictions from a PyTorch MLP wrapped as an sklearn-style estimator,
so it can sit next to the GBDT models in the stacking pipeline."""
import argparse

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, TensorDataset


class ResidualMLP(nn.Module):
    def __init__(self, d_in, n_classes, width=256, depth=3, p=0.15):
        super().__init__()
        self.inp = nn.Linear(d_in, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(p), nn.Linear(width, width))
            for _ in range(depth)
        )
        self.out = nn.Sequential(nn.BatchNorm1d(width), nn.ReLU(), nn.Linear(width, n_classes))

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class TorchTabularClassifier:
    def __init__(self, n_features, n_classes, epochs=20, lr=2e-3, batch_size=512, device="cpu"):
        self.device = device
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.module = ResidualMLP(n_features, n_classes).to(device)

    def fit(self, X, y):
        ds = TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long))
        loader = DataLoader(ds, batch_size=self.batch_size, shuffle=True, drop_last=True)
        opt = torch.optim.AdamW(self.module.parameters(), lr=self.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=self.epochs * len(loader))
        self.module.train()
        for _ in range(self.epochs):
            for xb, yb in loader:
                loss = F.cross_entropy(self.module(xb.to(self.device)), yb.to(self.device))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        return self

    @torch.no_grad()
    def predict_proba(self, X):
        out = []
        for i in range(0, len(X), 8192):
            xb = torch.as_tensor(X[i:i + 8192], dtype=torch.float32, device=self.device)
            out.append(self.module(xb).softmax(-1).cpu().numpy())
        return np.concatenate(out)

    def predict(self, X):
        return self.predict_proba(X).argmax(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="train_features.parquet")
    ap.add_argument("--test", default="test_features.parquet")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    train, test = pd.read_parquet(args.train), pd.read_parquet(args.test)
    feats = [c for c in train.columns if c not in ("id", "label")]
    X, y, X_test = train[feats].to_numpy(np.float32), train["label"].to_numpy(), test[feats].to_numpy(np.float32)
    n_classes = int(y.max()) + 1

    oof = np.zeros((len(X), n_classes), dtype=np.float32)
    test_pred = np.zeros((len(X_test), n_classes), dtype=np.float32)
    for fold, (tr, va) in enumerate(StratifiedKFold(args.folds, shuffle=True, random_state=7).split(X, y)):
        clf = TorchTabularClassifier(X.shape[1], n_classes, device=device)
        clf.fit(X[tr], y[tr])
        oof[va] = clf.predict_proba(X[va])
        test_pred += clf.predict_proba(X_test) / args.folds
        print(f"fold {fold}: logloss {log_loss(y[va], oof[va], labels=range(n_classes)):.5f}")

    print(f"OOF logloss {log_loss(y, oof):.5f}")
    np.save("oof_mlp.npy", oof)
    np.save("test_mlp.npy", test_pred)


if __name__ == "__main__":
    main()
