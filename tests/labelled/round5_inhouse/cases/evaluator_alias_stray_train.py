"""Plant-disease classifier: a Trainer plus an Evaluator object that holds its own model reference."""
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import MobileNet_V3_Small_Weights, mobilenet_v3_small


@dataclass
class Config:
    data: str = "data/plants"
    epochs: int = 40
    eval_every: int = 2
    lr: float = 1e-3
    device: str = "cuda" if torch.cuda.is_available() else "cpu"


class Evaluator:
    """Computes top-1/top-3 on a fixed loader. The caller owns the model."""

    def __init__(self, model, loader, device):
        self.model = model
        self.loader = loader
        self.device = device

    @torch.no_grad()
    def run(self):
        top1 = top3 = total = 0
        for images, labels in self.loader:
            logits = self.model(images.to(self.device))
            best3 = logits.topk(3, dim=1).indices.cpu()
            top1 += (best3[:, 0] == labels).sum().item()
            top3 += (best3 == labels[:, None]).any(dim=1).sum().item()
            total += labels.numel()
        return {"top1": top1 / total, "top3": top3 / total}


class Trainer:
    def __init__(self, model, train_loader, val_loader, cfg: Config):
        self.cfg = cfg
        self.model = model.to(cfg.device)
        self.train_loader = train_loader
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=0.05)
        self.evaluator = Evaluator(self.model, val_loader, cfg.device)
        self.best = 0.0

    def fit(self):
        for epoch in range(self.cfg.epochs):
            self.model.train()
            for images, labels in self.train_loader:
                images, labels = images.to(self.cfg.device), labels.to(self.cfg.device)
                loss = self.criterion(self.model(images), labels)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
            if (epoch + 1) % self.cfg.eval_every == 0:
                metrics = self.evaluator.run()
                print(f"epoch {epoch}: loss {loss.item():.4f} {metrics}")
                if metrics["top1"] > self.best:
                    self.best = metrics["top1"]
                    torch.save(self.model.state_dict(), "plants_best.pt")


def main():
    cfg = Config()
    weights = MobileNet_V3_Small_Weights.IMAGENET1K_V1
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    train_set = datasets.ImageFolder(f"{cfg.data}/train", train_tf)
    val_set = datasets.ImageFolder(f"{cfg.data}/val", weights.transforms())
    model = mobilenet_v3_small(weights=weights)
    model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, len(train_set.classes))
    trainer = Trainer(model,
                      DataLoader(train_set, batch_size=64, shuffle=True, num_workers=4),
                      DataLoader(val_set, batch_size=128, num_workers=4), cfg)
    trainer.fit()


if __name__ == "__main__":
    main()
