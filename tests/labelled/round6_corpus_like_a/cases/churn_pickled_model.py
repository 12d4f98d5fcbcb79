"""Nightly churn scoring job.

The training pipeline exports the whole module with `torch.save(model.eval(), ...)`; this job
loads it as-is (trusted internal artifact) and writes one probability per customer.
"""
import argparse

import numpy as np
import pandas as pd
import torch


def load_features(path, columns):
    df = pd.read_parquet(path)
    x = torch.tensor(df[columns].to_numpy(dtype=np.float32))
    return df["customer_id"], x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="artifacts/churn_mlp_full.pt")
    ap.add_argument("--features", default="warehouse/customers_today.parquet")
    ap.add_argument("--out", default="churn_scores.csv")
    args = ap.parse_args()

    bundle = torch.load(args.model, map_location="cpu", weights_only=False)
    model, columns = bundle["model"], bundle["columns"]
    mean, std = bundle["mean"], bundle["std"]
    ids, x = load_features(args.features, columns)
    x = (x - mean) / std

    probs = []
    with torch.no_grad():
        for chunk in torch.split(x, 8192):
            probs.append(torch.sigmoid(model(chunk)).squeeze(-1))
    pd.DataFrame({"customer_id": ids, "churn_prob": torch.cat(probs).numpy()}).to_csv(args.out, index=False)
    print(f"scored {len(ids)} customers")


if __name__ == "__main__":
    main()
