"""Semi-supervised tabular classifier: train on labeled rows, then three rounds of
pseudo-labelling the unlabeled test rows whose confidence exceeds 0.95."""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import ConcatDataset, DataLoader, TensorDataset


def make_net(d_in, n_classes, p=0.3):
    return nn.Sequential(
        nn.Linear(d_in, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(p),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(p),
        nn.Linear(256, n_classes),
    )


def train_epochs(model, loader, optimizer, epochs, criterion=nn.CrossEntropyLoss()):
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        print(f"  epoch {epoch}: loss {total / len(loader.dataset):.4f}")


@torch.no_grad()
def predict_proba(model, x, bs=2048):
    model.eval()
    return torch.cat([model(x[i:i + bs]).softmax(dim=1) for i in range(0, len(x), bs)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="semi.npz")
    ap.add_argument("--threshold", type=float, default=0.95)
    args = ap.parse_args()
    d = np.load(args.data)
    X_lab, y_lab = torch.tensor(d["X_lab"], dtype=torch.float32), torch.tensor(d["y_lab"])
    X_val, y_val = torch.tensor(d["X_val"], dtype=torch.float32), torch.tensor(d["y_val"])
    X_unl = torch.tensor(d["X_test"], dtype=torch.float32)
    n_classes = int(y_lab.max()) + 1

    model = make_net(X_lab.shape[1], n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    labeled = TensorDataset(X_lab, y_lab)

    model.train()
    train_epochs(model, DataLoader(labeled, batch_size=256, shuffle=True), optimizer, 15)
    acc = (predict_proba(model, X_val).argmax(1) == y_val).float().mean().item()
    print(f"supervised only: val acc {acc:.4f}")

    for rnd in range(3):
        conf, pseudo = predict_proba(model, X_unl).max(dim=1)
        keep = conf > args.threshold
        print(f"round {rnd}: {int(keep.sum())} pseudo-labels above {args.threshold}")
        combined = ConcatDataset([labeled, TensorDataset(X_unl[keep], pseudo[keep])])
        train_epochs(model, DataLoader(combined, batch_size=256, shuffle=True), optimizer, 5)
        acc = (predict_proba(model, X_val).argmax(1) == y_val).float().mean().item()
        print(f"round {rnd}: val acc {acc:.4f}")

    final = predict_proba(model, X_unl).argmax(1).numpy()
    np.savetxt("submission.csv", np.c_[np.arange(len(final)), final], fmt="%d", delimiter=",",
               header="id,target", comments="")


if __name__ == "__main__":
    main()
