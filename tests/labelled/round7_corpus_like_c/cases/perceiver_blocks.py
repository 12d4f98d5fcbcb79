"""Perceiver-style building blocks: latent array cross-attends to the input, then self-attends."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CrossAttention(nn.Module):
    def __init__(self, latent_dim, input_dim, heads=1, attn_drop=0.1, proj_drop=0.1):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(latent_dim, latent_dim, bias=False)
        self.kv = nn.Linear(input_dim, 2 * latent_dim, bias=False)
        self.proj = nn.Linear(latent_dim, latent_dim)
        self.attn_drop = attn_drop
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, latents, inputs, mask=None):
        b, n, d = latents.shape
        q = self.q(latents).view(b, n, self.heads, -1).transpose(1, 2)
        k, v = self.kv(inputs).view(b, inputs.shape[1], 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.attn_drop)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, n, d)))


class SelfAttention(nn.Module):
    def __init__(self, dim, heads=8, attn_drop=0.1):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = attn_drop

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        p = self.attn_drop if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4, p=0.1):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * mult)
        self.fc2 = nn.Linear(dim * mult, dim)
        self.p = p

    def _mlp(self, x):
        h = F.gelu(self.fc1(x))
        return self.fc2(F.dropout(h, self.p))

    def forward(self, x):
        return self._mlp(x)


class Perceiver(nn.Module):
    def __init__(self, input_dim, n_classes, n_latents=64, latent_dim=256, depth=4, input_drop=0.1):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(n_latents, latent_dim) * 0.02)
        self.input_drop = input_drop
        self.cross_norm = nn.LayerNorm(latent_dim)
        self.cross = CrossAttention(latent_dim, input_dim)
        self.layers = nn.ModuleList(
            nn.ModuleList([nn.LayerNorm(latent_dim), SelfAttention(latent_dim),
                           nn.LayerNorm(latent_dim), FeedForward(latent_dim)])
            for _ in range(depth)
        )
        self.head = nn.Sequential(nn.LayerNorm(latent_dim), nn.Linear(latent_dim, n_classes))

    def forward(self, inputs):
        inputs = F.dropout(inputs, self.input_drop, self.training)
        x = self.latents.expand(inputs.shape[0], -1, -1)
        x = x + self.cross(self.cross_norm(x), inputs)
        for ln1, attn, ln2, ff in self.layers:
            x = x + attn(ln1(x))
            x = x + ff(ln2(x))
        return self.head(x.mean(1))
