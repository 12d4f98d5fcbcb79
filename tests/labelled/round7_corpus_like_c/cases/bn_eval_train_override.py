"""Fine-tune the upper stages of a ResNet-50 for fine-grained car models.

The lower stages are frozen; the model's train() override keeps their BatchNorm layers in eval mode.
"""
import argparse

import torch
import torch.nn as nn
from torchvision import datasets
from torchvision.models import ResNet50_Weights, resnet50

FROZEN_STAGES = ("conv1", "bn1", "layer1", "layer2")


class PartiallyFrozenResNet(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.net = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
        self.net.fc = nn.Sequential(nn.Dropout(0.3), nn.Linear(2048, n_classes))
        for name in FROZEN_STAGES:
            getattr(self.net, name).requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if mode:
            for name in FROZEN_STAGES:
                for m in getattr(self.net, name).modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()
        return self

    def forward(self, x):
        return self.net(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/stanford_cars")
    ap.add_argument("--epochs", type=int, default=25)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tf = ResNet50_Weights.IMAGENET1K_V2.transforms()
    train_ds = datasets.ImageFolder(f"{args.data}/train", tf)
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=8)
    val_loader = torch.utils.data.DataLoader(datasets.ImageFolder(f"{args.data}/val", tf), batch_size=64)

    model = PartiallyFrozenResNet(len(train_ds.classes)).to(device)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = criterion(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        hits = 0
        with torch.no_grad():
            for x, y in val_loader:
                hits += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        print(f"epoch {epoch}: val acc {hits / len(val_loader.dataset):.4f}")


if __name__ == "__main__":
    main()
