"""BYOL on ImageNet-100 with a ResNet-18 backbone: online network + predictor, EMA target
network (cosine momentum schedule), and a weighted kNN evaluation of the backbone."""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def mlp(in_dim, hidden=4096, out=256):
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out))


class BYOL(nn.Module):
    def __init__(self):
        super().__init__()
        backbone = torchvision.models.resnet18()
        backbone.fc = nn.Identity()
        self.online_encoder = backbone
        self.online_projector = mlp(512)
        self.predictor = mlp(256)
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.target_projector = copy.deepcopy(self.online_projector)
        for p in list(self.target_encoder.parameters()) + list(self.target_projector.parameters()):
            p.requires_grad = False

    @torch.no_grad()
    def update_target(self, tau):
        for online, target in ((self.online_encoder, self.target_encoder), (self.online_projector, self.target_projector)):
            for po, pt in zip(online.parameters(), target.parameters()):
                pt.mul_(tau).add_(po, alpha=1 - tau)

    def forward(self, v1, v2):
        p1 = self.predictor(self.online_projector(self.online_encoder(v1)))
        p2 = self.predictor(self.online_projector(self.online_encoder(v2)))
        with torch.no_grad():
            z1 = self.target_projector(self.target_encoder(v1))
            z2 = self.target_projector(self.target_encoder(v2))
        loss = 2 - 2 * F.cosine_similarity(p1, z2, dim=-1) + 2 - 2 * F.cosine_similarity(p2, z1, dim=-1)
        return loss.mean()


@torch.no_grad()
def embed(encoder, loader, device):
    feats, labels = [], []
    for x, y in loader:
        feats.append(F.normalize(encoder(x.to(device, non_blocking=True)), dim=1))
        labels.append(y.to(device))
    return torch.cat(feats), torch.cat(labels)


def knn_top1(encoder, memory_loader, test_loader, device, k=20, T=0.07, classes=100):
    bank, bank_y = embed(encoder, memory_loader, device)
    test, test_y = embed(encoder, test_loader, device)
    sims, idx = (test @ bank.t()).topk(k, dim=1)
    weights = (sims / T).exp()
    scores = torch.zeros(test.size(0), classes, device=device).scatter_add_(1, bank_y[idx], weights)
    return (scores.argmax(1) == test_y).float().mean().item()


def main(train_loader, memory_loader, test_loader, epochs=300, base_tau=0.99, device="cuda"):
    model = BYOL().to(device)
    params = list(model.online_encoder.parameters()) + list(model.online_projector.parameters()) + list(model.predictor.parameters())
    optimizer = torch.optim.AdamW(params, lr=2e-3, weight_decay=1e-6)
    total_steps, step = epochs * len(train_loader), 0
    for epoch in range(epochs):
        for (v1, v2), _ in train_loader:
            loss = model(v1.to(device, non_blocking=True), v2.to(device, non_blocking=True))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            tau = 1 - (1 - base_tau) * (math.cos(math.pi * step / total_steps) + 1) / 2
            model.update_target(tau)
            step += 1
        if epoch % 20 == 19 or epoch == epochs - 1:
            acc = knn_top1(model.online_encoder, memory_loader, test_loader, device)
            print(f"epoch {epoch}: loss {loss.item():.4f} kNN top-1 {acc:.4f}")
    torch.save(model.online_encoder.state_dict(), "byol_r18.pt")
