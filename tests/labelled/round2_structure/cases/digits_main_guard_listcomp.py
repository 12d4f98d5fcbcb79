"""Score the handwritten-digit test split with a trained LeNet-style model and list the
least confident predictions."""
import sys

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 5 * 5, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10),
        )

    def forward(self, x):
        return self.fc(self.conv(x))


if __name__ == "__main__":
    weights = sys.argv[1] if len(sys.argv) > 1 else "lenet_mnist.pt"
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    test_set = datasets.MNIST("data", train=False, download=True, transform=tfm)
    loader = DataLoader(test_set, batch_size=1000)

    model = LeNet()
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()

    preds = [model(x).argmax(1) for x, _ in loader]
    labels = torch.cat([y for _, y in loader])
    acc = (torch.cat(preds) == labels).float().mean().item()
    print(f"test accuracy: {acc:.4f}")

    unsure = []
    for idx in range(0, len(test_set), 500):
        image, label = test_set[idx]
        if (conf := model(image.unsqueeze(0)).softmax(-1).max().item()) < 0.9:
            unsure.append((idx, label, conf))
    for idx, label, conf in sorted(unsure, key=lambda t: t[2]):
        print(f"#{idx}: label {label} confidence {conf:.3f}")
