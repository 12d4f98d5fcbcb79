"""Pool-based active learning for histopathology patches (max-entropy acquisition).

Each round retrains a small CNN from scratch on the labeled set, scores the unlabeled
pool, and moves the most uncertain patches into the labeled set.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import no_grad
from torch.utils.data import DataLoader, TensorDataset


class PatchCNN(nn.Module):
    def __init__(self, n_classes=9):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(64, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def fit(model, x, y, epochs=15, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()


def entropy_scores(model, pool_x, batch_size=512):
    scores = []
    with torch.no_grad():
        for i in range(0, len(pool_x), batch_size):
            p = model(pool_x[i:i + batch_size]).softmax(-1)
            scores.append(-(p * p.clamp_min(1e-12).log()).sum(-1))
    return torch.cat(scores)


def final_report(model, test_x, test_y):
    model.eval()
    with no_grad:
        acc = (model(test_x).argmax(-1) == test_y).float().mean().item()
    print(f"test accuracy with the final labeled set: {acc:.4f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="nct_patches.pt")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=200)
    args = ap.parse_args()
    d = torch.load(args.data)
    labeled = torch.randperm(len(d["pool_x"]))[: args.budget]
    for r in range(args.rounds):
        mask = torch.zeros(len(d["pool_x"]), dtype=torch.bool)
        mask[labeled] = True
        model = PatchCNN()
        fit(model, d["pool_x"][mask], d["pool_y"][mask])
        scores = entropy_scores(model, d["pool_x"])
        scores[mask] = float("-inf")
        labeled = torch.cat([labeled, scores.topk(args.budget).indices])
        print(f"round {r}: labeled {len(labeled)}")
    final_report(model, d["test_x"], d["test_y"])


if __name__ == "__main__":
    main()
