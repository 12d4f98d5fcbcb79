"""Conformer encoder blocks for speech recognition; every dropout follows the module's mode."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def drop_path(x, p: float, training: bool):
    if p == 0.0 or not training:
        return x
    keep = 1.0 - p
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep


def feed_forward(x, w1, w2, p, training):
    return w2(F.dropout(F.silu(w1(x)), p, training=training))


class SpecChannelDrop(nn.Module):
    """Drops whole mel bins during training only."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, feats):  # (B, T, n_mels)
        if not self.training:
            return feats
        return F.dropout1d(feats.transpose(1, 2), self.p).transpose(1, 2)


class ConvModule(nn.Module):
    def __init__(self, dim, kernel=15, p=0.1):
        super().__init__()
        self.pw1 = nn.Conv1d(dim, 2 * dim, 1)
        self.dw = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.bn = nn.BatchNorm1d(dim)
        self.pw2 = nn.Conv1d(dim, dim, 1)
        self.p = p

    def forward(self, x):  # (B, T, D)
        h = F.glu(self.pw1(x.transpose(1, 2)), dim=1)
        h = self.pw2(F.silu(self.bn(self.dw(h))))
        return x + F.dropout(h.transpose(1, 2), self.p, self.training)


class MHSA(nn.Module):
    def __init__(self, dim, heads=4, attn_p=0.1):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.attn_p = attn_p

    def forward(self, x, key_padding_mask=None):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        mask = None if key_padding_mask is None else ~key_padding_mask[:, None, None, :]
        drop = self.attn_p if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class ConformerBlock(nn.Module):
    def __init__(self, dim=144, p=0.1, drop_path_p=0.05, ffn_dropout=True):
        super().__init__()
        self.ln_ff1, self.ln_att, self.ln_ff2, self.ln_out = (nn.LayerNorm(dim) for _ in range(4))
        self.ff1 = nn.ModuleList([nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)])
        self.ff2 = nn.ModuleList([nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)])
        self.attn = MHSA(dim)
        self.conv = ConvModule(dim)
        self.p, self.drop_path_p, self.ffn_dropout = p, drop_path_p, ffn_dropout

    def forward(self, x, key_padding_mask=None):
        ffn_train = self.training and self.ffn_dropout
        x = x + 0.5 * feed_forward(self.ln_ff1(x), *self.ff1, self.p, ffn_train)
        x = x + drop_path(self.attn(self.ln_att(x), key_padding_mask), self.drop_path_p, self.training)
        x = self.conv(x)
        x = x + 0.5 * feed_forward(self.ln_ff2(x), *self.ff2, self.p, self.training)
        return self.ln_out(x)


class ConformerEncoder(nn.Module):
    def __init__(self, n_mels=80, dim=144, depth=8, vocab=256, input_dropout=True):
        super().__init__()
        self.input_dropout = input_dropout
        self.spec_drop = SpecChannelDrop()
        self.subsample = nn.Sequential(nn.Conv2d(1, dim, 3, 2), nn.ReLU(), nn.Conv2d(dim, dim, 3, 2), nn.ReLU())
        self.proj = nn.Linear(dim * (((n_mels - 1) // 2 - 1) // 2), dim)
        self.blocks = nn.ModuleList(ConformerBlock(dim) for _ in range(depth))
        self.ctc = nn.Linear(dim, vocab)

    def forward(self, feats):  # (B, T, n_mels)
        h = self.subsample(self.spec_drop(feats).unsqueeze(1))  # (B, dim, T', F')
        x = self.proj(h.permute(0, 2, 1, 3).flatten(2))
        x = F.dropout(x, 0.1, training=self.training and self.input_dropout)
        for blk in self.blocks:
            x = blk(x)
        return self.ctc(x).log_softmax(-1)
