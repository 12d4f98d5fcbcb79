"""Generate images from a trained DDPM checkpoint (EMA weights), 1000-step ancestral sampling."""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.utils import save_image


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim, dropout=0.1):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(32, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2, self.conv2 = nn.GroupNorm(32, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x))) + self.temb(temb)[:, :, None, None]
        h = self.conv2(self.drop(F.silu(self.norm2(h))))
        return h + self.skip(x)


class SelfAttention(nn.Module):
    def __init__(self, ch, heads=4, attn_drop=0.1):
        super().__init__()
        self.norm, self.qkv, self.proj = nn.GroupNorm(32, ch), nn.Conv2d(ch, 3 * ch, 1), nn.Conv2d(ch, ch, 1)
        self.heads, self.attn_drop = heads, attn_drop

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).transpose(-1, -2).unbind(1)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop)
        return x + self.proj(out.transpose(-1, -2).reshape(b, c, h, w))


class UNet(nn.Module):
    def __init__(self, ch=128, tdim=512):
        super().__init__()
        self.tdim = tdim
        self.t_mlp = nn.Sequential(nn.Linear(ch, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.inp = nn.Conv2d(3, ch, 3, padding=1)
        self.down1, self.down2 = ResBlock(ch, ch, tdim), ResBlock(ch, 2 * ch, tdim)
        self.mid, self.attn = ResBlock(2 * ch, 2 * ch, tdim), SelfAttention(2 * ch)
        self.up1, self.up2 = ResBlock(4 * ch, ch, tdim), ResBlock(2 * ch, ch, tdim)
        self.out = nn.Sequential(nn.GroupNorm(32, ch), nn.SiLU(), nn.Conv2d(ch, 3, 3, padding=1))

    def forward(self, x, t):
        temb = self.t_mlp(timestep_embedding(t, self.t_mlp[0].in_features))
        h0 = self.inp(x)
        h1 = self.down1(h0, temb)
        h2 = self.down2(F.avg_pool2d(h1, 2), temb)
        m = self.attn(self.mid(h2, temb))
        u = self.up1(torch.cat([m, h2], 1), temb)
        u = self.up2(torch.cat([F.interpolate(u, scale_factor=2.0), h1], 1), temb)
        return self.out(u)


@torch.no_grad()
def ddpm_sample(model, n, size, betas, device):
    alphas = 1.0 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    x = torch.randn(n, 3, size, size, device=device)
    for t in reversed(range(len(betas))):
        tt = torch.full((n,), t, device=device, dtype=torch.long)
        eps = model(x, tt)
        mean = (x - betas[t] / (1 - alpha_bar[t]).sqrt() * eps) / alphas[t].sqrt()
        x = mean + betas[t].sqrt() * torch.randn_like(x) if t > 0 else mean
    return x.clamp(-1, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="ddpm_cifar10.pt")
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)

    unet = UNet().to(device)
    state = torch.load(args.ckpt, map_location=device)
    unet.load_state_dict(state["ema"])
    unet.eval
    betas = torch.linspace(1e-4, 0.02, 1000, device=device)
    imgs = ddpm_sample(unet, args.n, 32, betas, device)
    save_image((imgs + 1) / 2, f"ddpm_samples_seed{args.seed}.png", nrow=8)


if __name__ == "__main__":
    main()
