"""Tabular churn model with periodic validation through a small evaluation context manager.

`evaluating(...)` puts every given module in eval mode, disables autograd, and on exit
puts each module back into the mode it had on entry.
"""
import contextlib

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, TensorDataset


@contextlib.contextmanager
def evaluating(*modules):
    previous = [m.training for m in modules]
    try:
        for m in modules:
            m.eval()
        with torch.no_grad():
            yield
    finally:
        for m, mode in zip(modules, previous):
            m.train(mode)


class ChurnNet(nn.Module):
    def __init__(self, n_num, cards, emb_dim=8):
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(c, emb_dim) for c in cards)
        d = n_num + emb_dim * len(cards)
        self.mlp = nn.Sequential(
            nn.BatchNorm1d(d), nn.Linear(d, 256), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(256, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 1),
        )

    def forward(self, x_num, x_cat):
        e = [emb(x_cat[:, i]) for i, emb in enumerate(self.embs)]
        return self.mlp(torch.cat([x_num, *e], 1)).squeeze(1)


def make_loader(arrays, shuffle):
    x_num, x_cat, y = arrays
    ds = TensorDataset(torch.as_tensor(x_num, dtype=torch.float32), torch.as_tensor(x_cat), torch.as_tensor(y, dtype=torch.float32))
    return DataLoader(ds, batch_size=512, shuffle=shuffle, drop_last=shuffle)


def main(train_arrays, val_arrays, cards, total_steps=20000, eval_every=1000):
    model = ChurnNet(train_arrays[0].shape[1], cards)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    train_loader = make_loader(train_arrays, True)
    val_loader = make_loader(val_arrays, False)

    step, best_auc = 0, 0.0
    while step < total_steps:
        for x_num, x_cat, y in train_loader:
            loss = loss_fn(model(x_num, x_cat), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1

            if step % eval_every == 0:
                scores, labels = [], []
                with evaluating(model):
                    for v_num, v_cat, v_y in val_loader:
                        scores.append(torch.sigmoid(model(v_num, v_cat)).numpy())
                        labels.append(v_y.numpy())
                auc = roc_auc_score(np.concatenate(labels), np.concatenate(scores))
                print(f"step {step}: loss {loss.item():.4f} val AUC {auc:.4f}")
                if auc > best_auc:
                    best_auc = auc
                    torch.save(model.state_dict(), "churn_best.pt")
            if step >= total_steps:
                break
    return best_auc


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    def fake(n):
        return rng.normal(size=(n, 12)), rng.integers(0, 5, size=(n, 3)), rng.integers(0, 2, size=n)
    print(main(fake(20000), fake(4000), cards=[5, 5, 5], total_steps=2000, eval_every=500))
