"""Human-activity recognition (6 classes) from 128-step accelerometer windows.

An LR range test (Smith, 2015) picks the max learning rate for a one-cycle schedule.
"""
import copy

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class HARConvNet(nn.Module):
    def __init__(self, channels=9, n_classes=6):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(channels, 64, 7, padding=3), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 128, 5, padding=2), nn.BatchNorm1d(128), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(128, 128, 3, padding=1), nn.BatchNorm1d(128), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class LRFinder:
    def __init__(self, model, optimizer, criterion):
        self.model, self.optimizer, self.criterion = model, optimizer, criterion
        self.lrs, self.losses = [], []

    def range_test(self, loader, start_lr=1e-7, end_lr=10.0, num_iter=100, beta=0.98):
        saved_model = copy.deepcopy(self.model.state_dict())
        saved_opt = copy.deepcopy(self.optimizer.state_dict())
        gamma = (end_lr / start_lr) ** (1 / num_iter)
        lr, avg, best = start_lr, 0.0, np.inf
        self.model.train()
        batches = iter(loader)
        for it in range(1, num_iter + 1):
            try:
                xb, yb = next(batches)
            except StopIteration:
                batches = iter(loader)
                xb, yb = next(batches)
            for g in self.optimizer.param_groups:
                g["lr"] = lr
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()
            avg = beta * avg + (1 - beta) * loss.item()
            smoothed = avg / (1 - beta ** it)
            if smoothed > 4 * best:
                break
            best = min(best, smoothed)
            self.lrs.append(lr)
            self.losses.append(smoothed)
            lr *= gamma
        self.model.load_state_dict(saved_model)
        self.optimizer.load_state_dict(saved_opt)

    def suggestion(self):
        grads = np.gradient(np.array(self.losses))
        return self.lrs[int(np.argmin(grads))]


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in loader:
            correct += (model(xb).argmax(1) == yb).sum().item()
    return correct / len(loader.dataset)


def main():
    d = np.load("uci_har.npz")
    train_ds = TensorDataset(torch.tensor(d["X_train"], dtype=torch.float32), torch.tensor(d["y_train"]))
    val_ds = TensorDataset(torch.tensor(d["X_test"], dtype=torch.float32), torch.tensor(d["y_test"]))
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=512)

    model = HARConvNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, nesterov=True)
    criterion = nn.CrossEntropyLoss()
    finder = LRFinder(model, optimizer, criterion)
    finder.range_test(train_loader)
    max_lr = finder.suggestion()
    print(f"suggested max lr: {max_lr:.2e}")

    epochs = 30
    sched = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs,
                                                steps_per_epoch=len(train_loader))
    for epoch in range(epochs):
        model.train
        for xb, yb in train_loader:
            optimizer.zero_grad()
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            optimizer.step()
            sched.step()
        print(f"epoch {epoch}: val acc {evaluate(model, val_loader):.4f}")
    torch.save(model.state_dict(), "har_cnn.pt")


if __name__ == "__main__":
    main()
