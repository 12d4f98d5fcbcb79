"""PointNet classifier for ModelNet-style point clouds (N x 1024 x 3 tensors saved with torch.save)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

EPOCHS = 40
LOG_EVERY = 50
device = "cuda" if torch.cuda.is_available() else "cpu"


class PointNet(nn.Module):
    def __init__(self, n_classes=40):
        super().__init__()
        self.mlp1 = nn.Sequential(nn.Conv1d(3, 64, 1), nn.BatchNorm1d(64), nn.ReLU(),
                                  nn.Conv1d(64, 128, 1), nn.BatchNorm1d(128), nn.ReLU(),
                                  nn.Conv1d(128, 1024, 1), nn.BatchNorm1d(1024), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(1024, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(256, n_classes))

    def forward(self, pts):  # pts: (B, N, 3)
        feat = self.mlp1(pts.transpose(1, 2)).max(dim=2).values
        return self.head(feat)


def rotate_y(pts):
    theta = torch.rand(pts.size(0), 1, device=pts.device) * 2 * torch.pi
    c, s = torch.cos(theta), torch.sin(theta)
    x, y, z = pts.unbind(-1)
    return torch.stack([c * x - s * z, y, s * x + c * z], dim=-1)


train_x, train_y = torch.load("modelnet_train.pt")
test_x, test_y = torch.load("modelnet_test.pt")
split = int(0.9 * len(train_x))
train_loader = DataLoader(TensorDataset(train_x[:split], train_y[:split]), batch_size=32, shuffle=True, drop_last=True)
val_loader = DataLoader(TensorDataset(train_x[split:], train_y[split:]), batch_size=64)
val_preview = train_x[split:split + 64].to(device), train_y[split:split + 64].to(device)

model = PointNet().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)

for epoch in range(EPOCHS):
    model.train()
    for i, (pts, label) in enumerate(train_loader):
        pts, label = rotate_y(pts.to(device)), label.to(device)
        loss = F.cross_entropy(model(pts), label, label_smoothing=0.2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % LOG_EVERY == 0:
            with torch.no_grad():
                preview_acc = (model(val_preview[0]).argmax(1) == val_preview[1]).float().mean().item()
            print(f"epoch {epoch} it {i}: loss {loss.item():.4f} preview acc {preview_acc:.3f}")
    scheduler.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for pts, label in val_loader:
            correct += (model(pts.to(device)).argmax(1).cpu() == label).sum().item()
    print(f"epoch {epoch}: val acc {correct / len(val_loader.dataset):.4f}")

model.eval()
correct = 0
with torch.no_grad():
    for pts, label in DataLoader(TensorDataset(test_x, test_y), batch_size=64):
        correct += (model(pts.to(device)).argmax(1).cpu() == label).sum().item()
print(f"test acc {correct / len(test_x):.4f}")
torch.save(model.state_dict(), "pointnet.pt")
