"""Tabular churn model: one evaluate_batch() computes loss and logits for both training and validation."""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class ChurnNet(nn.Module):
    def __init__(self, n_num, cat_cards, emb_dim=8, hidden=128):
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(c, emb_dim) for c in cat_cards)
        d = n_num + emb_dim * len(cat_cards)
        self.mlp = nn.Sequential(nn.BatchNorm1d(d), nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(hidden, 1))

    def forward(self, x_num, x_cat):
        embs = [emb(x_cat[:, i]) for i, emb in enumerate(self.embs)]
        return self.mlp(torch.cat([x_num, *embs], dim=1)).squeeze(-1)


def evaluate_batch(model, batch, criterion, device):
    x_num, x_cat, y = (t.to(device) for t in batch)
    logits = model(x_num, x_cat)
    return criterion(logits, y.float()), logits


def train_one_epoch(model, loader, criterion, optimizer, device):
    model.train()
    for batch in loader:
        loss, _ = evaluate_batch(model, batch, criterion, device)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def validate(model, loader, criterion, device):
    model.eval()
    total, hits, n = 0.0, 0, 0
    for batch in loader:
        loss, logits = evaluate_batch(model, batch, criterion, device)
        y = batch[2].to(device)
        total += loss.item() * len(y)
        hits += ((logits > 0).long() == y).sum().item()
        n += len(y)
    return total / n, hits / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="churn_tensors.pt")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    d = torch.load(args.data)
    train_loader = DataLoader(TensorDataset(*d["train"]), batch_size=256, shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(*d["val"]), batch_size=1024)
    model = ChurnNet(d["train"][0].shape[1], d["cat_cards"]).to(device)
    criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(3.0, device=device))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(args.epochs):
        tr_loss = train_one_epoch(model, train_loader, criterion, optimizer, device)
        va_loss, va_acc = validate(model, val_loader, criterion, device)
        print(f"epoch {epoch}: train {tr_loss:.4f} val {va_loss:.4f} acc {va_acc:.4f}")
    torch.save(model.state_dict(), "churn_net.pt")


if __name__ == "__main__":
    main()
