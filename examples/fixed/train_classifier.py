# evalguard example: fixed twin of examples/buggy/train_classifier.py. Expected findings: none.
"""Train a small CNN on a synthetic 10-class image task, validate after every epoch and
keep the best checkpoint, then predict the test split with that checkpoint."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class SmallCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


def make_split(n, seed):
    """Stand-in for a real dataset: 16x16 RGB images whose brightness depends on the label."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    images = torch.randn(n, 3, 16, 16, generator=g) + 0.2 * labels.view(-1, 1, 1, 1)
    return TensorDataset(images, labels)


def validate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(loader.dataset)


@torch.no_grad()
def predict(model, loader):
    model.eval()
    preds = []
    for images, _ in loader:
        preds.append(model(images).argmax(1))
    return torch.cat(preds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--checkpoint", default="small_cnn.pt")
    args = ap.parse_args()

    torch.manual_seed(0)
    train_loader = DataLoader(make_split(2048, 0), batch_size=64, shuffle=True)
    val_loader = DataLoader(make_split(512, 1), batch_size=256)
    test_loader = DataLoader(make_split(512, 2), batch_size=256)

    model = SmallCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    best_acc = 0.0
    for epoch in range(args.epochs):
        model.train()
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc = validate(model, val_loader)
        print(f"epoch {epoch}: train loss {loss.item():.4f} val acc {acc:.4f}")
        if acc >= best_acc:
            best_acc = acc
            torch.save(model.state_dict(), args.checkpoint)

    best = SmallCNN()
    best.load_state_dict(torch.load(args.checkpoint))
    preds = predict(best, test_loader)
    test_labels = test_loader.dataset.tensors[1]
    print(f"test acc {(preds == test_labels).float().mean().item():.4f}")


if __name__ == "__main__":
    main()
