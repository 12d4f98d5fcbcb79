"""Word-level LSTM language model with AWD-LSTM style regularisation (WikiText-2 token ids)."""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class LockedDropout(nn.Module):
    """Same dropout mask at every time step (variational dropout)."""

    def forward(self, x, p=0.5):
        if not self.training or not p:
            return x
        mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p) / (1 - p)
        return x * mask


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp=400, nhid=1150, nlayers=3, dropout=0.4, dropouth=0.25, dropoute=0.1):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropouth)
        self.decoder = nn.Linear(nhid, ntoken)
        self.lockdrop = LockedDropout()
        self.dropout, self.dropoute = dropout, dropoute
        self.nlayers, self.nhid = nlayers, nhid

    def forward(self, tokens, hidden):
        emb = F.dropout(self.encoder(tokens), self.dropoute)
        emb = self.lockdrop(emb, self.dropout)
        output, hidden = self.rnn(emb, hidden)
        output = F.dropout(output, self.dropout, training=self.training)
        return self.decoder(output), hidden

    def init_hidden(self, bsz):
        w = next(self.parameters())
        return (w.new_zeros(self.nlayers, bsz, self.nhid), w.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(ids, bsz, device):
    nbatch = ids.size(0) // bsz
    return ids[: nbatch * bsz].view(bsz, -1).t().contiguous().to(device)


def repackage(h):
    return tuple(v.detach() for v in h)


def evaluate(model, data, bptt, bsz):
    model.eval()
    total, hidden = 0.0, model.init_hidden(bsz)
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            x, y = data[i:i + bptt], data[i + 1:i + 1 + bptt]
            out, hidden = model(x, hidden)
            total += len(x) * F.cross_entropy(out.view(-1, out.size(-1)), y.reshape(-1)).item()
    return total / (len(data) - 1)


def train_epoch(model, data, optimizer, bptt, bsz, clip=0.25):
    model.train()
    hidden = model.init_hidden(bsz)
    for i in range(0, data.size(0) - 1, bptt):
        x, y = data[i:i + bptt], data[i + 1:i + 1 + bptt]
        hidden = repackage(hidden)
        out, hidden = model(x, hidden)
        loss = F.cross_entropy(out.view(-1, out.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="wikitext2_ids.pt")
    ap.add_argument("--epochs", type=int, default=40)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    ids = torch.load(args.data)
    train_data, val_data = batchify(ids["train"], 80, device), batchify(ids["valid"], 10, device)
    model = RNNModel(ids["ntoken"]).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=30, weight_decay=1.2e-6)
    for epoch in range(args.epochs):
        train_epoch(model, train_data, optimizer, bptt=70, bsz=80)
        val_loss = evaluate(model, val_data, bptt=70, bsz=10)
        print(f"epoch {epoch}: valid ppl {math.exp(val_loss):.2f}")


if __name__ == "__main__":
    main()
