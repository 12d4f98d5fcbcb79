"""Transformer mask estimator for single-channel speech enhancement (STFT magnitude domain)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_FFT, HOP = 512, 128


class MHSA(nn.Module):
    def __init__(self, dim, heads=4, attn_dropout=0.1, proj_dropout=0.1):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attn_dropout = attn_dropout
        self.proj_dropout = proj_dropout

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v,
                                           dropout_p=self.attn_dropout)
        y = self.proj(y.transpose(1, 2).reshape(b, t, d))
        return F.dropout(y, self.proj_dropout, training=self.training)


class EnhancerBlock(nn.Module):
    def __init__(self, dim, heads=4, ff_mult=4, dropout=0.1):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = MHSA(dim, heads, dropout, dropout)
        self.ff = nn.Sequential(nn.Linear(dim, ff_mult * dim), nn.GELU(), nn.Dropout(dropout),
                                nn.Linear(ff_mult * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.ff(self.norm2(x))


class MaskEstimator(nn.Module):
    def __init__(self, n_freq=N_FFT // 2 + 1, dim=256, depth=6):
        super().__init__()
        self.inp = nn.Linear(n_freq, dim)
        self.blocks = nn.Sequential(*[EnhancerBlock(dim) for _ in range(depth)])
        self.out = nn.Linear(dim, n_freq)

    def forward(self, log_mag):  # (B, T, F)
        return torch.sigmoid(self.out(self.blocks(self.inp(log_mag))))


def stft(wav):
    return torch.stft(wav, N_FFT, HOP, window=torch.hann_window(N_FFT, device=wav.device), return_complex=True)


def enhance(model, noisy):
    model.eval()
    with torch.inference_mode():
        spec = stft(noisy)                                   # (B, F, T)
        mask = model(torch.log1p(spec.abs()).transpose(1, 2)).transpose(1, 2)
        return torch.istft(spec * mask, N_FFT, HOP, window=torch.hann_window(N_FFT, device=noisy.device),
                           length=noisy.size(-1))


def train_step(model, optimizer, noisy, clean):
    model.train()
    spec_n, spec_c = stft(noisy), stft(clean)
    mask = model(torch.log1p(spec_n.abs()).transpose(1, 2)).transpose(1, 2)
    loss = F.l1_loss(mask * spec_n.abs(), spec_c.abs())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
