"""Perceiver-style latent-array classifier for multichannel sensor windows (HAR), with fused SDPA kernels."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CrossAttention(nn.Module):
    """Latents (queries) attend to the input sequence (keys/values)."""

    def __init__(self, latent_dim, input_dim, heads=4, attn_drop=0.1):
        super().__init__()
        self.heads = heads
        self.attn_drop = attn_drop
        self.norm_q, self.norm_kv = nn.LayerNorm(latent_dim), nn.LayerNorm(input_dim)
        self.q = nn.Linear(latent_dim, latent_dim)
        self.kv = nn.Linear(input_dim, 2 * latent_dim)
        self.out = nn.Linear(latent_dim, latent_dim)

    def forward(self, latents, inputs):
        b, n, d = latents.shape
        q = self.q(self.norm_q(latents)).view(b, n, self.heads, -1).transpose(1, 2)
        k, v = self.kv(self.norm_kv(inputs)).view(b, inputs.size(1), 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop)
        return latents + self.out(y.transpose(1, 2).reshape(b, n, d))


class LatentBlock(nn.Module):
    def __init__(self, dim, heads=4, drop=0.1):
        super().__init__()
        self.heads, self.drop = heads, drop
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.drop if self.training else 0.0)
        x = x + F.dropout(self.proj(y.transpose(1, 2).reshape(b, n, d)), p=self.drop, training=self.training)
        x = x + F.dropout(self.mlp(self.norm2(x)), p=self.drop)
        return x


class PerceiverHAR(nn.Module):
    def __init__(self, in_channels=9, n_classes=6, latents=32, dim=128, depth=4):
        super().__init__()
        self.embed = nn.Linear(in_channels, dim)
        self.pos = nn.Parameter(torch.randn(1, 512, dim) * 0.02)
        self.latents = nn.Parameter(torch.randn(1, latents, dim) * 0.02)
        self.cross = CrossAttention(dim, dim)
        self.blocks = nn.ModuleList(LatentBlock(dim) for _ in range(depth))
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, n_classes))

    def forward(self, x):  # x: (B, T, C)
        h = self.embed(x) + self.pos[:, : x.size(1)]
        z = self.cross(self.latents.expand(x.size(0), -1, -1), h)
        for blk in self.blocks:
            z = blk(z)
        return self.head(z.mean(1))


def fit(model, train_loader, val_loader, epochs=30, lr=3e-4, device="cpu"):
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device), label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        correct = total = 0
        with torch.inference_mode():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
                total += y.numel()
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {correct / total:.4f}")
    return model
