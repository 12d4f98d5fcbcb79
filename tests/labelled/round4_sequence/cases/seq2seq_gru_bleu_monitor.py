"""GRU encoder-decoder with Bahdanau attention for de->en; teacher forcing while training,
greedy decoding of the dev set every epoch to monitor BLEU."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from sacrebleu import corpus_bleu

PAD, BOS, EOS = 0, 1, 2
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Encoder(nn.Module):
    def __init__(self, vocab, emb=256, hid=512, dropout=0.3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=PAD)
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.GRU(emb, hid, num_layers=2, dropout=dropout, bidirectional=True, batch_first=True)
        self.bridge = nn.Linear(2 * hid, hid)

    def forward(self, src):
        out, h = self.rnn(self.dropout(self.embedding(src)))
        h = torch.tanh(self.bridge(torch.cat([h[-2], h[-1]], dim=-1)))
        return out, h.unsqueeze(0)


class AttnDecoder(nn.Module):
    def __init__(self, vocab, emb=256, hid=512, dropout=0.3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=PAD)
        self.dropout = nn.Dropout(dropout)
        self.attn_q = nn.Linear(hid, 2 * hid)
        self.rnn = nn.GRU(emb + 2 * hid, hid, batch_first=True)
        self.out = nn.Linear(hid, vocab)

    def forward(self, token, hidden, enc_out):
        emb = self.dropout(self.embedding(token)).unsqueeze(1)
        scores = torch.bmm(enc_out, self.attn_q(hidden[-1]).unsqueeze(2)).squeeze(2)
        ctx = torch.bmm(F.softmax(scores, dim=-1).unsqueeze(1), enc_out)
        out, hidden = self.rnn(torch.cat([emb, ctx], dim=-1), hidden)
        return self.out(self.dropout(out.squeeze(1))), hidden


def train_epoch(encoder, decoder, loader, optimizer, tf_ratio=0.5, clip=1.0):
    total = 0.0
    for src, tgt in loader:
        src, tgt = src.to(device), tgt.to(device)
        enc_out, hidden = encoder(src)
        token = tgt[:, 0]
        loss = 0.0
        for t in range(1, tgt.size(1)):
            logits, hidden = decoder(token, hidden, enc_out)
            loss = loss + F.cross_entropy(logits, tgt[:, t], ignore_index=PAD)
            teacher_force = random.random() < tf_ratio
            token = tgt[:, t] if teacher_force else logits.argmax(-1)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(list(encoder.parameters()) + list(decoder.parameters()), clip)
        optimizer.step()
        total += loss.item() / (tgt.size(1) - 1)
    return total / len(loader)


def translate(encoder, decoder, src, max_len=80):
    with torch.no_grad():
        enc_out, hidden = encoder(src.to(device))
        token = torch.full((src.size(0),), BOS, dtype=torch.long, device=device)
        result = []
        for _ in range(max_len):
            logits, hidden = decoder(token, hidden, enc_out)
            token = logits.argmax(-1)
            result.append(token)
        return torch.stack(result, dim=1).cpu()


def dev_bleu(encoder, decoder, dev_loader, itos):
    hyps, refs = [], []
    for src, tgt in dev_loader:
        for row, ref in zip(translate(encoder, decoder, src).tolist(), tgt.tolist()):
            row = row[: row.index(EOS)] if EOS in row else row
            hyps.append(" ".join(itos[i] for i in row))
            refs.append(" ".join(itos[i] for i in ref[1:] if i not in (PAD, EOS)))
    return corpus_bleu(hyps, [refs]).score


def main(train_loader, dev_loader, src_vocab, tgt_itos, epochs=15):
    encoder = Encoder(src_vocab).to(device)
    decoder = AttnDecoder(len(tgt_itos)).to(device)
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)
    best = 0.0
    for epoch in range(epochs):
        loss = train_epoch(encoder, decoder, train_loader, optimizer, tf_ratio=max(0.2, 1.0 - 0.1 * epoch))
        bleu = dev_bleu(encoder, decoder, dev_loader, tgt_itos)
        print(f"epoch {epoch}: train loss {loss:.3f} dev BLEU {bleu:.2f}")
        if bleu > best:
            best = bleu
            torch.save({"enc": encoder.state_dict(), "dec": decoder.state_dict()}, "seq2seq_best.pt")
    return best
