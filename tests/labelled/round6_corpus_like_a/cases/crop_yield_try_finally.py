"""County-level crop-yield regression from satellite reflectance time series (1-D CNN).

Validation runs every `--val-every` steps on a capped number of batches; the helper always
hands the model back in training mode.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class YieldCNN(nn.Module):
    def __init__(self, bands=9, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(bands, hidden, 5, padding=2), nn.BatchNorm1d(hidden), nn.GELU(),
            nn.Conv1d(hidden, hidden, 5, padding=2), nn.BatchNorm1d(hidden), nn.GELU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(0.25), nn.Linear(hidden, 1),
        )

    def forward(self, x):  # (B, bands, timesteps)
        return self.net(x).squeeze(-1)


def validate(model, loader, device, max_batches=50):
    model.eval()
    try:
        se, n = 0.0, 0
        with torch.no_grad():
            for i, (x, y) in enumerate(loader):
                if i == max_batches:
                    return (se / n) ** 0.5
                se += F.mse_loss(model(x.to(device)), y.to(device), reduction="sum").item()
                n += y.numel()
        return (se / max(n, 1)) ** 0.5
    finally:
        model.train()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--val-every", type=int, default=1000)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(torch.load("yield_train.pt"), batch_size=128, shuffle=True, drop_last=True)
    val_loader = DataLoader(torch.load("yield_val.pt"), batch_size=256, shuffle=True)
    test_loader = DataLoader(torch.load("yield_test.pt"), batch_size=256)

    model = YieldCNN().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=1e-3)
    model.train()
    step = 0
    while step < args.steps:
        for x, y in train_loader:
            loss = F.huber_loss(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % args.val_every == 0:
                print(f"step {step}: loss {loss.item():.3f} val RMSE {validate(model, val_loader, device):.3f}")
            if step == args.steps:
                break

    model.eval()
    with torch.no_grad():
        preds = torch.cat([model(x.to(device)).cpu() for x, _ in test_loader])
    torch.save(preds, "yield_test_preds.pt")


if __name__ == "__main__":
    main()
