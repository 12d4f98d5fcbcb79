"""Masked-LM pre-training of a small Transformer encoder on in-domain text (early stopping on
validation perplexity), then a linear probe on frozen [CLS] features for topic labels."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, attn_dropout=0.1):
        super().__init__()
        self.n_heads, self.attn_dropout = n_heads, attn_dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x, pad_mask):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_heads, C // self.n_heads).permute(2, 0, 3, 1, 4)
        keep = (~pad_mask)[:, None, None, :]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=self.attn_dropout)
        return self.out(y.transpose(1, 2).reshape(B, T, C))


class EncoderLayer(nn.Module):
    def __init__(self, d_model=384, n_heads=6, p=0.1):
        super().__init__()
        self.attn = SelfAttention(d_model, n_heads, p)
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.ff1, self.ff2 = nn.Linear(d_model, 4 * d_model), nn.Linear(4 * d_model, d_model)
        self.p = p

    def forward(self, x, pad_mask):
        x = self.ln1(x + F.dropout(self.attn(x, pad_mask), self.p, training=self.training))
        h = F.dropout(F.gelu(self.ff1(x)), self.p, training=self.training)
        return self.ln2(x + self.ff2(h))


class MLMEncoder(nn.Module):
    def __init__(self, vocab, d_model=384, layers=6, max_len=256):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model, padding_idx=0)
        self.pos = nn.Embedding(max_len, d_model)
        self.layers = nn.ModuleList(EncoderLayer(d_model) for _ in range(layers))
        self.mlm_head = nn.Linear(d_model, vocab)

    def encode(self, ids):
        pad_mask = ids == 0
        x = self.tok(ids) + self.pos(torch.arange(ids.size(1), device=ids.device))
        for layer in self.layers:
            x = layer(x, pad_mask)
        return x

    def forward(self, ids):
        return self.mlm_head(self.encode(ids))


def mask_tokens(ids, mask_id, vocab, p=0.15):
    labels = ids.clone()
    prob = torch.full(ids.shape, p, device=ids.device).masked_fill(ids == 0, 0.0)
    chosen = torch.bernoulli(prob).bool()
    labels[~chosen] = -100
    ids = ids.clone()
    ids[chosen & (torch.rand(ids.shape, device=ids.device) < 0.8)] = mask_id
    rand = chosen & (torch.rand(ids.shape, device=ids.device) < 0.1)
    ids[rand] = torch.randint(5, vocab, (int(rand.sum()),), device=ids.device)
    return ids, labels


def val_perplexity(model, loader, mask_id, vocab, device):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for ids in loader:
            inp, labels = mask_tokens(ids.to(device), mask_id, vocab)
            logits = model(inp)
            total += F.cross_entropy(logits.view(-1, vocab), labels.view(-1), ignore_index=-100, reduction="sum").item()
            n += (labels != -100).sum().item()
    return math.exp(total / n)


def pretrain(model, train_loader, val_loader, mask_id, vocab, device, epochs=50, patience=3):
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    best, bad = float("inf"), 0
    for epoch in range(epochs):
        model.train()
        for ids in train_loader:
            inp, labels = mask_tokens(ids.to(device), mask_id, vocab)
            loss = F.cross_entropy(model(inp).view(-1, vocab), labels.view(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
        ppl = val_perplexity(model, val_loader, mask_id, vocab, device)
        print(f"epoch {epoch}: val ppl {ppl:.2f}")
        if ppl < best:
            best, bad = ppl, 0
            torch.save(model.state_dict(), "mlm_best.pt")
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(torch.load("mlm_best.pt"))


def linear_probe(model, train_loader, test_loader, num_topics, device, epochs=20):
    model.eval()
    probe = nn.Linear(model.tok.embedding_dim, num_topics).to(device)
    opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
    for epoch in range(epochs):
        for ids, y in train_loader:
            with torch.no_grad():
                feats = model.encode(ids.to(device))[:, 0]
            loss = F.cross_entropy(probe(feats), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
    probe.eval()
    correct = total = 0
    with torch.no_grad():
        for ids, y in test_loader:
            pred = probe(model.encode(ids.to(device))[:, 0]).argmax(-1).cpu()
            correct += (pred == y).sum().item()
            total += y.numel()
    return correct / total
