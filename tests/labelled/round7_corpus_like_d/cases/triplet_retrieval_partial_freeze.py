"""Product-image retrieval: ResNet-18 trunk (only layer4 fine-tuned) + projection, triplet loss."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import ResNet18_Weights, resnet18


class EmbeddingNet(nn.Module):
    def __init__(self, dim=128):
        super().__init__()
        self.trunk = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
        self.trunk.fc = nn.Identity()
        self.proj = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, dim))

    def forward(self, x):
        return F.normalize(self.proj(self.trunk(x)), dim=-1)


def freeze_early_layers(model):
    for name, p in model.trunk.named_parameters():
        if not name.startswith("layer4"):
            p.requires_grad = False


def train_epoch(model, loader, optimizer, margin, device):
    model.train()
    for anchor, pos, neg in loader:
        a, p, n = model(anchor.to(device)), model(pos.to(device)), model(neg.to(device))
        loss = F.triplet_margin_loss(a, p, n, margin=margin)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def compute_embeddings(model, loader, device):
    model.eval()
    feats, labels = [], []
    for images, y in loader:
        feats.append(model(images.to(device)).detach().cpu())
        labels.append(y)
    return torch.cat(feats), torch.cat(labels)


def recall_at_1(emb, labels):
    sim = emb @ emb.T
    sim.fill_diagonal_(-2.0)
    return (labels[sim.argmax(1)] == labels).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--triplets", default="sop_triplets.pt")
    ap.add_argument("--gallery", default="sop_gallery.pt")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--margin", type=float, default=0.2)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    triplet_loader = torch.utils.data.DataLoader(torch.load(args.triplets), batch_size=64, shuffle=True)
    gallery_loader = torch.utils.data.DataLoader(torch.load(args.gallery), batch_size=256)

    model = EmbeddingNet().to(device)
    freeze_early_layers(model)
    optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=1e-4)
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_epoch(model, triplet_loader, optimizer, args.margin, device)
        r1 = recall_at_1(*compute_embeddings(model, gallery_loader, device))
        print(f"epoch {epoch}: triplet loss {loss:.4f} R@1 {r1:.4f}")
        if r1 > best:
            best = r1
            torch.save(model.state_dict(), "retrieval_best.pt")


if __name__ == "__main__":
    main()
