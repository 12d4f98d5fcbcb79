"""Tabular churn classifier. Cheap validation on a few batches every epoch, a full pass on
the last one."""
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class Config:
    epochs: int = 30
    lr: float = 1e-3
    batch_size: int = 256
    quick_val_batches: int = 8
    device: str = "cuda" if torch.cuda.is_available() else "cpu"


class ChurnMLP(nn.Module):
    def __init__(self, n_features, hidden=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def validate(model, loader, device, max_batches=None):
    model.eval()
    correct = seen = 0
    with torch.no_grad():
        for i, (x, y) in enumerate(loader):
            if max_batches is not None and i == max_batches:
                return correct / seen
            pred = model(x.to(device)) > 0
            correct += (pred.cpu() == y.bool()).sum().item()
            seen += y.numel()
    model.train()
    return correct / seen


def main(cfg: Config):
    data = torch.load("churn_tensors.pt")
    train_loader = DataLoader(TensorDataset(data["x_train"], data["y_train"]), batch_size=cfg.batch_size,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(data["x_val"], data["y_val"]), batch_size=1024, shuffle=True)
    model = ChurnMLP(data["x_train"].shape[1]).to(cfg.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    criterion = nn.BCEWithLogitsLoss()

    model.train()
    for epoch in range(cfg.epochs):
        for x, y in train_loader:
            logits = model(x.to(cfg.device))
            loss = criterion(logits, y.float().to(cfg.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        last = epoch == cfg.epochs - 1
        acc = validate(model, val_loader, cfg.device, max_batches=None if last else cfg.quick_val_batches)
        print(f"epoch {epoch}: loss {loss.item():.4f} {'full' if last else 'quick'} val acc {acc:.4f}")
    torch.save(model.state_dict(), "churn_mlp.pt")


if __name__ == "__main__":
    main(Config())
