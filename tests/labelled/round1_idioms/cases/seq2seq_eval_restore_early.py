"""GRU encoder-decoder with attention for date-format normalisation ("3rd of May 2021" -> "2021-05-03").

evaluate() reports the teacher-forced validation loss and, for a quick look, greedy
decodes of the first few validation sources.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

BOS, EOS, PAD = 1, 2, 0


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, emb=128, hidden=256, p=0.2):
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab, emb, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb, padding_idx=PAD)
        self.encoder = nn.GRU(emb, hidden, num_layers=2, dropout=p, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.decoder = nn.GRU(emb + 2 * hidden, hidden, batch_first=True)
        self.attn = nn.Linear(hidden, 2 * hidden, bias=False)
        self.drop = nn.Dropout(p)
        self.out = nn.Linear(hidden + 2 * hidden, tgt_vocab)

    def forward(self, src, tgt_in):
        mem, _ = self.encoder(self.drop(self.src_emb(src)))
        h = torch.tanh(self.bridge(mem.mean(1))).unsqueeze(0)
        logits = []
        for t in range(tgt_in.size(1)):
            scores = torch.bmm(mem, self.attn(h[-1]).unsqueeze(-1)).squeeze(-1).masked_fill(src == PAD, -1e9)
            ctx = torch.bmm(scores.softmax(-1).unsqueeze(1), mem)
            step_in = torch.cat([self.drop(self.tgt_emb(tgt_in[:, t:t + 1])), ctx], -1)
            o, h = self.decoder(step_in, h)
            logits.append(self.out(self.drop(torch.cat([o, ctx], -1))))
        return torch.cat(logits, 1)


@torch.no_grad()
def evaluate(model, val_loader, itos, max_len=12, show=4):
    model.eval()
    total, tokens = 0.0, 0
    for src, tgt in val_loader:
        logits = model(src, tgt[:, :-1])
        total += F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=PAD, reduction="sum").item()
        tokens += (tgt[:, 1:] != PAD).sum().item()
    model.train()

    src, _ = next(iter(val_loader))
    ys = torch.full((show, 1), BOS, dtype=torch.long)
    for _ in range(max_len):
        nxt = model(src[:show], ys)[:, -1].argmax(-1, keepdim=True)
        ys = torch.cat([ys, nxt], 1)
    decoded = ["".join(itos[i] for i in row[1:].tolist() if i not in (EOS, PAD)) for row in ys]
    return total / tokens, decoded


def train(model, train_loader, val_loader, itos, epochs=30):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for epoch in range(epochs):
        for src, tgt in train_loader:
            logits = model(src, tgt[:, :-1])
            loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=PAD)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        val_loss, samples = evaluate(model, val_loader, itos)
        print(f"epoch {epoch}: train {loss.item():.3f} val {val_loss:.3f} | " + " ; ".join(samples))
    return model
