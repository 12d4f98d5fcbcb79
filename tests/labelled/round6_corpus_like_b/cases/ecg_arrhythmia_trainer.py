"""12-lead ECG multi-label arrhythmia classifier (PTB-XL style) with a small Trainer class."""
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score


class ECGNet(nn.Module):
    def __init__(self, n_leads=12, n_classes=5, width=64):
        super().__init__()
        layers, cin = [], n_leads
        for cout in (width, width, 2 * width, 2 * width):
            layers += [nn.Conv1d(cin, cout, 7, padding=3, bias=False), nn.BatchNorm1d(cout),
                       nn.ReLU(inplace=True), nn.MaxPool1d(2)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(cin, n_classes)

    def forward(self, x):
        return self.fc(self.drop(self.features(x).mean(-1)))


class Trainer:
    def __init__(self, model, train_loader, val_loader, device="cpu", lr=1e-3):
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.criterion = nn.BCEWithLogitsLoss()
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=1e-2)

    def evaluate(self):
        self.model.eval()
        ys, ps = [], []
        with torch.no_grad():
            for signal, target in self.val_loader:
                ps.append(self.model(signal.to(self.device)).sigmoid().cpu())
                ys.append(target)
        return roc_auc_score(torch.cat(ys).numpy(), torch.cat(ps).numpy(), average="macro")

    def fit(self, epochs, ckpt="ecgnet_best.pt"):
        best = 0.0
        for epoch in range(epochs):
            self.model.train
            running = 0.0
            for signal, target in self.train_loader:
                logits = self.model(signal.to(self.device))
                loss = self.criterion(logits, target.to(self.device).float())
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                running += loss.item()
            auc = self.evaluate()
            if auc > best:
                best = auc
                torch.save(self.model.state_dict(), ckpt)
            print(f"epoch {epoch}: train loss {running / len(self.train_loader):.4f} val macro-AUC {auc:.4f}")
        return best


if __name__ == "__main__":
    train_ds = torch.load("ptbxl_train.pt")
    val_ds = torch.load("ptbxl_val.pt")
    trainer = Trainer(
        ECGNet(),
        torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True),
        torch.utils.data.DataLoader(val_ds, batch_size=256),
        device="cuda" if torch.cuda.is_available() else "cpu",
    )
    print("best", trainer.fit(epochs=40))
