"""Multiclass tabular competition: 5-fold CV with early stopping, fold ensemble -> submission.csv."""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, TensorDataset

N_FOLDS, EPOCHS, N_CLASSES = 5, 60, 9


class EarlyStopping:
    """Stops when the validation loss has not improved for `patience` epochs; keeps the best weights on disk."""

    def __init__(self, patience=7, delta=0.0, path="checkpoint.pt"):
        self.patience, self.delta, self.path = patience, delta, path
        self.best, self.counter, self.early_stop = np.inf, 0, False

    def __call__(self, val_loss, model):
        if val_loss < self.best - self.delta:
            self.best, self.counter = val_loss, 0
            torch.save(model.state_dict(), self.path)
        else:
            self.counter += 1
            self.early_stop = self.counter >= self.patience


class ResMLP(nn.Module):
    def __init__(self, d_in, d=512, p=0.25):
        super().__init__()
        self.inp = nn.Sequential(nn.BatchNorm1d(d_in), nn.Linear(d_in, d))
        self.block = nn.Sequential(nn.BatchNorm1d(d), nn.ReLU(), nn.Dropout(p), nn.Linear(d, d))
        self.out = nn.Sequential(nn.BatchNorm1d(d), nn.ReLU(), nn.Dropout(p), nn.Linear(d, N_CLASSES))

    def forward(self, x):
        h = self.inp(x)
        return self.out(h + self.block(h))


def validate(model, loader):
    model.eval()
    losses, probs = [], []
    with torch.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            losses.append(F.cross_entropy(logits, yb, reduction="sum").item())
            probs.append(logits.softmax(1).numpy())
    return sum(losses) / len(loader.dataset), np.concatenate(probs)


def main():
    train = pd.read_csv("train.csv")
    test = pd.read_csv("test.csv")
    feats = [c for c in train.columns if c.startswith("feature_")]
    X = np.log1p(train[feats].values).astype(np.float32)
    y = train["target"].str.split("_").str[-1].astype(int).values - 1
    X_test = torch.tensor(np.log1p(test[feats].values), dtype=torch.float32)

    oof = np.zeros((len(X), N_CLASSES))
    skf = StratifiedKFold(N_FOLDS, shuffle=True, random_state=2021)
    for fold, (tr, va) in enumerate(skf.split(X, y)):
        tr_dl = DataLoader(TensorDataset(torch.tensor(X[tr]), torch.tensor(y[tr])), batch_size=256, shuffle=True)
        va_dl = DataLoader(TensorDataset(torch.tensor(X[va]), torch.tensor(y[va])), batch_size=1024)
        model = ResMLP(len(feats))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
        stopper = EarlyStopping(patience=6, path=f"fold{fold}.pt")
        for epoch in range(EPOCHS):
            model.train()
            for xb, yb in tr_dl:
                loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
                opt.zero_grad()
                loss.backward()
                opt.step()
            val_loss, _ = validate(model, va_dl)
            stopper(val_loss, model)
            if stopper.early_stop:
                break
        model.load_state_dict(torch.load(f"fold{fold}.pt"))
        best_loss, oof[va] = validate(model, va_dl)
        print(f"fold {fold}: best logloss {best_loss:.5f} (epoch {epoch})")

    np.save("oof_resmlp.npy", oof)
    test_pred = np.zeros((len(X_test), N_CLASSES))
    for fold in range(N_FOLDS):
        net = ResMLP(len(feats))
        net.load_state_dict(torch.load(f"fold{fold}.pt"))
        with torch.no_grad():
            test_pred += net(X_test).softmax(1).numpy() / N_FOLDS
    sub = pd.DataFrame(test_pred, columns=[f"Class_{k + 1}" for k in range(N_CLASSES)])
    sub.insert(0, "id", test["id"])
    sub.to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
