"""Character-level LSTM language model on a plain-text file.

Samples and a held-out perplexity are logged during training; both helpers put the
model in eval mode and hand it back in whatever mode it was in.
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

SEQ, BATCH, STEPS = 128, 32, 3000


class CharLSTM(nn.Module):
    def __init__(self, vocab, emb=64, hidden=384, layers=2, p=0.25):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.rnn = nn.LSTM(emb, hidden, layers, dropout=p, batch_first=True)
        self.drop = nn.Dropout(p)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.rnn(self.emb(x), state)
        return self.out(self.drop(h)), state


def batches(data, n):
    for _ in range(n):
        idx = torch.randint(0, len(data) - SEQ - 1, (BATCH,))
        chunk = torch.stack([data[i:i + SEQ + 1] for i in idx])
        yield chunk[:, :-1], chunk[:, 1:]


def sample(model, itos, stoi, prompt="The ", length=200, temperature=0.8):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        x = torch.tensor([[stoi[c] for c in prompt]])
        logits, state = model(x)
        chars = list(prompt)
        for _ in range(length):
            probs = F.softmax(logits[0, -1] / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1)
            chars.append(itos[nxt.item()])
            logits, state = model(nxt.view(1, 1), state)
    model.train(was_training)
    return "".join(chars)


def perplexity(model, data):
    in_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(data) - SEQ - 1, SEQ):
            chunk = data[start:start + SEQ + 1].unsqueeze(0)
            logits, _ = model(chunk[:, :-1])
            total += F.cross_entropy(logits.flatten(0, 1), chunk[0, 1:], reduction="sum").item()
            count += SEQ
    if in_training:
        model.train()
    return math.exp(total / count)


def main(path):
    text = open(path, encoding="utf-8").read()
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    data = torch.tensor([stoi[c] for c in text])
    split = int(0.95 * len(data))
    train_data, heldout = data[:split], data[split:]

    model = CharLSTM(len(itos))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    for step, (x, y) in enumerate(batches(train_data, STEPS)):
        logits, _ = model(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 500 == 0:
            print(f"step {step} loss {loss.item():.3f} heldout ppl {perplexity(model, heldout):.2f}")
            print(sample(model, itos, stoi))

    model.eval()
    print("final ppl", perplexity(model, heldout))
    print(sample(model, itos, stoi, length=1000))
    torch.save({"model": model.state_dict(), "itos": itos}, "charlm.pt")


if __name__ == "__main__":
    main(sys.argv[1])
