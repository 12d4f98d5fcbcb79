"""Fraud scoring models built by name from a registry; `train` and `score` sub-commands."""
import argparse
import functools
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class MLPScorer(nn.Module):
    def __init__(self, n_features, hidden=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


class AttnScorer(nn.Module):
    """Each feature is a token; one self-attention layer over the features."""

    def __init__(self, n_features, dim=32, heads=4, attn_dropout=0.1):
        super().__init__()
        self.embed = nn.Linear(1, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, 1)
        self.heads, self.attn_dropout = heads, attn_dropout

    def forward(self, x):
        tokens = self.embed(x.unsqueeze(-1))
        b, n, d = tokens.shape
        q, k, v = self.qkv(tokens).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_dropout)
        attn = attn.transpose(1, 2).reshape(b, n, d)
        return self.out(self.norm(tokens + attn).mean(dim=1)).squeeze(-1)


MODELS = {"mlp": MLPScorer, "attn": AttnScorer}


@dataclass
class RunConfig:
    arch: str = "mlp"
    lr: float = 1e-3
    epochs: int = 20
    batch_size: int = 512


def build(cfg: RunConfig, n_features: int):
    return MODELS[cfg.arch](n_features)


def cmd_train(cfg, data_path, out_path):
    x, y = torch.load(data_path)
    model = build(cfg, x.shape[1])
    make_opt = functools.partial(torch.optim.AdamW, lr=cfg.lr, weight_decay=1e-4)
    opt = make_opt(model.parameters())
    pos_weight = (y == 0).sum() / (y == 1).sum().clamp(min=1)
    loader = DataLoader(TensorDataset(x, y.float()), batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    model.train()
    for epoch in range(cfg.epochs):
        for xb, yb in loader:
            loss = F.binary_cross_entropy_with_logits(model(xb), yb, pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    torch.save({"cfg": asdict(cfg), "state": model.state_dict()}, out_path)


def cmd_score(ckpt_path, data_path, out_csv):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    cfg = RunConfig(**ckpt["cfg"])
    x = torch.load(data_path)
    model = build(cfg, x.shape[1])
    model.load_state_dict(ckpt["state"])
    scores = []
    with torch.no_grad():
        for (xb,) in DataLoader(TensorDataset(x), batch_size=4096):
            scores.append(torch.sigmoid(model(xb)))
    np.savetxt(out_csv, torch.cat(scores).numpy(), fmt="%.6f")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--arch", default="mlp", choices=sorted(MODELS))
    t.add_argument("--data", required=True)
    t.add_argument("--out", default="scorer.pt")
    s = sub.add_parser("score")
    s.add_argument("--ckpt", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--out", default="scores.csv")
    args = ap.parse_args()
    if args.cmd == "train":
        cmd_train(RunConfig(arch=args.arch), args.data, args.out)
    else:
        cmd_score(args.ckpt, args.data, args.out)
