"""LSTM seq2seq for date-format normalisation ("3rd of March 2021" -> "2021-03-03").
One run_epoch() serves training and validation (mode and grad switched together);
greedy decoding of the test set at the end."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS = 0, 1, 2


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, emb=128, hid=256, dropout=0.25):
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab, emb, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb, padding_idx=PAD)
        self.encoder = nn.LSTM(emb, hid, num_layers=2, dropout=dropout, batch_first=True)
        self.decoder = nn.LSTM(emb, hid, num_layers=2, dropout=dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Linear(hid, tgt_vocab)

    def encode(self, src):
        _, state = self.encoder(self.drop(self.src_emb(src)))
        return state

    def step(self, token, state):
        out, state = self.decoder(self.drop(self.tgt_emb(token)).unsqueeze(1), state)
        return self.proj(out.squeeze(1)), state

    def forward(self, src, tgt, teacher_forcing=1.0):
        state = self.encode(src)
        token, outputs = tgt[:, 0], []
        for t in range(1, tgt.size(1)):
            logits, state = self.step(token, state)
            outputs.append(logits)
            token = tgt[:, t] if random.random() < teacher_forcing else logits.argmax(-1)
        return torch.stack(outputs, dim=1)


def run_epoch(model, loader, device, optimizer=None, teacher_forcing=0.5):
    is_train = optimizer is not None
    model.train(is_train)
    total, n = 0.0, 0
    with torch.set_grad_enabled(is_train):
        for src, tgt in loader:
            src, tgt = src.to(device), tgt.to(device)
            logits = model(src, tgt, teacher_forcing if is_train else 1.0)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1), ignore_index=PAD)
            if is_train:
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            total += loss.item() * src.size(0)
            n += src.size(0)
    return total / n


@torch.inference_mode()
def greedy_decode(model, src, max_len=12):
    model.eval()
    state = model.encode(src)
    token = torch.full((src.size(0),), BOS, dtype=torch.long, device=src.device)
    out = []
    for _ in range(max_len):
        logits, state = model.step(token, state)
        token = logits.argmax(-1)
        out.append(token)
    return torch.stack(out, dim=1)


def main(train_loader, val_loader, test_loader, tgt_vocab, src_vocab, epochs=25, device="cuda"):
    model = Seq2Seq(src_vocab, len(tgt_vocab)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    best = float("inf")
    for epoch in range(epochs):
        train_loss = run_epoch(model, train_loader, device, optimizer, teacher_forcing=max(0.3, 1 - epoch / 10))
        val_loss = run_epoch(model, val_loader, device)
        print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f}")
        if val_loss < best:
            best = val_loss
            torch.save(model.state_dict(), "date_s2s.pt")
    model.load_state_dict(torch.load("date_s2s.pt"))
    exact = total = 0
    for src, tgt in test_loader:
        pred = greedy_decode(model, src.to(device)).cpu()
        for p, t in zip(pred.tolist(), tgt.tolist()):
            p = p[: p.index(EOS)] if EOS in p else p
            exact += p == [x for x in t[1:] if x not in (PAD, EOS)]
            total += 1
    print(f"test exact match {exact / total:.4f}")
