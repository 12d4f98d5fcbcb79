# evalguard example: buggy twin of examples/fixed/evaluate_after_train.py.
# Expected findings of `evalguard check` (rule and reported line), one per line:
# expect: EG003 line 48
"""Tabular regression: an MLP with BatchNorm1d and Dropout, trained with early stopping on
the validation loss; the best weights are saved at the end."""
import argparse
import copy

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class MLPRegressor(nn.Module):
    def __init__(self, n_features, hidden=128, p=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def make_table(n, n_features, seed):
    """Stand-in for a real table: a noisy linear target."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_features, generator=g)
    y = x @ torch.linspace(-1, 1, n_features) + 0.1 * torch.randn(n, generator=g)
    return TensorDataset(x, y)


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    total = 0.0
    for x, y in loader:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    return total / len(loader.dataset)


def evaluate(model, loader, criterion):
    model.train()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += criterion(model(x), y).item() * len(y)
    return total / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out", default="mlp_regressor.pt")
    args = ap.parse_args()

    torch.manual_seed(0)
    train_loader = DataLoader(make_table(4096, args.features, 0), batch_size=128, shuffle=True)
    val_loader = DataLoader(make_table(1024, args.features, 1), batch_size=512)
    model = MLPRegressor(args.features)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    criterion = nn.MSELoss()

    best_loss, best_state, bad_epochs = float("inf"), None, 0
    for epoch in range(args.epochs):
        train_loss = train_one_epoch(model, train_loader, optimizer, criterion)
        val_loss = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch}: train mse {train_loss:.4f} val mse {val_loss:.4f}")
        if val_loss < best_loss:
            best_loss, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    torch.save(model.state_dict(), args.out)


if __name__ == "__main__":
    main()
