# evalguard example: buggy twin of examples/fixed/custom_layers.py.
# Expected findings of `evalguard check` (rule and reported line), one per line:
# expect: EG007 line 26
# expect: EG007 line 39
"""Building blocks for a small vision transformer: self-attention on the fused SDPA kernel,
an MLP with dropout, and a patch-embedding classifier. Run it for a quick smoke test."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, dim, heads=4, attn_p=0.1, proj_p=0.1):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attn_p = attn_p
        self.proj_p = proj_p

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_p)
        y = y.transpose(1, 2).reshape(b, n, d)
        return F.dropout(self.proj(y), self.proj_p, training=self.training)


class MLP(nn.Module):
    def __init__(self, dim, hidden, p=0.1):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.p = p

    def forward(self, x):
        x = F.dropout(F.gelu(self.fc1(x)), self.p)
        return self.fc2(x)


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, 4 * dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    def __init__(self, num_classes=10, img_size=32, patch=4, dim=64, depth=4, heads=4):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.pos = nn.Parameter(torch.zeros(1, (img_size // patch) ** 2, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos
        x = self.norm(self.blocks(x))
        return self.head(x.mean(1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="smoke test: eval-mode outputs must be deterministic")
    ap.add_argument("--batch-size", type=int, default=4)
    args = ap.parse_args()
    model = TinyViT().eval()
    x = torch.randn(args.batch_size, 3, 32, 32)
    with torch.no_grad():
        first, second = model(x), model(x)
    print("deterministic in eval mode:", torch.allclose(first, second))
