"""Team utilities: an `evaluating` context manager, a churn model, and the Predictor used by nightly scoring."""
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


@contextmanager
def evaluating(model):
    """Put `model` in eval mode for the block and restore its previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


class ChurnNet(nn.Module):
    def __init__(self, n_features, hidden=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Dropout(0.25),
        )
        self.out = nn.Linear(hidden // 2, 2)

    def forward(self, x):
        return self.out(self.body(x))


def validate(model, loader):
    correct = total = 0
    with evaluating(model), torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(-1) == y).sum().item()
            total += len(y)
    return correct / max(total, 1)


def fit(model, train_loader, val_loader, epochs=20, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for epoch in range(epochs):
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        # evaluating() restores training mode on exit
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {validate(model, val_loader):.4f}")
    return model


class Predictor:
    """Wraps a trained ChurnNet for the scoring job; returns churn probabilities."""

    def __init__(self, model, threshold=0.5):
        self.model = model
        self.threshold = threshold

    def predict_proba(self, x):
        with evaluating(self.model):
            logits = self.model(x)
        return F.softmax(logits, dim=-1)[:, 1].detach()

    def predict(self, x):
        return (self.predict_proba(x) > self.threshold).long()


if __name__ == "__main__":
    feats, labels = torch.load("churn_train.pt")
    val_feats, val_labels = torch.load("churn_val.pt")
    net = ChurnNet(feats.shape[1])
    fit(net,
        DataLoader(TensorDataset(feats, labels), batch_size=128, shuffle=True, drop_last=True),
        DataLoader(TensorDataset(val_feats, val_labels), batch_size=512))
    torch.save(net.state_dict(), "churn.pt")

    scoring = torch.load("customers_today.pt")
    predictor = Predictor(net, threshold=0.4)
    flagged = predictor.predict(scoring)
    print(f"{int(flagged.sum())} of {len(flagged)} customers flagged for retention")
