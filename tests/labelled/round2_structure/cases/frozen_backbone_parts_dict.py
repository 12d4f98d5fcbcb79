"""Linear-ish probe on frozen ImageNet ResNet-18 features for a 20-class bird subset.
The network is kept as named parts so the checkpoint only has to store the head."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.models import ResNet18_Weights, resnet18


def build_parts(n_classes):
    backbone = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    backbone.fc = nn.Identity()
    backbone.requires_grad_(False)
    head = nn.Sequential(nn.Dropout(0.2), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, n_classes))
    return {"backbone": backbone, "head": head}


def main(args):
    tfm = ResNet18_Weights.IMAGENET1K_V1.transforms()
    train_loader = DataLoader(datasets.ImageFolder(f"{args.root}/train", tfm), batch_size=64, shuffle=True,
                              num_workers=4)
    val_loader = DataLoader(datasets.ImageFolder(f"{args.root}/val", tfm), batch_size=128, num_workers=4)
    parts = build_parts(len(train_loader.dataset.classes))
    optimizer = torch.optim.Adam(parts["head"].parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        for m in parts.values():
            m.train()
        for images, labels in train_loader:
            with torch.no_grad():
                feats = parts["backbone"](images)
            loss = F.cross_entropy(parts["head"](feats), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        for m in parts.values():
            m.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in val_loader:
                logits = parts["head"](parts["backbone"](images))
                correct += (logits.argmax(1) == labels).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {correct / len(val_loader.dataset):.4f}")
    torch.save(parts["head"].state_dict(), args.out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/birds20")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out", default="bird_head.pt")
    main(ap.parse_args())
