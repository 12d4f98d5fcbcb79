"""Neural matrix factorisation (NeuMF) on implicit feedback; prints top-10 items for a few users."""
import argparse

import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, gmf_dim=32, mlp_dims=(128, 64, 32), p=0.2):
        super().__init__()
        self.gmf_user = nn.Embedding(n_users, gmf_dim)
        self.gmf_item = nn.Embedding(n_items, gmf_dim)
        self.mlp_user = nn.Embedding(n_users, mlp_dims[0] // 2)
        self.mlp_item = nn.Embedding(n_items, mlp_dims[0] // 2)
        layers = []
        for d_in, d_out in zip(mlp_dims[:-1], mlp_dims[1:]):
            layers += [nn.Linear(d_in, d_out), nn.ReLU(), nn.Dropout(p)]
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(gmf_dim + mlp_dims[-1], 1)

    def forward(self, users, items):
        gmf = self.gmf_user(users) * self.gmf_item(items)
        mlp = self.mlp(torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=-1))
        return self.out(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)


def sample_negatives(pos, n_items, k=4):
    users = pos.user.values.repeat(k)
    items = torch.randint(0, n_items, (len(users),)).numpy()
    return pd.DataFrame({"user": users, "item": items, "label": 0.0})


def fit(model, interactions, n_items, epochs=10, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(epochs):
        df = pd.concat([interactions.assign(label=1.0), sample_negatives(interactions, n_items)])
        ds = TensorDataset(torch.tensor(df.user.values), torch.tensor(df.item.values),
                           torch.tensor(df.label.values, dtype=torch.float32))
        for u, i, y in DataLoader(ds, batch_size=2048, shuffle=True):
            loss = loss_fn(model(u, i), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


def predict_top_k(model, user, n_items, seen, k=10):
    items = torch.arange(n_items)
    scores = model(torch.full_like(items, user), items)
    scores[list(seen)] = float("-inf")
    return scores.topk(k).indices.tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ratings", default="ml-1m/ratings.parquet")
    ap.add_argument("--users", type=int, nargs="+", default=[1, 42, 4096])
    args = ap.parse_args()
    inter = pd.read_parquet(args.ratings)[["user", "item"]]
    n_users, n_items = int(inter.user.max()) + 1, int(inter.item.max()) + 1
    model = NeuMF(n_users, n_items)
    fit(model, inter, n_items)
    for user in args.users:
        seen = set(inter.item[inter.user == user].tolist())
        print(user, predict_top_k(model, user, n_items, seen))


if __name__ == "__main__":
    main()
