"""Graph-attention encoder + small transformer decoder for AMR-to-text; every functional dropout follows the mode."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def eager_attention(module, q, k, v, mask, dropout=0.0):
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    probs = F.dropout(scores.softmax(-1), p=dropout, training=module.training)
    return probs @ v


class GraphAttentionLayer(nn.Module):
    def __init__(self, d_in, d_out, heads=4, dropout=0.2):
        super().__init__()
        self.heads, self.d_head = heads, d_out // heads
        self.q, self.k, self.v = (nn.Linear(d_in, d_out) for _ in range(3))
        self.dropout = dropout

    def forward(self, x, adj):
        b, n, _ = x.shape
        split = lambda t: t.view(b, n, self.heads, self.d_head).transpose(1, 2)
        h = eager_attention(self, split(self.q(x)), split(self.k(x)), split(self.v(x)), adj[:, None], self.dropout)
        return F.elu(h.transpose(1, 2).reshape(b, n, -1))


class DecoderLayer(nn.Module):
    def __init__(self, dim, heads=4, dropout=0.1, word_dropout=0.05):
        super().__init__()
        self.heads, self.p, self.word_dropout = heads, dropout, word_dropout
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, memory):
        if self.training:
            x = F.dropout(x, self.word_dropout)
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        drop = self.p if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=drop)
        x = x + F.dropout(y.transpose(1, 2).reshape(b, t, d), self.p, self.training)
        x = x + F.dropout(self.ff(self.norm2(x + memory.mean(1, keepdim=True))), p=self.p, training=self.training)
        return x


class Graph2Text(nn.Module):
    def __init__(self, n_concepts, vocab, dim=256, layers=3):
        super().__init__()
        self.node_emb = nn.Embedding(n_concepts, dim)
        self.gat = nn.ModuleList(GraphAttentionLayer(dim, dim) for _ in range(2))
        self.tok_emb = nn.Embedding(vocab, dim)
        self.decoder = nn.ModuleList(DecoderLayer(dim) for _ in range(layers))
        self.lm_head = nn.Linear(dim, vocab)

    def forward(self, nodes, adj, tokens):
        mem = self.node_emb(nodes)
        for layer in self.gat:
            mem = mem + layer(mem, adj)
        x = self.tok_emb(tokens)
        for layer in self.decoder:
            x = layer(x, mem)
        return self.lm_head(x)

    def sample_diverse(self, nodes, adj, tokens, n=8, p=0.1):
        """MC-dropout style diverse decoding: dropout deliberately kept on."""
        logits = self.forward(nodes, adj, tokens)
        return [self.lm_head(F.dropout(self.tok_emb(tokens), p, training=True)) + logits for _ in range(n)]


if __name__ == "__main__":
    model = Graph2Text(n_concepts=500, vocab=1000).eval()
    adj = torch.ones(2, 12, 12, dtype=torch.bool)
    with torch.no_grad():
        print(model(torch.randint(0, 500, (2, 12)), adj, torch.randint(0, 1000, (2, 20))).shape)
