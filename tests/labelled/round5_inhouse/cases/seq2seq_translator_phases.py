"""GRU encoder-decoder for command normalisation: `train` and `evaluate` phases in one script."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

PAD, BOS, EOS = 0, 1, 2


class Encoder(nn.Module):
    def __init__(self, vocab, dim=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=PAD)
        self.rnn = nn.GRU(dim, dim, num_layers=2, dropout=0.2, batch_first=True)

    def forward(self, src):
        return self.rnn(self.embed(src))


class Decoder(nn.Module):
    def __init__(self, vocab, dim=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=PAD)
        self.drop = nn.Dropout(0.3)
        self.rnn = nn.GRU(dim, dim, num_layers=2, dropout=0.2, batch_first=True)
        self.proj = nn.Linear(dim, vocab)

    def forward(self, tokens, hidden):
        out, hidden = self.rnn(self.drop(self.embed(tokens)), hidden)
        return self.proj(out), hidden


def seq_loss(encoder, decoder, src, tgt):
    _, hidden = encoder(src)
    logits, _ = decoder(tgt[:, :-1], hidden)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1), ignore_index=PAD)


class Translator:
    """Greedy decoding; used by the evaluate phase and by the demo server."""

    def __init__(self, encoder, decoder, max_len=40):
        self.encoder = encoder.eval()
        self.decoder = decoder
        self.max_len = max_len

    @torch.inference_mode()
    def translate(self, src):
        _, hidden = self.encoder(src)
        tok = torch.full((src.size(0), 1), BOS, dtype=torch.long)
        out = []
        for _ in range(self.max_len):
            logits, hidden = self.decoder(tok, hidden)
            tok = logits[:, -1].argmax(-1, keepdim=True)
            out.append(tok)
        return torch.cat(out, dim=1)


def train_phase(args, train_loader, val_loader):
    encoder, decoder = Encoder(args.vocab), Decoder(args.vocab)
    opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=args.lr)
    for epoch in range(args.epochs):
        encoder.train()
        decoder.train()
        for src, tgt in train_loader:
            loss = seq_loss(encoder, decoder, src, tgt)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(opt.param_groups[0]["params"], 1.0)
            opt.step()
        encoder.eval()
        decoder.eval()
        with torch.no_grad():
            val = sum(seq_loss(encoder, decoder, s, t).item() for s, t in val_loader) / len(val_loader)
        print(f"epoch {epoch}: train {loss.item():.3f} val {val:.3f}")
    torch.save({"encoder": encoder.state_dict(), "decoder": decoder.state_dict()}, args.ckpt)


def evaluate_phase(args, test_loader):
    state = torch.load(args.ckpt, map_location="cpu")
    encoder, decoder = Encoder(args.vocab), Decoder(args.vocab)
    encoder.load_state_dict(state["encoder"])
    decoder.load_state_dict(state["decoder"])
    translator = Translator(encoder, decoder)
    exact = total = 0
    for src, tgt in test_loader:
        hyp = translator.translate(src)
        n = min(hyp.size(1), tgt.size(1) - 1)
        exact += (hyp[:, :n] == tgt[:, 1:n + 1]).all(dim=1).sum().item()
        total += src.size(0)
    print(f"exact match {exact / max(total, 1):.4f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("phase", choices=["train", "evaluate"])
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ckpt", default="seq2seq.pt")
    args = ap.parse_args()
    if args.phase == "train":
        train_phase(args, DataLoader(torch.load("train_pairs.pt"), batch_size=64, shuffle=True),
                    DataLoader(torch.load("val_pairs.pt"), batch_size=128))
    else:
        evaluate_phase(args, DataLoader(torch.load("test_pairs.pt"), batch_size=128))
