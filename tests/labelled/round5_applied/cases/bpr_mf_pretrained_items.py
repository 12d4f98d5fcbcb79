"""BPR matrix factorisation with item vectors initialised from (frozen) text embeddings.

Full-ranking evaluation: Recall@20 and NDCG@20 over all items, training items masked.
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BPRMF(nn.Module):
    def __init__(self, n_users, item_vectors, p=0.1):
        super().__init__()
        dim = item_vectors.shape[1]
        self.user_emb = nn.Embedding(n_users, dim)
        nn.init.normal_(self.user_emb.weight, std=0.01)
        self.item_emb = nn.Embedding.from_pretrained(item_vectors, freeze=True)
        self.item_bias = nn.Parameter(torch.zeros(len(item_vectors)))
        self.user_drop = nn.Dropout(p)

    def forward(self, u, i):
        return (self.user_drop(self.user_emb(u)) * self.item_emb(i)).sum(-1) + self.item_bias[i]


def sample_triples(train_pos, n_items, rng):
    users = rng.integers(0, len(train_pos), size=sum(len(p) for p in train_pos))
    pos = np.array([rng.choice(train_pos[u]) if len(train_pos[u]) else 0 for u in users])
    neg = rng.integers(0, n_items, size=len(users))
    return torch.from_numpy(users), torch.from_numpy(pos), torch.from_numpy(neg)


@torch.inference_mode()
def full_ranking_metrics(model, train_pos, test_pos, k=20, bs=1024):
    model.eval()
    recalls, ndcgs = [], []
    all_items = model.item_emb.weight
    for start in range(0, len(test_pos), bs):
        users = torch.arange(start, min(start + bs, len(test_pos)))
        scores = model.user_emb(users) @ all_items.T + model.item_bias
        for row, u in enumerate(users.tolist()):
            scores[row, train_pos[u]] = -math.inf
        topk = scores.topk(k, dim=1).indices.numpy()
        for row, u in enumerate(users.tolist()):
            truth = set(test_pos[u])
            if not truth:
                continue
            hits = [1 if it in truth else 0 for it in topk[row]]
            recalls.append(sum(hits) / len(truth))
            idcg = sum(1 / math.log2(r + 2) for r in range(min(len(truth), k)))
            ndcgs.append(sum(h / math.log2(r + 2) for r, h in enumerate(hits)) / idcg)
    return float(np.mean(recalls)), float(np.mean(ndcgs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="amazon_books.npz")
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args()
    d = np.load(args.data, allow_pickle=True)
    train_pos, test_pos = list(d["train_pos"]), list(d["test_pos"])
    item_vectors = torch.tensor(d["item_text_emb"], dtype=torch.float32)
    n_items = len(item_vectors)

    model = BPRMF(len(train_pos), item_vectors)
    model.item_bias.requires_grad_(False)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    rng = np.random.default_rng(0)
    for epoch in range(args.epochs):
        model.train()
        u, i, j = sample_triples(train_pos, n_items, rng)
        perm = torch.randperm(len(u))
        for s in range(0, len(u), 4096):
            b = perm[s:s + 4096]
            loss = -F.logsigmoid(model(u[b], i[b]) - model(u[b], j[b])).mean()
            loss = loss + 1e-5 * model.user_emb(u[b]).pow(2).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 5 == 4:
            rec, ndcg = full_ranking_metrics(model, train_pos, test_pos)
            print(f"epoch {epoch + 1}: recall@20 {rec:.4f}  ndcg@20 {ndcg:.4f}")


if __name__ == "__main__":
    main()
