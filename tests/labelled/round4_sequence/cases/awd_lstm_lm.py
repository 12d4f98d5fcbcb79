"""AWD-LSTM-style word language model on WikiText-2: locked (variational) dropout, embedding
dropout, truncated BPTT with repackage_hidden, LR annealing + early stopping on val ppl,
and temperature sampling from the best checkpoint."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class LockedDropout(nn.Module):
    def forward(self, x, p=0.5):
        if not self.training or not p:
            return x
        mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p) / (1 - p)
        return x * mask


def embedded_dropout(embed, words, dropout=0.1):
    weight = embed.weight
    if dropout:
        mask = weight.new_empty(weight.size(0), 1).bernoulli_(1 - dropout) / (1 - dropout)
        weight = weight * mask
    return F.embedding(words, weight, embed.padding_idx)


class AWDLSTM(nn.Module):
    def __init__(self, ntoken, ninp=400, nhid=1150, nlayers=3, dropout=0.4, dropouth=0.25, dropouti=0.4, dropoute=0.1):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnns = nn.ModuleList(nn.LSTM(ninp if l == 0 else nhid, nhid if l != nlayers - 1 else ninp) for l in range(nlayers))
        self.lockdrop = LockedDropout()
        self.decoder = nn.Linear(ninp, ntoken)
        self.decoder.weight = self.encoder.weight
        self.dropout, self.dropouth, self.dropouti, self.dropoute = dropout, dropouth, dropouti, dropoute

    def forward(self, x, hidden):
        emb = embedded_dropout(self.encoder, x, dropout=self.dropoute if self.training else 0)
        out = self.lockdrop(emb, self.dropouti)
        new_hidden = []
        for l, rnn in enumerate(self.rnns):
            out, h = rnn(out, hidden[l])
            new_hidden.append(h)
            if l != len(self.rnns) - 1:
                out = self.lockdrop(out, self.dropouth)
        out = F.dropout(out, self.dropout, self.training)
        return self.decoder(out), new_hidden

    def init_hidden(self, bsz):
        w = next(self.parameters())
        return [(w.new_zeros(1, bsz, rnn.hidden_size), w.new_zeros(1, bsz, rnn.hidden_size)) for rnn in self.rnns]


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return type(h)(repackage_hidden(v) for v in h)


def evaluate(model, source, bptt=70, bsz=10):
    model.eval()
    total, hidden = 0.0, model.init_hidden(bsz)
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, bptt):
            x, y = source[i:i + bptt], source[i + 1:i + 1 + bptt]
            logits, hidden = model(x, hidden)
            total += len(x) * F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1)).item()
            hidden = repackage_hidden(hidden)
    return total / len(source)


def train_epoch(model, source, optimizer, bptt=70, bsz=80, clip=0.25):
    model.train()
    hidden = model.init_hidden(bsz)
    for i in range(0, source.size(0) - 1, bptt):
        x, y = source[i:i + bptt], source[i + 1:i + 1 + bptt]
        hidden = repackage_hidden(hidden)
        logits, hidden = model(x, hidden)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()


@torch.no_grad()
def sample(model, itos, n_words=200, temperature=0.8, device="cuda"):
    model.eval()
    hidden = model.init_hidden(1)
    tok = torch.randint(len(itos), (1, 1), device=device)
    words = []
    for _ in range(n_words):
        logits, hidden = model(tok, hidden)
        tok = torch.multinomial(F.softmax(logits[-1, 0] / temperature, dim=-1), 1).view(1, 1)
        words.append(itos[tok.item()])
    return " ".join(words)


def main(train_data, val_data, test_data, itos, epochs=300, patience=10):
    model = AWDLSTM(len(itos)).cuda()
    lr = 30.0
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=1.2e-6)
    best, bad = float("inf"), 0
    for epoch in range(epochs):
        train_epoch(model, train_data, optimizer)
        val_loss = evaluate(model, val_data)
        print(f"epoch {epoch}: val ppl {math.exp(val_loss):.2f}")
        if val_loss < best:
            best, bad = val_loss, 0
            torch.save(model, "awd_lstm.pt")
        else:
            bad += 1
            for g in optimizer.param_groups:
                g["lr"] /= 2
            if bad >= patience:
                break
    model = torch.load("awd_lstm.pt", weights_only=False)
    print(f"test ppl {math.exp(evaluate(model, test_data, bsz=1)):.2f}")
    print(sample(model, itos))
