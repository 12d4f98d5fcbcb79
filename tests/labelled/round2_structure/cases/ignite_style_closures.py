"""Tiny hand-rolled engine in the style of ignite: step functions are closures built by a
factory, the loop only sees callables."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class SmallConvNet(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 8 * 8, n_classes))

    def forward(self, x):
        return self.head(self.features(x))


def make_steps(model, optimizer, device):
    def train_step(batch):
        model.train()
        x, y = (t.to(device) for t in batch)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    def eval_step(batch):
        x, y = (t.to(device) for t in batch)
        with torch.no_grad():
            logits = model(x)
        return (logits.argmax(1) == y).sum().item(), y.numel()

    return train_step, eval_step


def run(step, loader):
    return [step(batch) for batch in loader]


def main(args):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    train_loader = DataLoader(datasets.CIFAR10(args.root, train=True, download=True, transform=tfm),
                              batch_size=128, shuffle=True, num_workers=4)
    val_loader = DataLoader(datasets.CIFAR10(args.root, train=False, download=True, transform=tfm),
                            batch_size=512, num_workers=4)
    model = SmallConvNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    train_step, eval_step = make_steps(model, optimizer, device)

    for epoch in range(args.epochs):
        losses = run(train_step, train_loader)
        counts = run(eval_step, val_loader)
        acc = sum(c for c, _ in counts) / sum(n for _, n in counts)
        print(f"epoch {epoch}: loss {sum(losses) / len(losses):.4f} val acc {acc:.4f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=0.05)
    main(ap.parse_args())
