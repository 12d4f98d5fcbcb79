"""Grapheme-to-phoneme GRU seq2seq; logs a few teacher-forced predictions to TensorBoard during training."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

PAD, BOS = 0, 1


class Seq2Seq(nn.Module):
    def __init__(self, n_graphemes, n_phonemes, emb=64, hidden=256, dropout=0.3):
        super().__init__()
        self.src_emb = nn.Embedding(n_graphemes, emb, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(n_phonemes, emb, padding_idx=PAD)
        self.encoder = nn.GRU(emb, hidden, num_layers=2, batch_first=True, dropout=dropout)
        self.decoder = nn.GRU(emb, hidden, num_layers=2, batch_first=True, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_phonemes)

    def forward(self, src, tgt_in):
        _, h = self.encoder(self.drop(self.src_emb(src)))
        dec, _ = self.decoder(self.drop(self.tgt_emb(tgt_in)), h)
        return self.out(self.drop(dec))


def log_predictions(model, src, tgt, writer, step, phonemes):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        tgt_in = F.pad(tgt[:4, :-1], (1, 0), value=BOS)
        pred = model(src[:4], tgt_in).argmax(-1)
    model.train(was_training)
    lines = [" ".join(phonemes[i] for i in row.tolist() if i != PAD) for row in pred]
    writer.add_text("predictions", "\n\n".join(lines), step)


def train(model, loader, optimizer, writer, epochs, phonemes, device, log_every=500):
    step = 0
    for epoch in range(epochs):
        model.train()
        for src, tgt in loader:
            src, tgt = src.to(device), tgt.to(device)
            tgt_in = F.pad(tgt[:, :-1], (1, 0), value=BOS)
            logits = model(src, tgt_in)
            loss = F.cross_entropy(logits.transpose(1, 2), tgt, ignore_index=PAD)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            writer.add_scalar("loss", loss.item(), step)
            if step % log_every == 0:
                log_predictions(model, src, tgt, writer, step, phonemes)
            step += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="cmudict_tensors.pt")
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = torch.load(args.data)
    loader = torch.utils.data.DataLoader(data["train"], batch_size=128, shuffle=True)
    model = Seq2Seq(len(data["graphemes"]), len(data["phonemes"])).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    writer = SummaryWriter("runs/g2p")
    train(model, loader, optimizer, writer, args.epochs, data["phonemes"], device)
    torch.save(model.state_dict(), "g2p.pt")
    writer.close()


if __name__ == "__main__":
    main()
