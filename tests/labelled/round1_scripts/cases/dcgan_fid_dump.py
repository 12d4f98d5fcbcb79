"""DCGAN on 64x64 face crops. After training, 10k generator samples are written out for FID,
and the discriminator's accuracy on held-out real images is reported."""
import argparse
import os

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

NZ = 100


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def up(cin, cout, stride=2, pad=1):
    return [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]


class Generator(nn.Module):
    def __init__(self, ngf=64):
        super().__init__()
        self.main = nn.Sequential(
            *up(NZ, ngf * 8, 1, 0), *up(ngf * 8, ngf * 4), *up(ngf * 4, ngf * 2), *up(ngf * 2, ngf),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 8, 1, 0, bias=False), nn.Flatten(),
        )

    def forward(self, x):
        return self.main(x)


@torch.no_grad()
def dump_samples(generator, n, out_dir, device, batch=500):
    os.makedirs(out_dir, exist_ok=True)
    for start in range(0, n, batch):
        z = torch.randn(batch, NZ, 1, 1, device=device)
        imgs = generator(z).add(1).div(2)
        for i, img in enumerate(imgs):
            save_image(img, os.path.join(out_dir, f"{start + i:05d}.png"))


@torch.no_grad()
def real_accuracy(disc, loader, device):
    disc.eval()
    hits = total = 0
    for x, _ in loader:
        hits += (disc(x.to(device)) > 0).sum().item()
        total += x.size(0)
    return hits / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/celeba")
    ap.add_argument("--holdout", default="data/celeba_holdout")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--n-fid", type=int, default=10000)
    ap.add_argument("--out", default="fid_samples")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tfm = transforms.Compose([transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(),
                              transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    loader = DataLoader(datasets.ImageFolder(args.data, tfm), batch_size=128, shuffle=True, num_workers=4)
    holdout_loader = DataLoader(datasets.ImageFolder(args.holdout, tfm), batch_size=256)

    netG, netD = Generator().to(device), Discriminator().to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    bce = nn.BCEWithLogitsLoss()
    opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))

    for epoch in range(args.epochs):
        for real, _ in loader:
            real = real.to(device)
            b = real.size(0)
            fake = netG(torch.randn(b, NZ, 1, 1, device=device))
            d_loss = bce(netD(real), torch.ones(b, 1, device=device)) + \
                bce(netD(fake.detach()), torch.zeros(b, 1, device=device))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(netD(fake), torch.ones(b, 1, device=device))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        print(f"[{epoch}] loss_D {d_loss.item():.3f} loss_G {g_loss.item():.3f}")

    print("D accuracy on held-out reals:", real_accuracy(netD, holdout_loader, device))
    dump_samples(netG, args.n_fid, args.out, device)
    torch.save({"G": netG.state_dict(), "D": netD.state_dict()}, "dcgan.pt")


if __name__ == "__main__":
    main()
