"""1-D ResNet for 12-lead ECG rhythm classification.

Autograd is switched explicitly with torch.set_grad_enabled in both the training and
the validation routine.
"""
import torch
import torch.nn as nn
from sklearn.metrics import f1_score


class ResBlock1d(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, 7, stride, 3, bias=False)
        self.bn1 = nn.BatchNorm1d(cout)
        self.conv2 = nn.Conv1d(cout, cout, 7, 1, 3, bias=False)
        self.bn2 = nn.BatchNorm1d(cout)
        self.drop = nn.Dropout(0.2)
        self.skip = nn.Sequential(nn.Conv1d(cin, cout, 1, stride, bias=False), nn.BatchNorm1d(cout)) \
            if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        h = self.drop(torch.relu(self.bn1(self.conv1(x))))
        return torch.relu(self.bn2(self.conv2(h)) + self.skip(x))


class ECGNet(nn.Module):
    def __init__(self, n_leads=12, n_classes=9, widths=(64, 128, 196, 256)):
        super().__init__()
        layers, cin = [nn.Conv1d(n_leads, widths[0], 15, 2, 7, bias=False), nn.BatchNorm1d(widths[0]), nn.ReLU()], widths[0]
        for w in widths:
            layers.append(ResBlock1d(cin, w, 2))
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, n_classes)

    def forward(self, x):
        return self.head(self.features(x).mean(-1))


def train_one_epoch(model, loader, optimizer, criterion, device):
    model.train()
    running = 0.0
    with torch.set_grad_enabled(True):
        for signals, targets in loader:
            logits = model(signals.to(device))
            loss = criterion(logits, targets.to(device).float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
    return running / len(loader)


def validate(model, loader, device, threshold=0.5):
    preds, golds = [], []
    with torch.set_grad_enabled(False):
        for signals, targets in loader:
            probs = torch.sigmoid(model(signals.to(device)))
            preds.append((probs > threshold).cpu())
            golds.append(targets.bool())
    return f1_score(torch.cat(golds).numpy(), torch.cat(preds).numpy(), average="macro", zero_division=0)


def main(train_loader, val_loader, epochs=60, device="cuda"):
    model = ECGNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=5)
    criterion = nn.BCEWithLogitsLoss()
    best_f1 = 0.0
    for epoch in range(epochs):
        train_loss = train_one_epoch(model, train_loader, optimizer, criterion, device)
        f1 = validate(model, val_loader, device)
        scheduler.step(f1)
        print(f"epoch {epoch:03d} train loss {train_loss:.4f} val macro-F1 {f1:.4f}")
        if f1 > best_f1:
            best_f1 = f1
            torch.save(model.state_dict(), "ecgnet_best.pt")
    return best_f1
