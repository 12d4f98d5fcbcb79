"""Step-based training of a 1-D CNN on ECG beats with early stopping on validation loss."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


@dataclass
class RunConfig:
    max_steps: int = 20000
    eval_every: int = 500
    patience: int = 6
    lr: float = 1e-3
    ckpt: str = "ecg_best.pt"


class BeatCNN(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(1, 32, 7, padding=3), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(32, 64, 5, padding=2), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(64, 128, 3, padding=1), nn.BatchNorm1d(128), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.head(self.body(x))


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total, n = 0.0, 0
    for x, y in loader:
        total += F.cross_entropy(model(x), y, reduction="sum").item()
        n += y.numel()
    return total / n


def run(cfg: RunConfig, train_loader, val_loader, test_loader):
    model = BeatCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    best, bad, step = float("inf"), 0, 0
    batches = iter(train_loader)
    model.train()
    while step < cfg.max_steps:
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(train_loader)
            continue
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        if step % cfg.eval_every == 0:
            val_loss = evaluate(model, val_loader)
            model.train()
            print(f"step {step}: train {loss.item():.4f} val {val_loss:.4f}")
            if val_loss < best - 1e-4:
                best, bad = val_loss, 0
                torch.save(model.state_dict(), cfg.ckpt)
            else:
                bad += 1
                if bad >= cfg.patience:
                    print("early stopping")
                    break

    model.load_state_dict(torch.load(cfg.ckpt))
    model.eval()
    with torch.no_grad():
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test_loader)
    return correct / len(test_loader.dataset)


if __name__ == "__main__":
    splits = torch.load("mitbih_beats.pt")
    loaders = [DataLoader(splits[k], batch_size=256, shuffle=(k == "train")) for k in ("train", "val", "test")]
    print(f"test accuracy {run(RunConfig(), *loaders):.4f}")
