"""Train a small DDPM on 32x32 images; an EMA copy of the UNet is used for all sampling."""
import copy
import itertools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.utils import save_image

T = 1000


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim, p_drop=0.1):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(8, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(tdim, cout)
        self.n2, self.c2 = nn.GroupNorm(8, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        self.p_drop = p_drop

    def forward(self, x, temb):
        h = self.c1(F.silu(self.n1(x))) + self.t(temb)[:, :, None, None]
        h = F.dropout(F.silu(self.n2(h)), self.p_drop, training=self.training)
        return self.skip(x) + self.c2(h)


class Attention(nn.Module):
    def __init__(self, ch, heads=4, p_attn=0.1):
        super().__init__()
        self.norm, self.qkv, self.out = nn.GroupNorm(8, ch), nn.Linear(ch, 3 * ch), nn.Linear(ch, ch)
        self.heads, self.p_attn = heads, p_attn

    def forward(self, x):
        b, c, h, w = x.shape
        tokens = self.norm(x).flatten(2).transpose(1, 2)
        q, k, v = self.qkv(tokens).view(b, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, dropout_p=self.p_attn if self.training else 0.0)
        return x + self.out(a.transpose(1, 2).reshape(b, h * w, c)).transpose(1, 2).view(b, c, h, w)


class UNet(nn.Module):
    def __init__(self, ch=64, tdim=256):
        super().__init__()
        self.ch = ch
        self.temb = nn.Sequential(nn.Linear(ch, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.inp = nn.Conv2d(3, ch, 3, padding=1)
        self.d1, self.d2 = ResBlock(ch, ch, tdim), ResBlock(ch, 2 * ch, tdim)
        self.mid, self.attn = ResBlock(2 * ch, 2 * ch, tdim), Attention(2 * ch)
        self.u1, self.u2 = ResBlock(4 * ch, ch, tdim), ResBlock(2 * ch, ch, tdim)
        self.outp = nn.Sequential(nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, 3, 3, padding=1))

    def forward(self, x, t):
        half = self.ch // 2
        f = torch.exp(-math.log(10000) * torch.arange(half, device=x.device) / half)
        e = self.temb(torch.cat([(t[:, None] * f).sin(), (t[:, None] * f).cos()], 1))
        h1 = self.d1(self.inp(x), e)
        h2 = self.d2(F.avg_pool2d(h1, 2), e)
        m = self.attn(self.mid(h2, e))
        u = self.u1(torch.cat([m, h2], 1), e)
        return self.outp(self.u2(torch.cat([F.interpolate(u, scale_factor=2.0), h1], 1), e))


betas = torch.linspace(1e-4, 0.02, T)
alphas = 1 - betas
abar = torch.cumprod(alphas, 0)


@torch.no_grad()
def update_ema(ema, model, decay=0.9999):
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1 - decay)


@torch.no_grad
def sample(model, n, device):
    x = torch.randn(n, 3, 32, 32, device=device)
    for t in reversed(range(T)):
        eps = model(x, torch.full((n,), t, device=device))
        x = (x - betas[t] / (1 - abar[t]).sqrt() * eps) / alphas[t].sqrt()
        if t > 0:
            x = x + betas[t].sqrt() * torch.randn_like(x)
    return x.clamp(-1, 1)


def train(loader, steps=300_000, device="cuda"):
    unet = UNet().to(device)
    ema = copy.deepcopy(unet).eval().requires_grad_(False)
    opt = torch.optim.Adam(unet.parameters(), lr=2e-4)
    batches = (x for _ in itertools.count() for x, _ in loader)
    unet.train()
    for step in range(steps):
        x0 = next(batches).to(device)
        t = torch.randint(0, T, (x0.size(0),), device=device)
        noise = torch.randn_like(x0)
        a = abar.to(device)[t].view(-1, 1, 1, 1)
        loss = F.mse_loss(unet(a.sqrt() * x0 + (1 - a).sqrt() * noise, t), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        update_ema(ema, unet)
        if step % 10_000 == 0:
            save_image((sample(ema, 64, device) + 1) / 2, f"ddpm_step{step:06d}.png", nrow=8)
            torch.save({"model": unet.state_dict(), "ema": ema.state_dict()}, "ddpm_cifar10.pt")
    return ema
