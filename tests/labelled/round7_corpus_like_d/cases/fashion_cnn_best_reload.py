"""Fashion-MNIST CNN: train with validation-based checkpointing, then report test accuracy of the best weights."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms


class FashionCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(nn.Flatten(), nn.Dropout(0.4), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                                nn.Dropout(0.4), nn.Linear(128, num_classes))

    def forward(self, x):
        return self.fc(self.conv(x))


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, loader, device):
    correct = total = 0
    for x, y in loader:
        logits = model(x.to(device))
        correct += (logits.argmax(1).cpu() == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ckpt", default="fashion_best.pt")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
    full = datasets.FashionMNIST("data", train=True, download=True, transform=tfm)
    train_set, val_set = random_split(full, [54000, 6000], generator=torch.Generator().manual_seed(0))
    test_set = datasets.FashionMNIST("data", train=False, download=True, transform=tfm)
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=2)
    val_loader = DataLoader(val_set, batch_size=512)
    test_loader = DataLoader(test_set, batch_size=512)

    model = FashionCNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        scheduler.step()
        model.eval()
        acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: loss {loss:.4f} val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), args.ckpt)

    best_model = FashionCNN()
    best_model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    best_model.to(device)
    print(f"best val acc {best:.4f} | test acc {evaluate(best_model, test_loader, device):.4f}")


if __name__ == "__main__":
    main()
