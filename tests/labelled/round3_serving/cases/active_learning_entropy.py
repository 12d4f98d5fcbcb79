"""Pool-based active learning for defect images: train, score the unlabeled pool by
predictive entropy, send the most uncertain images to the annotators, repeat."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset


class DefectCNN(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.head(self.features(x))


def train_round(model, loader, optimizer, epochs, device):
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


@torch.no_grad()
def score_pool(model, loader, device):
    entropies = []
    for x, _ in loader:
        probs = model(x.to(device)).softmax(-1)
        entropies.append(-(probs * probs.clamp_min(1e-12).log()).sum(-1).cpu())
    return torch.cat(entropies)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(-1).cpu() == y).sum().item()
            total += len(y)
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="defects.pt")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    images, labels, test_images, test_labels = torch.load(args.data)
    full = TensorDataset(images, labels)
    rng = np.random.default_rng(0)
    labeled = set(rng.choice(len(full), size=500, replace=False).tolist())

    model = DefectCNN().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for r in range(args.rounds):
        unlabeled = sorted(set(range(len(full))) - labeled)
        train_loader = DataLoader(Subset(full, sorted(labeled)), batch_size=64, shuffle=True)
        pool_loader = DataLoader(Subset(full, unlabeled), batch_size=512)
        train_round(model, train_loader, optimizer, args.epochs, device)
        entropy = score_pool(model, pool_loader, device)
        picked = entropy.topk(min(args.budget, len(unlabeled))).indices.tolist()
        labeled |= {unlabeled[i] for i in picked}
        print(f"round {r}: labeled={len(labeled)} mean pool entropy={entropy.mean():.3f}")

    test_loader = DataLoader(TensorDataset(test_images, test_labels), batch_size=512)
    print(f"final test accuracy: {evaluate(model, test_loader, device):.4f}")


if __name__ == "__main__":
    main()
