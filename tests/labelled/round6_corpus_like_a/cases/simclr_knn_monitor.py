"""SimCLR pre-training on unlabeled tiles with a weighted kNN monitor after every epoch."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models import resnet18


class SimCLR(nn.Module):
    def __init__(self, proj_dim=128):
        super().__init__()
        self.backbone = resnet18(num_classes=10)
        self.backbone.fc = nn.Identity()
        self.projector = nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, proj_dim))

    def forward(self, x):
        return self.projector(self.backbone(x))


def nt_xent(z, temperature=0.2):
    z = F.normalize(z, dim=1)
    n = z.size(0) // 2
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


@torch.no_grad()
def extract_features(model, loader, device):
    model.eval()
    feats, labels = [], []
    for x, y in loader:
        feats.append(F.normalize(model.backbone(x.to(device)), dim=1))
        labels.append(y.to(device))
    return torch.cat(feats), torch.cat(labels)


def knn_accuracy(model, memory_loader, test_loader, device, k=50, t=0.1, n_classes=10):
    bank, bank_y = extract_features(model, memory_loader, device)
    feats, y = extract_features(model, test_loader, device)
    sim, idx = (feats @ bank.T).topk(k, dim=1)
    votes = torch.zeros(len(feats), n_classes, device=device)
    votes.scatter_add_(1, bank_y[idx], (sim / t).exp())
    return (votes.argmax(1) == y).float().mean().item()


def main(train_loader, memory_loader, test_loader, epochs=200):
    """train_loader yields (view1, view2) pairs; the two other loaders yield (image, label)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SimCLR().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.06, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    model.train()
    for epoch in range(epochs):
        for x1, x2 in train_loader:
            z = model(torch.cat([x1, x2]).to(device))
            loss = nt_xent(z)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = knn_accuracy(model, memory_loader, test_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} kNN acc {acc:.4f}")
    torch.save(model.backbone.state_dict(), "simclr_r18.pt")


if __name__ == "__main__":
    from tile_data import TwoViewTiles, labeled_tiles  # project-local dataset helpers

    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/tiles")
    ap.add_argument("--epochs", type=int, default=200)
    args = ap.parse_args()
    main(DataLoader(TwoViewTiles(f"{args.root}/unlabeled"), batch_size=256, shuffle=True, drop_last=True),
         DataLoader(labeled_tiles(f"{args.root}/train"), batch_size=512),
         DataLoader(labeled_tiles(f"{args.root}/test"), batch_size=512),
         epochs=args.epochs)
