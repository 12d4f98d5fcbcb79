"""Multilingual intent classifier (BiGRU + attention pooling) with mid-epoch validation and
best-checkpoint selection."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader


class IntentGRU(nn.Module):
    def __init__(self, vocab, n_intents, emb=256, hid=256, layers=2, p=0.3):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.gru = nn.GRU(emb, hid, num_layers=layers, dropout=p, bidirectional=True, batch_first=True)
        self.att = nn.Linear(2 * hid, 1)
        self.drop = nn.Dropout(p)
        self.cls = nn.Linear(2 * hid, n_intents)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.emb(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True)
        mask = tokens[:, : h.size(1)] != 0
        w = self.att(h).squeeze(-1).masked_fill(~mask, float("-inf")).softmax(-1)
        return self.cls(self.drop((w.unsqueeze(-1) * h).sum(1)))


def start_epoch(model, loader, epoch, seed=13):
    loader.sampler.generator = torch.Generator().manual_seed(seed + epoch)
    model.train()


def evaluate(model, loader, device):
    correct = total = 0
    with torch.no_grad():
        for tokens, lengths, labels in loader:
            logits = model(tokens.to(device), lengths)
            correct += (logits.argmax(-1).cpu() == labels).sum().item()
            total += labels.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="massive_tok")
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--intents", type=int, default=60)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--eval-every", type=int, default=400)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(torch.load(f"{args.data}/train.pt"), batch_size=64, shuffle=True)
    val_loader = DataLoader(torch.load(f"{args.data}/dev.pt"), batch_size=256)
    test_loader = DataLoader(torch.load(f"{args.data}/test.pt"), batch_size=256)
    model = IntentGRU(args.vocab, args.intents).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    best = 0.0
    for epoch in range(args.epochs):
        start_epoch(model, train_loader, epoch)
        for step, (tokens, lengths, labels) in enumerate(train_loader):
            loss = F.cross_entropy(model(tokens.to(device), lengths), labels.to(device), label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if (step + 1) % args.eval_every == 0:
                acc = evaluate(model, val_loader, device)
                if acc > best:
                    best = acc
                    torch.save(model.state_dict(), "intent_best.pt")
                print(f"epoch {epoch} step {step + 1}: loss {loss.item():.4f} dev acc {acc:.4f}")

    model.load_state_dict(torch.load("intent_best.pt"))
    model.eval()
    print(f"best dev acc {best:.4f}; test acc {evaluate(model, test_loader, device):.4f}")


if __name__ == "__main__":
    main()
