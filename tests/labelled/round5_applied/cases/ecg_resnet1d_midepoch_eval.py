"""ECG heartbeat classification (MIT-BIH, 5 classes) with a 1-D ResNet.

Runs an LR range test first, then trains with validation every 500 steps; the
evaluation helper restores whatever mode the model was in.
"""
import copy

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import f1_score
from torch.utils.data import DataLoader, TensorDataset


class ResBlock1d(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1, self.b1 = nn.Conv1d(c, c, 5, padding=2), nn.BatchNorm1d(c)
        self.c2, self.b2 = nn.Conv1d(c, c, 5, padding=2), nn.BatchNorm1d(c)

    def forward(self, x):
        return F.relu(x + self.b2(self.c2(F.relu(self.b1(self.c1(x))))))


class ECGNet(nn.Module):
    def __init__(self, n_classes=5, c=32):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(1, c, 7, padding=3), nn.BatchNorm1d(c), nn.ReLU())
        self.blocks = nn.Sequential(*[ResBlock1d(c) for _ in range(5)])
        self.head = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(c, n_classes))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def lr_range_test(model, optimizer, loader, lo=1e-6, hi=1.0, steps=80):
    init_model, init_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    mult = (hi / lo) ** (1 / steps)
    lrs, losses, lr = [], [], lo
    model.train()
    for step, (xb, yb) in enumerate(loader):
        if step == steps:
            break
        for g in optimizer.param_groups:
            g["lr"] = lr
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        lrs.append(lr)
        losses.append(loss.item())
        lr *= mult
    model.load_state_dict(init_model)
    optimizer.load_state_dict(init_opt)
    smooth = pd.Series(losses).ewm(alpha=0.1).mean().values
    return lrs[int(np.argmin(smooth))] / 10


def evaluate(model, loader):
    was_training = model.training
    model.eval()
    preds, labels = [], []
    with torch.no_grad():
        for xb, yb in loader:
            preds.append(model(xb).argmax(1))
            labels.append(yb)
    model.train(was_training)
    return f1_score(torch.cat(labels).numpy(), torch.cat(preds).numpy(), average="macro")


def load(path):
    arr = pd.read_csv(path, header=None).values.astype(np.float32)
    return TensorDataset(torch.from_numpy(arr[:, :-1]).unsqueeze(1), torch.from_numpy(arr[:, -1]).long())


def main():
    train_dl = DataLoader(load("mitbih_train.csv"), batch_size=128, shuffle=True)
    test_ds = load("mitbih_test.csv")
    val_dl = DataLoader(test_ds, batch_size=1024)
    model = ECGNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    lr = lr_range_test(model, optimizer, train_dl)
    for g in optimizer.param_groups:
        g["lr"] = lr
    print(f"using lr={lr:.2e}")

    step = 0
    for epoch in range(10):
        model.train()
        for xb, yb in train_dl:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 500 == 0:
                print(f"step {step}: loss {loss.item():.4f}  val macro-F1 {evaluate(model, val_dl):.4f}")
    print("final macro-F1:", evaluate(model, val_dl))
    torch.save(model.state_dict(), "ecg_resnet1d.pt")


if __name__ == "__main__":
    main()
