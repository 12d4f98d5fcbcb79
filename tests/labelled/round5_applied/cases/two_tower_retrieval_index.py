"""Two-tower retrieval model with in-batch softmax; Recall@50 on held-out interactions.

The item index is rebuilt after every epoch to monitor retrieval quality.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Tower(nn.Module):
    def __init__(self, n_ids, n_feats, dim=64, p=0.2):
        super().__init__()
        self.id_emb = nn.Embedding(n_ids, dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim + n_feats, 256), nn.ReLU(), nn.Dropout(p),
            nn.Linear(256, dim),
        )

    def forward(self, ids, feats):
        h = self.mlp(torch.cat([self.id_emb(ids), feats], dim=-1))
        return F.normalize(h, dim=-1)


class TwoTower(nn.Module):
    def __init__(self, n_users, n_items, u_feats, i_feats, temperature=0.05):
        super().__init__()
        self.user_tower = Tower(n_users, u_feats)
        self.item_tower = Tower(n_items, i_feats)
        self.t = temperature

    def forward(self, u, uf, i, itf):
        return self.user_tower(u, uf) @ self.item_tower(i, itf).T / self.t


@torch.no_grad()
def build_item_index(model, item_feats, bs=8192):
    model.eval()
    ids = torch.arange(len(item_feats))
    chunks = [model.item_tower(ids[s:s + bs], item_feats[s:s + bs]) for s in range(0, len(ids), bs)]
    return torch.cat(chunks)


@torch.no_grad()
def recall_at_k(model, index, users, user_feats, targets, k=50):
    model.eval()
    q = model.user_tower(users, user_feats[users])
    topk = (q @ index.T).topk(k, dim=1).indices
    return (topk == targets[:, None]).any(dim=1).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="interactions.npz")
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    d = np.load(args.data)
    user_feats = torch.tensor(d["user_feats"], dtype=torch.float32)
    item_feats = torch.tensor(d["item_feats"], dtype=torch.float32)
    tr_u, tr_i = torch.tensor(d["train_u"]), torch.tensor(d["train_i"])
    va_u, va_i = torch.tensor(d["val_u"]), torch.tensor(d["val_i"])
    loader = DataLoader(TensorDataset(tr_u, tr_i), batch_size=1024, shuffle=True, drop_last=True)

    model = TwoTower(len(user_feats), len(item_feats), user_feats.shape[1], item_feats.shape[1])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    model.train()
    for epoch in range(args.epochs):
        total = 0.0
        for u, i in loader:
            logits = model(u, user_feats[u], i, item_feats[i])
            loss = F.cross_entropy(logits, torch.arange(len(u)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        index = build_item_index(model, item_feats)
        rec = recall_at_k(model, index, va_u, user_feats, va_i)
        print(f"epoch {epoch}: loss {total / len(loader):.4f}  recall@50 {rec:.4f}")
    torch.save(model.state_dict(), "two_tower.pt")


if __name__ == "__main__":
    main()
