"""Linear-probe trainer: the model class gets its frozen-backbone behaviour from a mixin."""
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.models import ResNet34_Weights, resnet34


class FrozenBackboneMixin:
    """For nn.Modules with a `backbone`: no gradients, and BatchNorm statistics never update."""

    def freeze_backbone(self):
        self.backbone.requires_grad_(False)
        self.backbone.eval()
        return self

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self


class ProbeClassifier(FrozenBackboneMixin, nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        trunk = resnet34(weights=ResNet34_Weights.IMAGENET1K_V1)
        self.backbone = nn.Sequential(*list(trunk.children())[:-1], nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(512, n_classes))
        self.freeze_backbone()

    def forward(self, x):
        return self.head(self.backbone(x))


class JsonLoggingMixin:
    def log(self, **kw):
        print(json.dumps({"t": round(time.time()), **kw}))


class ProbeTrainer(JsonLoggingMixin):
    def __init__(self, model, lr=0.1, device="cpu"):
        self.model = model.to(device)
        self.device = device
        self.opt = torch.optim.SGD(model.head.parameters(), lr=lr, momentum=0.9)

    def train_epoch(self, loader):
        self.model.train()
        for images, labels in loader:
            loss = F.cross_entropy(self.model(images.to(self.device)), labels.to(self.device))
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return loss.item()

    @torch.inference_mode()
    def evaluate(self, loader):
        self.model.eval()
        hits = sum((self.model(x.to(self.device)).argmax(1).cpu() == y).sum().item() for x, y in loader)
        return hits / len(loader.dataset)

    def fit(self, train_loader, val_loader, epochs):
        for epoch in range(epochs):
            loss = self.train_epoch(train_loader)
            self.log(epoch=epoch, loss=loss, val_acc=self.evaluate(val_loader))


if __name__ == "__main__":
    tf = ResNet34_Weights.IMAGENET1K_V1.transforms()
    train_set = datasets.Flowers102("data", split="train", download=True, transform=tf)
    val_set = datasets.Flowers102("data", split="val", download=True, transform=tf)
    trainer = ProbeTrainer(ProbeClassifier(102), device="cuda" if torch.cuda.is_available() else "cpu")
    trainer.fit(DataLoader(train_set, batch_size=64, shuffle=True, num_workers=4),
                DataLoader(val_set, batch_size=128, num_workers=4), epochs=30)
