"""Tabular classifier with an EarlyStopping helper that keeps an eval-mode copy of the best model."""
import argparse
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ResMLP(nn.Module):
    def __init__(self, d_in, n_classes, hidden=256, blocks=3, p=0.2):
        super().__init__()
        self.inp = nn.Linear(d_in, hidden)
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p), nn.Linear(hidden, hidden))
            for _ in range(blocks)
        ])
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        h = self.inp(x)
        for blk in self.blocks:
            h = h + blk(h)
        return self.out(F.relu(h))


MODELS = {"resmlp": ResMLP}


class EarlyStopping:
    def __init__(self, patience=8, min_delta=1e-4):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.bad_epochs = math.inf, 0
        self.best_model = None

    def step(self, val_loss, model):
        """Returns True when training should stop."""
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.bad_epochs = val_loss, 0
            self.best_model = copy.deepcopy(model).eval()
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience


def train_one_epoch(model, loader, opt):
    model.train()
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total = sum(F.cross_entropy(model(x), y, reduction="sum").item() for x, y in loader)
    return total / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resmlp", choices=sorted(MODELS))
    ap.add_argument("--max-epochs", type=int, default=300)
    args = ap.parse_args()
    (xtr, ytr), (xva, yva), (xte, yte) = (torch.load(f"covtype_{s}.pt") for s in ("train", "val", "test"))
    train_loader = DataLoader(TensorDataset(xtr, ytr), batch_size=1024, shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(xva, yva), batch_size=4096)

    model = MODELS[args.arch](xtr.shape[1], int(ytr.max()) + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    stopper = EarlyStopping()
    for epoch in range(args.max_epochs):
        train_loss = train_one_epoch(model, train_loader, opt)
        val_loss = evaluate(model, val_loader)
        print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f}")
        if stopper.step(val_loss, model):
            print(f"early stop at epoch {epoch}; best val {stopper.best_loss:.4f}")
            break

    best = stopper.best_model
    with torch.inference_mode():
        pred = torch.cat([best(x).argmax(1) for x in xte.split(4096)])
    print(f"test accuracy {(pred == yte).float().mean().item():.4f}")
    torch.save(best.state_dict(), f"{args.arch}_best.pt")


if __name__ == "__main__":
    main()
