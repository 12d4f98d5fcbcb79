"""NeuMF (GMF + MLP) on implicit feedback, leave-one-out evaluation with HR@10 / NDCG@10.

Each test user is ranked against 99 sampled negatives, as in He et al. (2017).
"""
import math
import random
from collections import defaultdict

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, k_gmf=32, k_mlp=32, layers=(128, 64, 32), p=0.2):
        super().__init__()
        self.u_gmf, self.i_gmf = nn.Embedding(n_users, k_gmf), nn.Embedding(n_items, k_gmf)
        self.u_mlp, self.i_mlp = nn.Embedding(n_users, k_mlp), nn.Embedding(n_items, k_mlp)
        mlp, d = [], 2 * k_mlp
        for h in layers:
            mlp += [nn.Linear(d, h), nn.ReLU(), nn.Dropout(p)]
            d = h
        self.mlp = nn.Sequential(*mlp)
        self.head = nn.Linear(k_gmf + d, 1)

    def forward(self, u, i):
        g = self.u_gmf(u) * self.i_gmf(i)
        m = self.mlp(torch.cat([self.u_mlp(u), self.i_mlp(i)], dim=-1))
        return self.head(torch.cat([g, m], dim=-1)).squeeze(-1)


def sample_training_pairs(pos_by_user, n_items, n_neg=4):
    users, items, labels = [], [], []
    for u, pos in pos_by_user.items():
        for i in pos:
            users.append(u); items.append(i); labels.append(1.0)
            for _ in range(n_neg):
                j = random.randrange(n_items)
                while j in pos:
                    j = random.randrange(n_items)
                users.append(u); items.append(j); labels.append(0.0)
    return TensorDataset(torch.tensor(users), torch.tensor(items), torch.tensor(labels))


def evaluate(model, test_items, test_negs, k=10):
    model.eval()
    hits, ndcgs = [], []
    for u, (pos, negs) in enumerate(zip(test_items, test_negs)):
        cand = torch.tensor([pos] + negs)
        scores = model(torch.full_like(cand, u), cand)
        topk = torch.topk(scores, k).indices.tolist()
        hits.append(1.0 if 0 in topk else 0.0)
        ndcgs.append(1.0 / math.log2(topk.index(0) + 2) if 0 in topk else 0.0)
    return float(np.mean(hits)), float(np.mean(ndcgs))


def main():
    df = pd.read_csv("ratings.dat", sep="::", engine="python", names=["u", "i", "r", "t"])
    df["u"] = df["u"].astype("category").cat.codes
    df["i"] = df["i"].astype("category").cat.codes
    n_users, n_items = df["u"].nunique(), df["i"].nunique()
    df = df.sort_values("t")
    last = df.groupby("u").tail(1)
    train_df = df.drop(last.index)
    pos_by_user = defaultdict(set)
    for u, i in zip(train_df["u"], train_df["i"]):
        pos_by_user[u].add(i)
    test_items = last.sort_values("u")["i"].tolist()
    rng = np.random.default_rng(0)
    test_negs = []
    for u in range(n_users):
        seen = pos_by_user[u] | {test_items[u]}
        test_negs.append([int(j) for j in rng.choice(n_items, 120) if j not in seen][:99])

    model = NeuMF(n_users, n_items)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    best_hr = 0.0
    for epoch in range(20):
        model.train()
        loader = DataLoader(sample_training_pairs(pos_by_user, n_items), batch_size=2048, shuffle=True)
        for u, i, lab in loader:
            opt.zero_grad()
            loss = bce(model(u, i), lab)
            loss.backward()
            opt.step()
        hr, ndcg = evaluate(model, test_items, test_negs)
        print(f"epoch {epoch:02d}  HR@10 {hr:.4f}  NDCG@10 {ndcg:.4f}")
        if hr > best_hr:
            best_hr = hr
            torch.save(model.state_dict(), "neumf_best.pt")


if __name__ == "__main__":
    main()
