"""Kim-style TextCNN for news-topic classification; the test split is written out as predictions."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class TextCNN(nn.Module):
    def __init__(self, vocab_size, embed_dim=300, n_filters=100, sizes=(3, 4, 5), n_classes=4,
                 dropout=0.5, pad_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_idx)
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, n_filters, k) for k in sizes)
        self.dropout = dropout
        self.fc = nn.Linear(n_filters * len(sizes), n_classes)

    def forward(self, tokens):
        x = self.embedding(tokens).transpose(1, 2)
        pooled = [F.relu(conv(x)).max(dim=2).values for conv in self.convs]
        h = F.dropout(torch.cat(pooled, dim=1), self.dropout)
        return self.fc(h)


def evaluate(model, loader, device, return_preds=False):
    model.eval()
    if return_preds:
        preds = []
        for tokens, _ in loader:
            preds.append(model(tokens.to(device)).argmax(1).cpu())
        return torch.cat(preds)
    correct = total = 0
    with torch.no_grad():
        for tokens, labels in loader:
            logits = model(tokens.to(device))
            correct += (logits.argmax(1).cpu() == labels).sum().item()
            total += labels.numel()
    return correct / total


def load_split(path):
    arr = np.load(path)
    return TensorDataset(torch.from_numpy(arr["tokens"]).long(), torch.from_numpy(arr["labels"]).long())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="ag_news")
    ap.add_argument("--vocab-size", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--pretrained-emb", default=None)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(load_split(f"{args.data}/train.npz"), batch_size=64, shuffle=True)
    val_loader = DataLoader(load_split(f"{args.data}/val.npz"), batch_size=256)
    test_loader = DataLoader(load_split(f"{args.data}/test.npz"), batch_size=256)

    model = TextCNN(args.vocab_size).to(device)
    if args.pretrained_emb:
        model.embedding.weight.data.copy_(torch.from_numpy(np.load(args.pretrained_emb)))
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    for epoch in range(args.epochs):
        model.train()
        for tokens, labels in train_loader:
            loss = F.cross_entropy(model(tokens.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 3.0)
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {evaluate(model, val_loader, device):.4f}")

    preds = evaluate(model, test_loader, device, return_preds=True)
    np.savetxt("test_predictions.txt", preds.numpy(), fmt="%d")


if __name__ == "__main__":
    main()
