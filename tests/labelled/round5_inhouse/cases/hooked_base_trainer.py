"""In-house BaseTrainer with overridable hooks; the image classifier plugs in a checkpoint hook."""
import os
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


@dataclass
class TrainerConfig:
    epochs: int = 30
    lr: float = 3e-4
    device: str = "cuda" if torch.cuda.is_available() else "cpu"
    ckpt_dir: str = "checkpoints"
    log_every: int = 50


class SmallResNet(nn.Module):
    def __init__(self, n_classes=10, width=32):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.block = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(width, n_classes))

    def forward(self, x):
        h = self.stem(x)
        return self.head(F.relu(h + self.block(h)))


class BaseTrainer:
    """Subclasses implement compute_loss(); every hook is optional."""

    def __init__(self, model, cfg: TrainerConfig, train_loader: DataLoader, val_loader: DataLoader):
        self.cfg = cfg
        self.model = model.to(cfg.device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr)
        self.epoch = 0

    # ---- hooks ---------------------------------------------------------
    def on_fit_start(self):
        pass

    def on_epoch_start(self):
        pass

    def on_validation_end(self, metrics):
        pass

    # ---- loops ---------------------------------------------------------
    def compute_loss(self, batch):
        raise NotImplementedError

    def train_epoch(self):
        total = 0.0
        for step, batch in enumerate(self.train_loader):
            loss = self.compute_loss(batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.item()
            if step % self.cfg.log_every == 0:
                print(f"epoch {self.epoch} step {step} loss {loss.item():.4f}")
        return total / max(len(self.train_loader), 1)

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        correct = seen = 0
        for images, labels in self.val_loader:
            logits = self.model(images.to(self.cfg.device))
            correct += (logits.argmax(1).cpu() == labels).sum().item()
            seen += labels.numel()
        return {"acc": correct / max(seen, 1)}

    def fit(self):
        self.on_fit_start()
        self.model.train()
        for epoch in range(self.cfg.epochs):
            self.epoch = epoch
            self.on_epoch_start()
            train_loss = self.train_epoch()
            metrics = self.validate()
            metrics["train_loss"] = train_loss
            self.on_validation_end(metrics)
        return self.model


class ClassifierTrainer(BaseTrainer):
    best_acc = 0.0

    def on_fit_start(self):
        os.makedirs(self.cfg.ckpt_dir, exist_ok=True)

    def compute_loss(self, batch):
        images, labels = batch
        logits = self.model(images.to(self.cfg.device))
        return F.cross_entropy(logits, labels.to(self.cfg.device), label_smoothing=0.1)

    def on_validation_end(self, metrics):
        print(f"epoch {self.epoch}: {metrics}")
        if metrics["acc"] > self.best_acc:
            self.best_acc = metrics["acc"]
            torch.save(self.model.state_dict(), os.path.join(self.cfg.ckpt_dir, "best.pt"))


if __name__ == "__main__":
    cfg = TrainerConfig()
    train_set, val_set = torch.load("cifar_train.pt"), torch.load("cifar_val.pt")
    trainer = ClassifierTrainer(
        SmallResNet(),
        cfg,
        DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4),
        DataLoader(val_set, batch_size=256, num_workers=4),
    )
    trainer.fit()
