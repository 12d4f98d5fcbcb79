"""Decoder-only transformer for hourly load forecasting (ETTh-style CSV, target column OT).

Trained with teacher forcing on next-step targets; the 24-hour horizon is rolled out
recursively, feeding each prediction back as input.
"""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CTX, HORIZON = 168, 24


class CausalSelfAttention(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.heads, self.p = heads, p
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.p)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d, heads, p)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d), nn.Dropout(p))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TSTransformer(nn.Module):
    def __init__(self, d=64, heads=4, depth=3, p=0.1):
        super().__init__()
        self.inp = nn.Linear(1, d)
        self.pos = nn.Parameter(torch.zeros(1, CTX, d))
        self.blocks = nn.Sequential(*[Block(d, heads, p) for _ in range(depth)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, 1)

    def forward(self, x):
        h = self.inp(x) + self.pos[:, :x.shape[1]]
        return self.head(self.ln(self.blocks(h)))


def predict_horizon(model, context, horizon=HORIZON):
    model.eval()
    x, outs = context, []
    for _ in range(horizon):
        y_next = model(x[:, -CTX:])[:, -1:]
        outs.append(y_next)
        x = torch.cat([x, y_next], dim=1)
    return torch.cat(outs, dim=1)


def windows(arr, length):
    return torch.stack([torch.from_numpy(arr[i:i + length]) for i in range(0, len(arr) - length, 6)])


def main():
    df = pd.read_csv("ETTh1.csv")
    ot = df["OT"].values.astype(np.float32)
    split = int(len(ot) * 0.8)
    mean, std = ot[:split].mean(), ot[:split].std()
    ot = ((ot - mean) / std)[:, None]
    tr = windows(ot[:split], CTX + 1)
    va = windows(ot[split:], CTX + HORIZON)
    loader = DataLoader(TensorDataset(tr[:, :-1], tr[:, 1:]), batch_size=64, shuffle=True)

    model = TSTransformer()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
    for epoch in range(20):
        model.train()
        for xb, yb in loader:
            loss = F.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        preds = predict_horizon(model, va[:, :CTX])
        mae = (preds - va[:, CTX:]).abs().mean().item() * std
        print(f"epoch {epoch}: train mse {loss.item():.4f}  val MAE@{HORIZON}h {mae:.3f}")
    last = torch.from_numpy(ot[-CTX:]).unsqueeze(0)
    future = predict_horizon(model, last).squeeze().detach().numpy() * std + mean
    pd.DataFrame({"step": np.arange(1, HORIZON + 1), "OT": future}).to_csv("forecast_ot.csv", index=False)


if __name__ == "__main__":
    main()
