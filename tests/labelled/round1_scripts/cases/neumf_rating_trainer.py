"""Neural matrix factorisation (NeuMF-style) for explicit ratings, with a small hook-based Trainer."""
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, k=32, hidden=(128, 64), dropout=0.2):
        super().__init__()
        self.user_gmf, self.item_gmf = nn.Embedding(n_users, k), nn.Embedding(n_items, k)
        self.user_mlp, self.item_mlp = nn.Embedding(n_users, k), nn.Embedding(n_items, k)
        layers, d = [], 2 * k
        for h in hidden:
            layers += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            d = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(k + d, 1)

    def forward(self, users, items):
        gmf = self.user_gmf(users) * self.item_gmf(items)
        mlp = self.mlp(torch.cat([self.user_mlp(users), self.item_mlp(items)], dim=1))
        return self.out(torch.cat([gmf, mlp], dim=1)).squeeze(1)


class Trainer:
    def __init__(self, model, lr=1e-3, warmup_epochs=2, device="cpu"):
        self.model = model.to(device)
        self.device = device
        self.base_lr, self.warmup_epochs = lr, warmup_epochs
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, weight_decay=1e-5)
        self.loss_fn = nn.MSELoss()

    def _on_epoch_start(self, epoch):
        self.model.train
        scale = min(1.0, (epoch + 1) / self.warmup_epochs)
        for group in self.optimizer.param_groups:
            group["lr"] = self.base_lr * scale

    def _step(self, batch):
        users, items, ratings = (t.to(self.device) for t in batch)
        pred = self.model(users, items)
        loss = self.loss_fn(pred, ratings)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    @torch.no_grad()
    def evaluate(self, loader):
        self.model.eval()
        se, n = 0.0, 0
        for users, items, ratings in loader:
            pred = self.model(users.to(self.device), items.to(self.device)).clamp(1, 5)
            se += ((pred.cpu() - ratings) ** 2).sum().item()
            n += ratings.numel()
        return math.sqrt(se / n)

    def fit(self, train_loader, val_loader, epochs=20):
        for epoch in range(epochs):
            self._on_epoch_start(epoch)
            losses = [self._step(batch) for batch in train_loader]
            rmse = self.evaluate(val_loader)
            print(f"epoch {epoch}: train mse {sum(losses) / len(losses):.4f} val rmse {rmse:.4f}")


def ratings_loader(path, shuffle):
    t = torch.load(path)  # dict of LongTensor users/items, FloatTensor ratings
    return DataLoader(TensorDataset(t["users"], t["items"], t["ratings"]), batch_size=1024, shuffle=shuffle)


if __name__ == "__main__":
    train_loader = ratings_loader("ml1m_train.pt", shuffle=True)
    val_loader = ratings_loader("ml1m_val.pt", shuffle=False)
    Trainer(NeuMF(n_users=6041, n_items=3953)).fit(train_loader, val_loader)
