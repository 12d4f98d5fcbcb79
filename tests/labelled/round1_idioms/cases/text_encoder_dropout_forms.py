"""Small Transformer encoder for intent classification, written with functional dropout.

Every dropout site is tied to the module's training flag, except where noted.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Embeddings(nn.Module):
    def __init__(self, vocab, d, max_len=256, p=0.1, word_p=0.05):
        super().__init__()
        self.tok = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = nn.Embedding(max_len, d)
        self.norm = nn.LayerNorm(d)
        self.p, self.word_p = p, word_p

    def forward(self, ids):
        if self.training:
            keep = F.dropout(torch.ones_like(ids, dtype=torch.float), self.word_p) > 0
            ids = ids.masked_fill(~keep & (ids != 0), 1)
        x = self.tok(ids) + self.pos(torch.arange(ids.size(1), device=ids.device))
        return F.dropout(self.norm(x), self.p, self.training)


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, p=0.1, attn_p=0.1):
        super().__init__()
        self.heads, self.p, self.attn_p = heads, p, attn_p
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ff1, self.ff2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, x, pad_mask):
        b, t, d = x.shape
        q, k, v = self.qkv(self.n1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, attn_mask=pad_mask[:, None, None, :],
                                              dropout_p=self.attn_p if self.training else 0.0)
        x = x + F.dropout(self.proj(attn.transpose(1, 2).reshape(b, t, d)), p=self.p, training=self.training)
        h = F.dropout(F.gelu(self.ff1(self.n2(x))), p=self.p, training=self.training)
        return x + self.ff2(h)


class IntentClassifier(nn.Module):
    def __init__(self, vocab, n_intents, d=256, heads=4, layers=4, p=0.1):
        super().__init__()
        self.emb = Embeddings(vocab, d, p=p)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, p) for _ in range(layers))
        self.out = nn.Linear(d, n_intents)
        self.p = p

    def forward(self, ids):
        pad_mask = ids != 0
        x = self.emb(ids)
        for layer in self.layers:
            x = layer(x, pad_mask)
        pooled = (x * pad_mask[..., None]).sum(1) / pad_mask.sum(1, keepdim=True)
        pooled = F.dropout(pooled, self.p)
        return self.out(pooled)


def train_epoch(model, loader, opt):
    model.train()
    for ids, labels in loader:
        loss = F.cross_entropy(model(ids), labels, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    hits = n = 0
    for ids, labels in loader:
        hits += (model(ids).argmax(-1) == labels).sum().item()
        n += len(labels)
    return hits / n


def main(train_loader, val_loader, vocab, n_intents, epochs=20):
    model = IntentClassifier(vocab, n_intents)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    for epoch in range(epochs):
        train_epoch(model, train_loader, opt)
        print(f"epoch {epoch}: val acc {evaluate(model, val_loader):.4f}")
    return model
