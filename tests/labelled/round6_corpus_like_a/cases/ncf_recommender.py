"""Neural collaborative filtering (GMF + MLP towers) on implicit feedback.

Leave-one-out protocol: each test user has one held-out positive and 99 sampled negatives;
HR@10 and NDCG@10 are reported after every epoch.
"""
import argparse
import math

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, factors=32, layers=(64, 32, 16), dropout=0.2):
        super().__init__()
        self.gmf_user = nn.Embedding(n_users, factors)
        self.gmf_item = nn.Embedding(n_items, factors)
        self.mlp_user = nn.Embedding(n_users, layers[0] // 2)
        self.mlp_item = nn.Embedding(n_items, layers[0] // 2)
        self.tower = nn.ModuleList(nn.Linear(a, b) for a, b in zip(layers[:-1], layers[1:]))
        self.dropout = dropout
        self.out = nn.Linear(factors + layers[-1], 1)

    def forward(self, users, items):
        gmf = self.gmf_user(users) * self.gmf_item(items)
        h = torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=-1)
        for lin in self.tower:
            h = F.dropout(F.relu(lin(h)), p=self.dropout)
        return self.out(torch.cat([gmf, h], dim=-1)).squeeze(-1)


def sample_batch(pos_pairs, n_items, n_neg, rng):
    users = np.repeat(pos_pairs[:, 0], 1 + n_neg)
    items = rng.integers(0, n_items, size=len(users))
    items[:: 1 + n_neg] = pos_pairs[:, 1]
    labels = np.zeros(len(users), dtype=np.float32)
    labels[:: 1 + n_neg] = 1.0
    return torch.from_numpy(users), torch.from_numpy(items), torch.from_numpy(labels)


def evaluate_hit_rate(model, test_users, test_candidates, k=10):
    model.eval()
    hits, ndcgs = [], []
    for u, cands in zip(test_users, test_candidates):  # cands[0] is the held-out positive
        users = torch.full((len(cands),), int(u), dtype=torch.long)
        scores = model(users, torch.as_tensor(cands, dtype=torch.long))
        ranked = torch.topk(scores, k).indices.tolist()
        hits.append(float(0 in ranked))
        ndcgs.append(1.0 / math.log2(ranked.index(0) + 2) if 0 in ranked else 0.0)
    return float(np.mean(hits)), float(np.mean(ndcgs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ratings", default="ratings.csv")
    ap.add_argument("--test", default="test_candidates.npz")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--neg", type=int, default=4)
    args = ap.parse_args()

    df = pd.read_csv(args.ratings)
    pos = df[["user", "item"]].to_numpy()
    n_users, n_items = int(df.user.max()) + 1, int(df.item.max()) + 1
    test = np.load(args.test)
    model = NeuMF(n_users, n_items)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    for epoch in range(args.epochs):
        model.train()
        perm = rng.permutation(len(pos))
        for i in range(0, len(perm), 256):
            users, items, labels = sample_batch(pos[perm[i:i + 256]], n_items, args.neg, rng)
            loss = F.binary_cross_entropy_with_logits(model(users, items), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        hr, ndcg = evaluate_hit_rate(model, test["users"], test["candidates"])
        print(f"epoch {epoch}: loss {loss.item():.4f} HR@10 {hr:.4f} NDCG@10 {ndcg:.4f}")


if __name__ == "__main__":
    main()
