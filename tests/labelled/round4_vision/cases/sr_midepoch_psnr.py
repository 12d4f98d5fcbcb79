"""x4 super-resolution (SRResNet) with Y-channel PSNR validation every `--val-every` iterations."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class ResidualBlock(nn.Module):
    def __init__(self, ch=64):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch), nn.PReLU(),
                                  nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch))

    def forward(self, x):
        return x + self.body(x)


class SRResNet(nn.Module):
    def __init__(self, n_blocks=16, ch=64):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(3, ch, 9, 1, 4), nn.PReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(ch) for _ in range(n_blocks)])
        self.mid = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch))
        self.up = nn.Sequential(nn.Conv2d(ch, 4 * ch, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(),
                                nn.Conv2d(ch, 4 * ch, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU())
        self.tail = nn.Conv2d(ch, 3, 9, 1, 4)

    def forward(self, x):
        h = self.head(x)
        return self.tail(self.up(h + self.mid(self.blocks(h))))


def rgb_to_y(img):
    return (16.0 + 65.481 * img[:, 0] + 128.553 * img[:, 1] + 24.966 * img[:, 2]) / 255.0


def evaluate_psnr(model, loader, device, shave=4):
    total, n = 0.0, 0
    with torch.no_grad():
        for lr_img, hr_img in loader:
            sr = model(lr_img.to(device)).clamp(0, 1)
            y_sr = rgb_to_y(sr)[..., shave:-shave, shave:-shave]
            y_hr = rgb_to_y(hr_img.to(device))[..., shave:-shave, shave:-shave]
            mse = ((y_sr - y_hr) ** 2).flatten(1).mean(1)
            total += (10 * torch.log10(1.0 / mse)).sum().item()
            n += lr_img.size(0)
    return total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/div2k_x4_patches.pt")
    ap.add_argument("--val", default="data/set14_x4.pt")
    ap.add_argument("--iters", type=int, default=1_000_000)
    ap.add_argument("--val-every", type=int, default=5000)
    args = ap.parse_args()
    device = torch.device("cuda")

    train_loader = DataLoader(torch.load(args.train), batch_size=16, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(torch.load(args.val), batch_size=1)
    model = SRResNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    step, best = 0, 0.0
    epoch = 0
    while step < args.iters:
        model.train()
        for lr_img, hr_img in train_loader:
            sr = model(lr_img.to(device, non_blocking=True))
            loss = F.mse_loss(sr, hr_img.to(device, non_blocking=True))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step % args.val_every == 0:
                psnr = evaluate_psnr(model, val_loader, device)
                print(f"epoch {epoch} step {step}: loss {loss.item():.5f} Set14 PSNR(Y) {psnr:.2f} dB")
                if psnr > best:
                    best = psnr
                    torch.save(model.state_dict(), "srresnet_best.pt")
            if step >= args.iters:
                break
        epoch += 1


if __name__ == "__main__":
    main()
