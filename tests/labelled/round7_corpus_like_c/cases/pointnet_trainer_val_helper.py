"""PointNet classifier on ModelNet-style point clouds, trained by a small Trainer class."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PointNet(nn.Module):
    def __init__(self, n_classes=40):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Conv1d(3, 64, 1), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 128, 1), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 1024, 1), nn.BatchNorm1d(1024), nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(512, n_classes),
        )

    def forward(self, pts):  # pts: (B, N, 3)
        feat = self.mlp(pts.transpose(1, 2)).max(dim=2).values
        return self.head(feat)


class PointCloudTrainer:
    def __init__(self, model, train_loader, val_loader, device="cuda", lr=1e-3):
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=20, gamma=0.5)

    def _freeze_for_scoring(self):
        self.model.eval()

    def _batch_hits(self, pts, labels):
        self._freeze_for_scoring()
        logits = self.model(pts.to(self.device))
        return (logits.argmax(1).cpu() == labels).sum().item()

    @torch.no_grad()
    def validate(self):
        hits = 0
        for pts, labels in self.val_loader:
            hits += self._batch_hits(pts, labels)
        return hits / len(self.val_loader.dataset)

    def train_epoch(self):
        running = 0.0
        for pts, labels in self.train_loader:
            pts, labels = pts.to(self.device), labels.to(self.device)
            loss = F.cross_entropy(self.model(pts), labels, label_smoothing=0.2)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            running += loss.item()
        self.scheduler.step()
        return running / len(self.train_loader)

    def fit(self, epochs):
        self.model.train()
        best = 0.0
        for epoch in range(epochs):
            loss = self.train_epoch()
            acc = self.validate()
            if acc > best:
                best = acc
                torch.save(self.model.state_dict(), "pointnet_best.pt")
            print(f"epoch {epoch:03d} loss {loss:.4f} val acc {acc:.4f}")
        return best
