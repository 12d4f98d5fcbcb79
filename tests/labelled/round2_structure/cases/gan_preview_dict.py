"""DCGAN on 64x64 faces. Models live in a dict so the checkpoint and preview code can loop
over them; every few epochs a grid of samples is saved together with D's realism score."""
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image


@dataclass
class GanConfig:
    root: str = "data/celeba"
    epochs: int = 25
    batch_size: int = 128
    z_dim: int = 100
    lr: float = 2e-4
    preview_every: int = 5


def generator(z_dim):
    def up(i, o):
        return [nn.ConvTranspose2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(True)]
    return nn.Sequential(
        nn.ConvTranspose2d(z_dim, 512, 4, 1, 0, bias=False), nn.BatchNorm2d(512), nn.ReLU(True),
        *up(512, 256), *up(256, 128), *up(128, 64),
        nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh(),
    )


def discriminator():
    def down(i, o):
        return [nn.Conv2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), nn.LeakyReLU(0.2, True)]
    return nn.Sequential(
        nn.Conv2d(3, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        *down(64, 128), *down(128, 256), *down(256, 512), nn.Dropout(0.3),
        nn.Conv2d(512, 1, 4, 1, 0, bias=False), nn.Flatten(),
    )


def preview(nets, fixed_z, epoch):
    for m in nets.values():
        m.eval()
    with torch.no_grad():
        fake = nets["G"](fixed_z)
        realism = torch.sigmoid(nets["D"](fake)).mean().item()
    save_image(fake * 0.5 + 0.5, f"samples_{epoch:03d}.png", nrow=8)
    nets["G"].train()
    return realism


def main(cfg: GanConfig):
    tfm = transforms.Compose([transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(),
                              transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    loader = DataLoader(datasets.ImageFolder(cfg.root, tfm), batch_size=cfg.batch_size, shuffle=True,
                        drop_last=True)
    nets = {"G": generator(cfg.z_dim), "D": discriminator()}
    G, D = nets["G"], nets["D"]
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    fixed_z = torch.randn(64, cfg.z_dim, 1, 1)
    ones = torch.ones(cfg.batch_size, 1)
    zeros = torch.zeros(cfg.batch_size, 1)

    for epoch in range(cfg.epochs):
        for real, _ in loader:
            fake = G(torch.randn(cfg.batch_size, cfg.z_dim, 1, 1))
            d_loss = bce(D(real), ones) + bce(D(fake.detach()), zeros)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(D(fake), ones)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        print(f"epoch {epoch}: d_loss {d_loss.item():.3f} g_loss {g_loss.item():.3f}")
        if epoch % cfg.preview_every == 0:
            print(f"  preview realism {preview(nets, fixed_z, epoch):.3f}")
    torch.save({name: m.state_dict() for name, m in nets.items()}, "dcgan.pt")


if __name__ == "__main__":
    main(GanConfig())
