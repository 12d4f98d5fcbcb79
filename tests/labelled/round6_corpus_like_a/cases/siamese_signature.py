"""Offline signature verification: a Siamese network on top of a frozen ImageNet ResNet-34.

Only the projection head is trained (contrastive loss on genuine/forged pairs).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models import ResNet34_Weights, resnet34


class SiameseNet(nn.Module):
    def __init__(self, emb_dim=128):
        super().__init__()
        backbone = resnet34(weights=ResNet34_Weights.IMAGENET1K_V1)
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.proj = nn.Sequential(nn.Linear(512, 256), nn.ReLU(inplace=True), nn.Linear(256, emb_dim))

    def forward(self, x):
        return F.normalize(self.proj(self.backbone(x)), dim=-1)


def contrastive_loss(e1, e2, same, margin=0.5):
    d = (e1 - e2).norm(dim=-1)
    return (same * d.pow(2) + (1 - same) * F.relu(margin - d).pow(2)).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs-train", default="sig_pairs_train.pt")
    ap.add_argument("--pairs-val", default="sig_pairs_val.pt")
    ap.add_argument("--epochs", type=int, default=25)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = SiameseNet().to(device)
    for p in model.backbone.parameters():
        p.requires_grad = False
    optimizer = torch.optim.Adam(model.proj.parameters(), lr=1e-3)
    train_loader = DataLoader(torch.load(args.pairs_train), batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(torch.load(args.pairs_val), batch_size=128)

    for epoch in range(args.epochs):
        model.train()
        for a, b, same in train_loader:
            a, b, same = a.to(device), b.to(device), same.float().to(device)
            emb = model(torch.cat([a, b]))
            loss = contrastive_loss(emb[: len(a)], emb[len(a):], same)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        model.eval()
        dists, labels = [], []
        with torch.no_grad():
            for a, b, same in val_loader:
                dists.append((model(a.to(device)) - model(b.to(device))).norm(dim=-1).cpu())
                labels.append(same)
        dists, labels = torch.cat(dists), torch.cat(labels).bool()
        acc = max(((dists < t) == labels).float().mean().item() for t in torch.linspace(0.1, 1.5, 29))
        print(f"epoch {epoch}: loss {loss.item():.4f} best-threshold val acc {acc:.4f}")
    torch.save(model.proj.state_dict(), "siamese_proj.pt")


if __name__ == "__main__":
    main()
