"""Small Transformer for en->fr translation (nn.Transformer, label smoothing, Noam schedule)
with beam search used for validation BLEU after every epoch."""
import math

import torch
import torch.nn as nn
from sacrebleu import corpus_bleu

PAD, BOS, EOS = 0, 1, 2


class Seq2SeqTransformer(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d_model=512, nhead=8, layers=6, dropout=0.1):
        super().__init__()
        self.d_model = d_model
        self.src_emb = nn.Embedding(src_vocab, d_model, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(tgt_vocab, d_model, padding_idx=PAD)
        self.pos = nn.Embedding(512, d_model)
        self.drop = nn.Dropout(dropout)
        self.transformer = nn.Transformer(d_model, nhead, layers, layers, 4 * d_model, dropout, batch_first=True)
        self.generator = nn.Linear(d_model, tgt_vocab)

    def embed(self, emb, x):
        pos = torch.arange(x.size(1), device=x.device)
        return self.drop(emb(x) * math.sqrt(self.d_model) + self.pos(pos))

    def forward(self, src, tgt):
        causal = self.transformer.generate_square_subsequent_mask(tgt.size(1), device=tgt.device)
        h = self.transformer(self.embed(self.src_emb, src), self.embed(self.tgt_emb, tgt), tgt_mask=causal,
                             src_key_padding_mask=src == PAD, tgt_key_padding_mask=tgt == PAD,
                             memory_key_padding_mask=src == PAD)
        return self.generator(h)


def beam_search(model, src, beam=5, max_len=100, alpha=0.6):
    """src: (1, S). Returns the best hypothesis as a list of ids (without BOS/EOS)."""
    device = src.device
    hyps = torch.full((1, 1), BOS, dtype=torch.long, device=device)
    scores = torch.zeros(1, device=device)
    finished = []
    for step in range(max_len):
        logits = model(src.expand(hyps.size(0), -1), hyps)
        logp = logits[:, -1].log_softmax(-1) + scores.unsqueeze(1)
        top, idx = logp.view(-1).topk(beam)
        rows, toks = idx // logp.size(1), idx % logp.size(1)
        hyps = torch.cat([hyps[rows], toks.unsqueeze(1)], dim=1)
        scores = top
        done = toks == EOS
        for h, s in zip(hyps[done], scores[done]):
            finished.append((s.item() / ((5 + h.size(0)) / 6) ** alpha, h[1:-1].tolist()))
        hyps, scores = hyps[~done], scores[~done]
        if hyps.size(0) == 0 or len(finished) >= beam:
            break
    if not finished:
        finished = [(s.item(), h[1:].tolist()) for h, s in zip(hyps, scores)]
    return max(finished)[1]


def validate_bleu(model, val_pairs, itos, device):
    model.eval()
    hyps, refs = [], []
    for src_ids, ref in val_pairs:
        out = beam_search(model, torch.tensor([src_ids], device=device))
        hyps.append(" ".join(itos[i] for i in out))
        refs.append(ref)
    return corpus_bleu(hyps, [refs]).score


def train(model, train_loader, val_pairs, itos, epochs=20, warmup=4000, device="cuda"):
    optimizer = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    noam = lambda s: model.d_model ** -0.5 * min((s + 1) ** -0.5, (s + 1) * warmup ** -1.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, noam)
    criterion = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.1)
    for epoch in range(epochs):
        model.train()
        for src, tgt in train_loader:
            src, tgt = src.to(device), tgt.to(device)
            logits = model(src, tgt[:, :-1])
            loss = criterion(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.3f} val BLEU {validate_bleu(model, val_pairs, itos, device):.2f}")
        torch.save(model.state_dict(), f"mt_epoch{epoch}.pt")
