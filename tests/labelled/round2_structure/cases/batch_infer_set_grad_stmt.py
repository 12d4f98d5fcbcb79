"""Offline scoring job for the fraud model: reads a parquet of transactions, writes one
probability per row. Runs once a night on a CPU box."""
import sys

import pandas as pd
import torch
import torch.nn as nn


class FraudNet(nn.Module):
    def __init__(self, n_num, cat_cards, emb=8, hidden=128):
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(c, emb) for c in cat_cards)
        self.mlp = nn.Sequential(
            nn.Linear(n_num + emb * len(cat_cards), hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(hidden, 1),
        )

    def forward(self, num, cat):
        parts = [num] + [e(cat[:, i]) for i, e in enumerate(self.embs)]
        return self.mlp(torch.cat(parts, dim=1)).squeeze(1)


def chunks(df, num_cols, cat_cols, size=4096):
    for start in range(0, len(df), size):
        part = df.iloc[start:start + size]
        yield (torch.tensor(part[num_cols].to_numpy(), dtype=torch.float32),
               torch.tensor(part[cat_cols].to_numpy(), dtype=torch.long))


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    ckpt = torch.load(sys.argv[1], map_location="cpu")
    df = pd.read_parquet(sys.argv[2])
    model = FraudNet(len(ckpt["num_cols"]), ckpt["cat_cards"])
    model.load_state_dict(ckpt["state_dict"])
    model.eval()

    mean, std = ckpt["num_mean"], ckpt["num_std"]
    df[ckpt["num_cols"]] = (df[ckpt["num_cols"]] - mean) / std
    probs = [torch.sigmoid(model(num, cat)) for num, cat in chunks(df, ckpt["num_cols"], ckpt["cat_cols"])]
    df["fraud_prob"] = torch.cat(probs).numpy()

    stream = chunks(df.head(20000), ckpt["num_cols"], ckpt["cat_cols"], size=512)
    flagged = 0
    while (batch := next(stream, None)) is not None:
        if (top := torch.sigmoid(model(*batch)).max().item()) > 0.99:
            flagged += 1
            print(f"high-risk chunk, max prob {top:.4f}")
    df[["txn_id", "fraud_prob"]].to_parquet(sys.argv[3])
    print(f"scored {len(df)} rows, {flagged} high-risk chunks in the first 20k")
