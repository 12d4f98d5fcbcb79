"""Text classifier trainer assembled from the team's mixins (logging, checkpoints, inference)."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class TextCNN(nn.Module):
    def __init__(self, vocab=30000, dim=128, n_classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(dim, 100, k) for k in (3, 4, 5)])
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(300, n_classes)

    def forward(self, tokens):
        x = self.embed(tokens).transpose(1, 2)
        pooled = [F.relu(conv(x)).max(dim=-1).values for conv in self.convs]
        return self.fc(self.drop(torch.cat(pooled, dim=1)))


class LoggingMixin:
    def log(self, **metrics):
        record = {"time": round(time.time(), 1), **metrics}
        print(json.dumps(record))


class CheckpointMixin:
    def save_checkpoint(self, path):
        torch.save({"model": self.model.state_dict(), "epoch": self.epoch}, path)

    def load_checkpoint(self, path):
        state = torch.load(path, map_location=self.device)
        self.model.load_state_dict(state["model"])
        self.epoch = state["epoch"]


class InferenceMixin:
    def predict(self, loader):
        self.model.eval
        probs = []
        with torch.inference_mode():
            for (tokens,) in loader:
                probs.append(self.model(tokens.to(self.device)).softmax(-1).cpu())
        return torch.cat(probs)


class Trainer(LoggingMixin, CheckpointMixin, InferenceMixin):
    def __init__(self, n_classes, lr=1e-3, device="cpu"):
        self.device = device
        self.model = TextCNN(n_classes=n_classes).to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.epoch = 0

    @torch.no_grad()
    def _validate(self, loader):
        self.model.eval()
        correct = total = 0
        for tokens, labels in loader:
            correct += (self.model(tokens.to(self.device)).argmax(-1).cpu() == labels).sum().item()
            total += labels.numel()
        return correct / max(total, 1)

    def fit(self, train_loader, val_loader, epochs):
        for epoch in range(epochs):
            self.epoch = epoch
            self.model.train()
            for tokens, labels in train_loader:
                loss = F.cross_entropy(self.model(tokens.to(self.device)), labels.to(self.device))
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            self.log(epoch=epoch, loss=loss.item(), val_acc=self._validate(val_loader))
            self.save_checkpoint(f"textcnn_{epoch:02d}.pt")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["train", "predict"])
    ap.add_argument("--ckpt", default="textcnn_09.pt")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--out", default="probs.pt")
    args = ap.parse_args()
    trainer = Trainer(n_classes=4, device="cuda" if torch.cuda.is_available() else "cpu")
    if args.command == "train":
        tr_x, tr_y = torch.load("ag_news_train.pt")
        va_x, va_y = torch.load("ag_news_val.pt")
        trainer.fit(DataLoader(TensorDataset(tr_x, tr_y), batch_size=64, shuffle=True),
                    DataLoader(TensorDataset(va_x, va_y), batch_size=256), args.epochs)
    else:
        trainer.load_checkpoint(args.ckpt)
        tokens = torch.load("ag_news_unlabeled.pt")
        probs = trainer.predict(DataLoader(TensorDataset(tokens), batch_size=256))
        torch.save(probs, args.out)
        trainer.log(predicted=len(probs))


if __name__ == "__main__":
    main()
