"""Next-character LSTM language model on a plain-text corpus. Validation perplexity is
computed by a helper defined inside fit(), which restores training mode however it exits."""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, vocab, dim=256, layers=2, dropout=0.3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, dim, layers, dropout=dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(dim, vocab)

    def forward(self, ids):
        h, _ = self.lstm(self.embed(ids))
        return self.out(self.drop(h))


def batches(data, seq_len, batch_size):
    n = (len(data) - 1) // (seq_len * batch_size) * seq_len * batch_size
    x = data[:n].view(batch_size, -1)
    y = data[1:n + 1].view(batch_size, -1)
    for i in range(0, x.size(1), seq_len):
        yield x[:, i:i + seq_len], y[:, i:i + seq_len]


def fit(model, train_ids, val_ids, epochs=20, seq_len=128, batch_size=64, max_val_loss=20.0):
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

    @torch.no_grad()
    def run_validation():
        model.eval()
        try:
            total, count = 0.0, 0
            for x, y in batches(val_ids, seq_len, batch_size):
                loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
                if not math.isfinite(loss.item()) or loss.item() > max_val_loss:
                    return float("inf")
                total += loss.item() * y.numel()
                count += y.numel()
            return math.exp(total / count)
        finally:
            model.train()

    model.train()
    for epoch in range(epochs):
        for x, y in batches(train_ids, seq_len, batch_size):
            loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        print(f"epoch {epoch}: train loss {loss.item():.3f} val ppl {run_validation():.2f}")


if __name__ == "__main__":
    text = open(sys.argv[1], encoding="utf-8").read()
    chars = sorted(set(text))
    ids = torch.tensor([chars.index(c) for c in text])
    split = int(0.95 * len(ids))
    net = CharLSTM(len(chars))
    fit(net, ids[:split], ids[split:])
    torch.save({"chars": chars, "state_dict": net.state_dict()}, "char_lstm.pt")
