"""Remaining-useful-life regression from bearing vibration windows; step-based Trainer class."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class VibrationCNN(nn.Module):
    def __init__(self, channels=2, width=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, width, 7, 2, 3), nn.BatchNorm1d(width), nn.GELU(),
            nn.Conv1d(width, 2 * width, 5, 2, 2), nn.BatchNorm1d(2 * width), nn.GELU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(2 * width, 1))

    def forward(self, x):
        return self.head(self.body(x)).squeeze(-1)


def infinite(loader):
    while True:
        yield from loader


class StepTrainer:
    def __init__(self, model, device="cpu", lr=3e-4):
        self.model = model.to(device)
        self.device = device
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=lr)

    def evaluate(self, loader, max_batches=None):
        model = self.model
        was_training = model.training
        model.eval()
        try:
            errs = []
            with torch.no_grad():
                for i, (x, y) in enumerate(loader):
                    if max_batches is not None and i >= max_batches:
                        return sum(errs) / max(len(errs), 1)
                    errs.append(F.l1_loss(model(x.to(self.device)), y.to(self.device)).item())
            return sum(errs) / max(len(errs), 1)
        finally:
            model.train(was_training)

    def fit(self, train_loader, val_loader, steps=20_000, eval_every=1_000):
        self.model.train()
        batches = infinite(train_loader)
        for step in range(1, steps + 1):
            x, y = next(batches)
            loss = F.smooth_l1_loss(self.model(x.to(self.device)), y.to(self.device))
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            if step % eval_every == 0:
                mae = self.evaluate(val_loader, max_batches=50)
                print(f"step {step}: train loss {loss.item():.4f} val MAE {mae:.3f}")
        return self.evaluate(val_loader)
