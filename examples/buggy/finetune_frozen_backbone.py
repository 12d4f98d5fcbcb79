# evalguard example: buggy twin of examples/fixed/finetune_frozen_backbone.py.
# Expected findings of `evalguard check` (rule and reported line), one per line:
# expect: EG004 line 50
"""Fine-tune only a new classification layer on top of a frozen ImageNet ResNet-18."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision.models import ResNet18_Weights, resnet18


def make_split(n, num_classes, seed):
    """Stand-in for a small labelled image dataset (64x64 RGB)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, (n,), generator=g)
    images = torch.randn(n, 3, 64, 64, generator=g) + 0.1 * labels.view(-1, 1, 1, 1)
    return TensorDataset(images, labels)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = 0
    for images, labels in loader:
        correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--no-pretrained", action="store_true", help="random init (offline smoke test)")
    ap.add_argument("--out", default="resnet18_head.pt")
    args = ap.parse_args()

    torch.manual_seed(0)
    train_loader = DataLoader(make_split(512, args.classes, 0), batch_size=32, shuffle=True)
    val_loader = DataLoader(make_split(128, args.classes, 1), batch_size=64)

    model = resnet18(weights=None if args.no_pretrained else ResNet18_Weights.IMAGENET1K_V1)
    model.requires_grad_(False)  # freeze the pretrained backbone ...
    model.fc = nn.Linear(model.fc.in_features, args.classes)  # ... and train a new head
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=args.lr, momentum=0.9)

    for epoch in range(args.epochs):
        model.train()
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc = evaluate(model, val_loader)
        print(f"epoch {epoch}: train loss {loss.item():.4f} val acc {acc:.4f}")
    torch.save(model.fc.state_dict(), args.out)


if __name__ == "__main__":
    main()
