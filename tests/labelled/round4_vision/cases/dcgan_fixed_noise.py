"""DCGAN on CelebA 64x64; a grid from a fixed noise batch is written every 500 iterations."""
import argparse
import os

import torch
import torch.nn as nn
import torchvision.utils as vutils
from torchvision import datasets, transforms

NZ, NGF, NDF = 100, 64, 64


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(NGF * 8), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF * 4), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF), nn.ReLU(True),
            nn.ConvTranspose2d(NGF, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False))

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataroot", default="data/celeba")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default="samples")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(),
                             transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    loader = torch.utils.data.DataLoader(datasets.ImageFolder(args.dataroot, tf), batch_size=128,
                                         shuffle=True, num_workers=4, drop_last=True)
    netG, netD = Generator().to(device), Discriminator().to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCEWithLogitsLoss()
    fixed_noise = torch.randn(64, NZ, 1, 1, device=device)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

    netG.train()
    netD.train()
    iters = 0
    for epoch in range(args.epochs):
        for real, _ in loader:
            real = real.to(device)
            b = real.size(0)
            noise = torch.randn(b, NZ, 1, 1, device=device)
            fake = netG(noise)

            optD.zero_grad()
            errD = criterion(netD(real), torch.ones(b, device=device)) + \
                criterion(netD(fake.detach()), torch.zeros(b, device=device))
            errD.backward()
            optD.step()

            optG.zero_grad()
            errG = criterion(netD(fake), torch.ones(b, device=device))
            errG.backward()
            optG.step()

            if iters % 500 == 0:
                print(f"[{epoch}/{args.epochs}] iter {iters}: loss_D {errD.item():.4f} loss_G {errG.item():.4f}")
                netG.eval()
                with torch.no_grad():
                    grid = netG(fixed_noise).cpu()
                vutils.save_image(grid, f"{args.out}/iter_{iters:06d}.png", normalize=True, nrow=8)
            iters += 1
    torch.save({"G": netG.state_dict(), "D": netD.state_dict()}, "dcgan_celeba.pt")


if __name__ == "__main__":
    main()
