"""A Runner that dispatches on mode in ("train", "val", "test"); one loop body for all three."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


@dataclass
class RunnerConfig:
    epochs: int = 20
    lr: float = 1e-3
    device: str = "cuda" if torch.cuda.is_available() else "cpu"


class AudioTagger(nn.Module):
    def __init__(self, n_mels=64, n_classes=50):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64, n_classes))

    def forward(self, mel):
        return self.head(self.conv(mel.unsqueeze(1)))


class Runner:
    MODES = ("train", "val", "test")

    def __init__(self, model, loaders, cfg: RunnerConfig):
        self.cfg = cfg
        self.model = model.to(cfg.device)
        self.loaders = loaders
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.history = []

    def run(self, mode):
        if mode not in self.MODES:
            raise ValueError(mode)
        is_train = mode == "train"
        self.model.train(is_train)
        total_loss, correct, seen = 0.0, 0, 0
        with torch.set_grad_enabled(is_train):
            for mel, target in self.loaders[mode]:
                mel, target = mel.to(self.cfg.device), target.to(self.cfg.device)
                logits = self.model(mel)
                loss = F.cross_entropy(logits, target)
                if is_train:
                    self.optimizer.zero_grad()
                    loss.backward()
                    self.optimizer.step()
                total_loss += loss.item() * target.size(0)
                correct += (logits.argmax(1) == target).sum().item()
                seen += target.size(0)
        return {"mode": mode, "loss": total_loss / max(seen, 1), "acc": correct / max(seen, 1)}

    # Runner-level verbs (not nn.Module methods)
    def train(self):
        for epoch in range(self.cfg.epochs):
            self.history.append((epoch, self.run("train"), self.run("val")))
            print(self.history[-1])
        return self

    def eval(self):
        return self.run("val")

    def test(self):
        return self.run("test")


if __name__ == "__main__":
    loaders = {
        "train": DataLoader(torch.load("esc50_train.pt"), batch_size=32, shuffle=True, drop_last=True),
        "val": DataLoader(torch.load("esc50_val.pt"), batch_size=64),
        "test": DataLoader(torch.load("esc50_test.pt"), batch_size=64),
    }
    runner = Runner(AudioTagger(), loaders, RunnerConfig())
    runner.train()
    runner.eval()
    print(runner.test())
