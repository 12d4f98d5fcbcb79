"""Conformer encoder block (feed-forward / MHSA / convolution module) for an ASR model."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4, dropout=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.w1 = nn.Linear(dim, mult * dim)
        self.w2 = nn.Linear(mult * dim, dim)
        self.p = dropout

    def forward(self, x):
        h = F.silu(self.w1(self.norm(x)))
        h = F.dropout(h, self.p, self.training)
        return F.dropout(self.w2(h), p=self.p)


class MHSA(nn.Module):
    def __init__(self, dim, heads=4, attn_dropout=0.1):
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.attn_dropout = attn_dropout

    def forward(self, x, pad_mask=None):
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        mask = None if pad_mask is None else ~pad_mask[:, None, None, :]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.attn_dropout)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class ConvModule(nn.Module):
    def __init__(self, dim, kernel=31, dropout=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.pw1 = nn.Conv1d(dim, 2 * dim, 1)
        self.dw = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.bn = nn.BatchNorm1d(dim)
        self.pw2 = nn.Conv1d(dim, dim, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = F.glu(self.pw1(self.norm(x).transpose(1, 2)), dim=1)
        h = self.pw2(F.silu(self.bn(self.dw(h))))
        return self.drop(h.transpose(1, 2))


class ConformerBlock(nn.Module):
    def __init__(self, dim=144, heads=4, kernel=31, dropout=0.1):
        super().__init__()
        self.ff1 = FeedForward(dim, dropout=dropout)
        self.attn = MHSA(dim, heads, dropout)
        self.conv = ConvModule(dim, kernel, dropout)
        self.ff2 = FeedForward(dim, dropout=dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x, pad_mask=None):
        x = x + 0.5 * self.ff1(x)
        x = x + self.attn(x, pad_mask)
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


class ConformerEncoder(nn.Module):
    def __init__(self, n_mels=80, dim=144, depth=8, vocab=128):
        super().__init__()
        self.subsample = nn.Sequential(nn.Conv2d(1, dim, 3, 2), nn.ReLU(), nn.Conv2d(dim, dim, 3, 2), nn.ReLU())
        self.proj = nn.Linear(dim * (((n_mels - 1) // 2 - 1) // 2), dim)
        self.blocks = nn.ModuleList(ConformerBlock(dim) for _ in range(depth))
        self.ctc_head = nn.Linear(dim, vocab)

    def forward(self, mels):
        h = self.subsample(mels.unsqueeze(1))
        h = self.proj(h.permute(0, 2, 1, 3).flatten(2))
        for block in self.blocks:
            h = block(h)
        return self.ctc_head(h).log_softmax(-1)


if __name__ == "__main__":
    enc = ConformerEncoder().eval()
    with torch.inference_mode():
        print(enc(torch.randn(2, 400, 80)).shape)
