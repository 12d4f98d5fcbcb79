"""Active learning with BALD acquisition (MC dropout) for the sentiment annotation queue.

Scoring keeps the model in eval mode (BatchNorm uses its running statistics) and turns only
the Dropout layers back on, so that repeated stochastic passes estimate epistemic
uncertainty. Each round retrains from the current weights in training mode.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset


class SentimentMLP(nn.Module):
    def __init__(self, d_in=768, n_classes=3, hidden=256, p=0.25):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
        )
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


def enable_mc_dropout(model):
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()


def bald_scores(model, loader, device, n_samples=20):
    enable_mc_dropout(model)
    scores = []
    with torch.no_grad():
        for (x,) in loader:
            x = x.to(device)
            probs = torch.stack([model(x).softmax(-1) for _ in range(n_samples)])
            mean = probs.mean(0)
            entropy = -(mean * mean.clamp_min(1e-12).log()).sum(-1)
            expected = -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean(0)
            scores.append((entropy - expected).cpu())
    return torch.cat(scores)


def train_round(model, loader, opt, device, epochs=3):
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="review_embeddings.pt")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--budget", type=int, default=100)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    d = torch.load(args.data)
    pool = TensorDataset(d["x"], d["y"])
    labeled = list(range(200))
    model = SentimentMLP().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for r in range(args.rounds):
        train_round(model, DataLoader(Subset(pool, labeled), batch_size=32, shuffle=True, drop_last=True), opt, device)
        unlabeled = sorted(set(range(len(pool))) - set(labeled))
        scores = bald_scores(model, DataLoader(TensorDataset(d["x"][unlabeled]), batch_size=1024), device)
        labeled += [unlabeled[i] for i in scores.topk(args.budget).indices.tolist()]
        print(f"round {r}: {len(labeled)} labeled")

    model.eval()
    with torch.no_grad():
        acc = (model(d["x_test"].to(device)).argmax(-1).cpu() == d["y_test"]).float().mean()
    print(f"test accuracy after {args.rounds} rounds: {acc:.4f}")


if __name__ == "__main__":
    main()
