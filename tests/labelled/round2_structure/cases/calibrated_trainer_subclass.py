"""Generic image-classification Trainer plus a subclass that also reports the expected
calibration error (ECE) of the validation predictions."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet18


class Trainer:
    def __init__(self, model, train_loader, val_loader, lr=0.1, device="cpu"):
        self._model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.optimizer = torch.optim.SGD(self._model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)

    @property
    def model(self):
        return self._model

    def train_one_epoch(self):
        for x, y in self.train_loader:
            x, y = x.to(self.device), y.to(self.device)
            loss = F.cross_entropy(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return loss.item()

    def validate(self):
        self.model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in self.val_loader:
                correct += (self.model(x.to(self.device)).argmax(1).cpu() == y).sum().item()
        self.model.train()
        return {"acc": correct / len(self.val_loader.dataset)}

    def fit(self, epochs):
        for epoch in range(epochs):
            loss = self.train_one_epoch()
            metrics = self.validate()
            print(f"epoch {epoch}: loss {loss:.4f} " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()))


def expected_calibration_error(probs, labels, n_bins=15):
    conf, pred = probs.max(1)
    bins = torch.linspace(0, 1, n_bins + 1)
    ece = torch.zeros(())
    for lo, hi in zip(bins[:-1], bins[1:]):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.float().mean() * ((pred[mask] == labels[mask]).float().mean() - conf[mask].mean()).abs()
    return ece.item()


class CalibratedTrainer(Trainer):
    def validate(self):
        metrics = super().validate()
        probs, labels = [], []
        with torch.no_grad():
            for x, y in self.val_loader:
                probs.append(self.model(x.to(self.device)).softmax(-1).cpu())
                labels.append(y)
        metrics["ece"] = expected_calibration_error(torch.cat(probs), torch.cat(labels))
        return metrics


if __name__ == "__main__":
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    train = DataLoader(datasets.CIFAR10("data", train=True, download=True, transform=tfm), batch_size=128, shuffle=True)
    val = DataLoader(datasets.CIFAR10("data", train=False, download=True, transform=tfm), batch_size=512)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    CalibratedTrainer(resnet18(num_classes=10), train, val, device=dev).fit(epochs=30)
