"""Tiny ViT for 32x32 images with hand-written attention; residual branches are applied
through a small helper defined inside forward."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class Block(nn.Module):
    def __init__(self, dim, heads, p=0.1, attn_p=0.1):
        super().__init__()
        self.heads = heads
        self.p = p
        self.attn_p = attn_p
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3)
        self.out = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))

    def _attn(self, h):
        b, n, d = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_p)
        return self.out(o.transpose(1, 2).reshape(b, n, d))

    def forward(self, x):
        def residual(branch, h):
            return h + F.dropout(branch(h), self.p)

        x = residual(self._attn, x)
        return residual(self.mlp, x)


class TinyViT(nn.Module):
    def __init__(self, n_classes=10, dim=192, depth=6, heads=3, patch=4, p=0.1):
        super().__init__()
        self.p = p
        self.patchify = nn.Conv2d(3, dim, patch, stride=patch)
        self.pos = nn.Parameter(torch.zeros(1, (32 // patch) ** 2, dim))
        self.blocks = nn.ModuleList(Block(dim, heads, p) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        h = self.patchify(x).flatten(2).transpose(1, 2) + self.pos
        h = F.dropout(h, self.p, self.training)
        for blk in self.blocks:
            h = blk(h)
        return self.head(self.norm(h).mean(1))


def main():
    tfm = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.ToTensor()])
    train_loader = DataLoader(datasets.CIFAR10("data", train=True, download=True, transform=tfm),
                              batch_size=256, shuffle=True)
    test_loader = DataLoader(datasets.CIFAR10("data", train=False, download=True, transform=transforms.ToTensor()),
                             batch_size=512)
    model = TinyViT()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    for epoch in range(100):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test_loader)
        print(f"epoch {epoch}: loss {loss.item():.3f} test acc {correct / len(test_loader.dataset):.4f}")


if __name__ == "__main__":
    main()
