"""Nightly retraining of the moderation classifier head on yesterday's reviewed images.

The ImageNet ResNet-50 backbone is kept fixed (only the new head is trained), the best
epoch is chosen on the validation split and exported as TorchScript for the model server.
"""
import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import ResNet50_Weights, resnet50


def loaders(root, batch_size):
    weights = ResNet50_Weights.IMAGENET1K_V2
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train = datasets.ImageFolder(f"{root}/train", train_tf)
    val = datasets.ImageFolder(f"{root}/val", weights.transforms())
    return (DataLoader(train, batch_size=batch_size, shuffle=True, num_workers=8, drop_last=True),
            DataLoader(val, batch_size=batch_size, num_workers=8), len(train.classes))


def validate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/data/moderation/latest")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--out", default="moderation_head.ts")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, val_loader, n_classes = loaders(args.data, 64)

    model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    model.to(device)
    optimizer = torch.optim.AdamW(model.fc.parameters(), lr=args.lr, weight_decay=1e-4)

    best_acc, best_state = -1.0, None
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc = validate(model, val_loader, device)
        print(f"epoch {epoch}: val acc {acc:.4f}")
        if acc > best_acc:
            best_acc, best_state = acc, copy.deepcopy(model.state_dict())

    model.load_state_dict(best_state)
    model.eval()
    scripted = torch.jit.script(model.cpu())
    scripted.save(args.out)
    print(f"best val acc {best_acc:.4f}; exported {args.out}")


if __name__ == "__main__":
    main()
