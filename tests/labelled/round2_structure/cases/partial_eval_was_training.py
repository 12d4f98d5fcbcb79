"""Sentiment GRU on pre-tokenised reviews. Evaluation callbacks are bound with
functools.partial and run at a fixed step interval."""
import functools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader


class ReviewGRU(nn.Module):
    def __init__(self, vocab, dim=200, hidden=256, dropout=0.4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.gru = nn.GRU(dim, hidden, num_layers=2, dropout=dropout, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, 2)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.fc(self.drop(torch.cat([h[-2], h[-1]], dim=1)))


def evaluate(model, loader, device, name):
    was_training = model.training
    model.eval()
    correct = total = 0
    with torch.inference_mode():
        for ids, lengths, labels in loader:
            pred = model(ids.to(device), lengths).argmax(1)
            correct += (pred.cpu() == labels).sum().item()
            total += labels.numel()
    model.train(was_training)
    print(f"  {name} acc {correct / total:.4f}")
    return correct / total


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = torch.load("imdb_tokenised.pt")
    train_loader = DataLoader(data["train"], batch_size=64, shuffle=True)
    model = ReviewGRU(len(data["vocab"])).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    callbacks = [
        functools.partial(evaluate, model, DataLoader(data["val"], batch_size=256), device, "val"),
        functools.partial(evaluate, model, DataLoader(data["hard"], batch_size=256), device, "hard-negatives"),
    ]

    model.train()
    step = 0
    for epoch in range(8):
        for ids, lengths, labels in train_loader:
            loss = F.cross_entropy(model(ids.to(device), lengths), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            step += 1
            if step % 500 == 0:
                print(f"step {step}: loss {loss.item():.4f}")
                for cb in callbacks:
                    cb()
    torch.save(model.state_dict(), "review_gru.pt")


if __name__ == "__main__":
    main()
